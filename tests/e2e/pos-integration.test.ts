import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, type RunningServer, removeDataDir, startServer } from '../support/server.ts'

/**
 * docs/pos-integration.md, followed literally: its `sh` blocks run in order as one bash script
 * against a real server process (demo mode, WEBHOOK_ALLOW_PRIVATE=true), with its `js` blocks
 * saved as `receiver.mjs` (the page says so), which the script starts as the webhook receiver.
 * The test plays only the member: it links a demo card and hands the script the QR code.
 */

const doc = readFileSync(join(ROOT, 'docs/pos-integration.md'), 'utf8')
const blocks = (lang: string) =>
  [...doc.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map(
    (m) => m[1] as string,
  )

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

describe('docs/pos-integration.md, step by step', () => {
  let server: RunningServer
  let work: string
  let script: ChildProcess | undefined

  beforeAll(async () => {
    server = await startServer({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } })
    work = mkdtempSync(join(tmpdir(), 'mc-pos-doc-'))
  })
  afterAll(async () => {
    // The script's process group: bash and the receiver it left running.
    if (script?.pid) {
      try {
        process.kill(-script.pid, 'SIGTERM')
      } catch {
        // already gone
      }
    }
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('runs as written: key, webhook, scan, award, safe retry, refund, verified events', async () => {
    // The member: a demo card linked in LINE, showing its QR code.
    const sub = `U${'0123456789abcdef'.repeat(2)}`
    const { idToken } = (await (
      await fetch(`${server.url}/__line/demo/id-token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ sub }),
      })
    ).json()) as { idToken: string }
    const member = { Authorization: `Bearer ${idToken}`, 'Content-Type': 'application/json' }
    const link = await fetch(`${server.url}/api/link`, {
      method: 'POST',
      headers: member,
      body: JSON.stringify({
        cardNumber: '4900000000000029',
        pin: '2345',
        consent: { version: '2026-11-01', accepted: true },
      }),
    })
    expect(link.status, await link.clone().text()).toBe(201)
    const qr = (await (await fetch(`${server.url}/api/card/qr`, { headers: member })).json()) as {
      token: string
    }

    const sh = blocks('sh')
    const js = blocks('js')
    expect(sh.length).toBeGreaterThanOrEqual(7)
    writeFileSync(join(work, 'receiver.mjs'), js.join('\n'))
    const port = await freePort()
    let out = ''
    const code = await new Promise<number | null>((resolve) => {
      script = spawn('bash', ['-e', '-o', 'pipefail', '-c', sh.join('\n')], {
        cwd: work,
        detached: true,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          BASE: server.url,
          RECEIVER_PORT: String(port),
          QR: qr.token,
          ADMIN_ID: 'demo-admin',
          ADMIN_PASSWORD: 'demo-admin-pass',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      script.stdout?.on('data', (d) => {
        out += d
      })
      script.stderr?.on('data', (d) => {
        out += d
      })
      // 'exit', not 'close': the receiver left running keeps the pipes open.
      script.on('exit', (c) => resolve(c))
    })
    expect(code, out).toBe(0)
    expect(out).toMatch(/^mck_[0-9a-f]{8}$/m)
    expect(out).toContain('same transaction, awarded once')

    const award = JSON.parse(readFileSync(join(work, 'award.json'), 'utf8'))
    const refund = JSON.parse(readFileSync(join(work, 'refund.json'), 'utf8'))
    const scan = JSON.parse(readFileSync(join(work, 'scan.json'), 'utf8'))
    expect(scan.member.name).toBe('佐藤 一郎')
    // Silver: 5,400 yen × 0.01 × 1.5 = 81 points; half the purchase back takes 40.
    expect(award).toMatchObject({ points: 81, balance: 350 + 200 + 81 })
    expect(refund).toMatchObject({ points: -40, balance: 350 + 200 + 81 - 40 })

    // What the receiver printed: each event verified with the documented snippet, once.
    const log = join(work, 'events.log')
    await expect
      .poll(() => (existsSync(log) ? readFileSync(log, 'utf8') : ''), { message: out })
      .toMatch(/webhook\.test/)
    const lines = readFileSync(log, 'utf8').trim().split('\n')
    const points = lines
      .filter((l) => l.startsWith('points.changed '))
      .map((l) => JSON.parse(l.slice('points.changed '.length)))
    expect(points.map((p) => [p.type, p.points, p.transactionId])).toEqual([
      ['award', 81, award.transactionId],
      ['refund', -40, refund.transactionId],
    ])
    expect(points[0].cardNumber).toBe('4900000000000029')
    expect(out).toMatch(/points\.changed delivered attempts=1/)
    expect(out).toMatch(/webhook\.test delivered attempts=1/)
    // Neither the script nor the server printed a whole key.
    expect(out).not.toMatch(/mck_[0-9a-f]{8}_/)
    expect(server.output()).not.toMatch(/mck_[0-9a-f]{8}_/)
  })
})
