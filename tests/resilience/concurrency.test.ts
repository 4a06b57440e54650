import { randomInt, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import {
  call,
  importCards,
  type LinkedMember,
  ledgerMismatches,
  linkMembers,
  makeCards,
  openDb,
  staffToken,
} from './helpers.ts'

interface Award {
  key: string
  member: LinkedMember
  purchaseAmount: number
}

type Answer = { status: number; body: unknown }

/**
 * 500 awards fired at once over 50 members of the real server process, a third of them sent
 * twice at the same moment with the same Idempotency-Key (a till retrying on a timeout).
 */
/**
 * Runs `f` with at most `n` calls in flight: this one client stays under the server's cap of
 * 256 connections per client address (docs/decisions/036), which a real till never nears.
 */
function inFlight(n: number) {
  let active = 0
  const waiting: (() => void)[] = []
  return async <T>(f: () => Promise<T>): Promise<T> => {
    while (active >= n) await new Promise<void>((resolve) => waiting.push(resolve))
    active++
    try {
      return await f()
    } finally {
      active--
      waiting.shift()?.()
    }
  }
}

describe('concurrency: 500 awards 200 at a time, a third retried with the same key at once', () => {
  let server: RunningServer
  let members: LinkedMember[]
  let staff: string
  beforeAll(async () => {
    server = await startServer({ env: { CARD_TOKEN_TTL_SECONDS: '3600' } })
    const cards = makeCards(50, 2, 0)
    importCards(server, cards)
    members = await linkMembers(server.url, cards)
    staff = await staffToken(server.url)
  }, 90_000)
  afterAll(async () => {
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  it('applies every key exactly once and the balances are exact', async () => {
    const awards: Award[] = Array.from({ length: 500 }, (_, i) => ({
      key: randomUUID(),
      member: members[i % members.length]!,
      purchaseAmount: randomInt(1, 50_000),
    }))
    const slot = inFlight(200)
    const send = (a: Award): Promise<Answer> =>
      slot(() =>
        call(server.url, '/api/staff/points', {
          token: staff,
          headers: { 'Idempotency-Key': a.key },
          body: { qrToken: a.member.qrToken, type: 'award', purchaseAmount: a.purchaseAmount },
        }),
      )
    const retried = awards.filter((_, i) => i % 3 === 0)
    // Each retry is sent right behind its original, so the twins race on the server.
    const originals: Promise<Answer>[] = []
    const retries: Promise<Answer>[] = []
    for (const [i, a] of awards.entries()) {
      originals.push(send(a))
      if (i % 3 === 0) retries.push(send(a))
    }
    const [first, second] = await Promise.all([Promise.all(originals), Promise.all(retries)])

    // Originals: applied, or told the twin is still running (409) or answered by replay.
    const applied = new Map<string, string>()
    for (const [i, res] of first.entries()) {
      expect([200, 409]).toContain(res.status)
      if (res.status === 200) {
        applied.set(awards[i]!.key, (res.body as { transactionId: string }).transactionId)
      }
    }
    for (const [i, res] of second.entries()) {
      expect([200, 409]).toContain(res.status)
      if (res.status === 409) {
        expect(res.body).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_IN_USE' } })
        continue
      }
      const key = retried[i]!.key
      const id = (res.body as { transactionId: string }).transactionId
      // Both answered 200: the very same transaction (one was a replay).
      if (applied.has(key)) expect(id).toBe(applied.get(key))
      else applied.set(key, id)
    }
    // Each key got at least one success: a key refused on both tries never ran.
    expect(applied.size).toBe(awards.length)

    const db = openDb(server.databasePath)
    try {
      const perKey = db
        .prepare(
          `SELECT idempotency_key AS key, count(*) AS n FROM ledger WHERE type = 'award'
            GROUP BY idempotency_key`,
        )
        .all() as { key: string; n: number }[]
      expect(perKey).toHaveLength(500)
      expect(perKey.every((r) => r.n === 1)).toBe(true)
      expect(ledgerMismatches(db)).toEqual([])
    } finally {
      db.close()
    }

    // Rank regular, 1 point per 100 yen, rounded down, per transaction; plus the link bonus.
    const expected = new Map<string, number>()
    for (const a of awards) {
      expected.set(
        a.member.sub,
        (expected.get(a.member.sub) ?? 200) + Math.floor(a.purchaseAmount / 100),
      )
    }
    for (const m of members) {
      const me = await call(server.url, '/api/me', { token: m.idToken })
      expect((me.body as { member: { points: number } }).member.points).toBe(expected.get(m.sub))
    }
  })
})
