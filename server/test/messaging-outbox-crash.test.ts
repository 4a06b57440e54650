import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { luhnCheckDigit } from '@membercard/shared'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT, type RunningServer, removeDataDir, startServer } from '../../tests/support/server.ts'
import { createLineStandIn, randomUserId } from '../src/line/stand-in.ts'

const CHANNEL = '1234567890'

/**
 * The stand-in LINE behind a gate that can swallow push requests: `hang` never forwards
 * them (the process dies after its commit, before LINE has the message), `accept-then-hang`
 * lets LINE accept the push and never answers (the process dies before it can mark the row
 * sent). Either way the next process must deliver the message exactly once.
 */
async function gatedStandIn() {
  const line = await createLineStandIn({ issuer: 'https://access.line.me', channelId: CHANNEL })
  let mode: 'pass' | 'hang' | 'accept-then-hang' = 'pass'
  let onPush: (() => void) | undefined
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve(
      {
        hostname: '127.0.0.1',
        port: 0,
        fetch: async (req) => {
          if (new URL(req.url).pathname === '/v2/bot/message/push' && mode !== 'pass') {
            if (mode === 'accept-then-hang') await line.app.fetch(req)
            onPush?.()
            return new Promise<Response>(() => {})
          }
          return line.app.fetch(req)
        },
      },
      () => resolve(s),
    )
  })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    line,
    base,
    server,
    /** Swallow the next push in `m`; resolves when it arrived. */
    swallowNextPush(m: 'hang' | 'accept-then-hang') {
      mode = m
      return new Promise<void>((resolve) => {
        onPush = () => {
          mode = 'pass'
          onPush = undefined
          resolve()
        }
      })
    },
  }
}

async function until(what: string, check: () => boolean, ms = 20_000) {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('outbox exactly-once across a crash (real server processes, one database file)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'membercard-crash-'))
  let server: RunningServer | undefined
  let gate: Awaited<ReturnType<typeof gatedStandIn>>
  afterAll(async () => {
    await server?.stop('SIGKILL')
    gate?.server.close()
    removeDataDir(dataDir)
  })

  it('loses no push and sends none twice when killed between commit and send, or after send', async () => {
    gate = await gatedStandIn()
    const env = {
      LINE_LOGIN_CHANNEL_ID: CHANNEL,
      LIFF_ID: `${CHANNEL}-abcdefgh`,
      LINE_API_BASE: gate.base,
      LINE_API_DATA_BASE: gate.base,
      LINE_MESSAGING_ACCESS_TOKEN: 'crash-test-token',
      LINE_MESSAGING_CHANNEL_SECRET: 'crash-test-secret',
      LOG_LEVEL: 'info',
    }
    // Two point cards, imported with the real command into the database the servers use.
    const cards = ['1000000000001', '1000000000002'].map((b) => {
      const body = `${b}00`.slice(0, 15)
      return body + luhnCheckDigit(body)
    })
    const csv = join(dataDir, 'cards.csv')
    writeFileSync(
      csv,
      `card_number,pin,name,points\n${cards.map((c) => `${c},1234,テスト,100`).join('\n')}\n`,
    )
    const dbPath = join(dataDir, 'membercard.db')
    await new Promise<void>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', 'server/src/cli/cards-import.ts', csv],
        { cwd: ROOT, env: { PATH: process.env.PATH ?? '', DATABASE_PATH: dbPath, ...env } },
        (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve()),
      ),
    )

    const link = async (user: string, cardNumber: string) => {
      const token = await gate.line.mintIdToken({ sub: user })
      return fetch(`${server?.url}/api/link`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          cardNumber,
          pin: '1234',
          consent: { version: '2026-11-01', accepted: true },
        }),
      })
    }
    const accepted = (user: string) =>
      gate.line.calls.filter(
        (c) => c.path === '/v2/bot/message/push' && (c.body as { to: string }).to === user,
      )

    // 1. Killed after the link committed, before the push reached LINE.
    server = await startServer({ dataDir, env })
    const alice = randomUserId()
    const swallowed = gate.swallowNextPush('hang')
    expect((await link(alice, cards[0] as string)).status).toBe(201)
    await swallowed
    await server.stop('SIGKILL')
    expect(accepted(alice)).toHaveLength(0)

    server = await startServer({ dataDir, env })
    await until('the push to alice after the restart', () => accepted(alice).length === 1)

    // 2. Killed after LINE accepted the push, before the row was marked sent.
    const bob = randomUserId()
    const accepting = gate.swallowNextPush('accept-then-hang')
    expect((await link(bob, cards[1] as string)).status).toBe(201)
    await accepting
    expect(accepted(bob)).toHaveLength(1)
    await server.stop('SIGKILL')

    server = await startServer({ dataDir, env })
    const bobKey = accepted(bob)[0]?.headers['x-line-retry-key']
    await until('the resend of bob’s push to be refused as already accepted', () =>
      gate.line.rejected.some((c) => c.headers['x-line-retry-key'] === bobKey),
    )
    await server.stop()
    server = undefined

    // Exactly one push each, with the retry key of its row, and every row marked sent.
    expect(accepted(alice)).toHaveLength(1)
    expect(accepted(bob)).toHaveLength(1)
    const db = new Database(dbPath, { readonly: true })
    const rows = db
      .prepare(
        `SELECT line_user_id AS u, retry_key AS k, sent_at AS s FROM outbox WHERE kind = 'push'`,
      )
      .all() as { u: string; k: string; s: number | null }[]
    db.close()
    expect(rows).toHaveLength(2)
    for (const r of rows) {
      expect(r.s, r.u).not.toBeNull()
      expect(accepted(r.u)[0]?.headers['x-line-retry-key']).toBe(r.k)
    }
  }, 90_000)
})
