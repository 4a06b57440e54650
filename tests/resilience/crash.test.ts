import { randomInt, randomUUID } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import {
  call,
  idTokenFor,
  importCards,
  type LinkedMember,
  ledgerMismatches,
  linkMembers,
  makeCards,
  openDb,
  staffToken,
} from './helpers.ts'

interface Sent {
  key: string
  member: LinkedMember
  body: Record<string, unknown>
  /** The answer the till got before the crash, if any. */
  ack?: { transactionId: string; points: number; balance: number }
}

/**
 * A mixed load of awards and redeems against the real server process, SIGKILL at a random
 * moment, restart on the same database: nothing acknowledged is lost, nothing is half-written,
 * and a till retrying its unanswered requests with the same keys changes each balance once.
 */
describe('crash: SIGKILL during a mixed points load', () => {
  let server: RunningServer
  afterAll(async () => {
    await server?.stop('SIGKILL')
    if (server) removeDataDir(server.dataDir)
  })

  it('keeps every acknowledged transaction and no half-written one', async () => {
    server = await startServer({ env: { CARD_TOKEN_TTL_SECONDS: '3600' } })
    const cards = makeCards(12, 1, 500)
    importCards(server, cards)
    const members = await linkMembers(server.url, cards)
    const staff = await staffToken(server.url)

    const sent: Sent[] = []
    const unexpected: number[] = []
    let killed = false
    const worker = async () => {
      while (!killed) {
        const member = members[randomInt(members.length)]!
        const body =
          randomInt(3) === 0
            ? { qrToken: member.qrToken, type: 'redeem', points: randomInt(1, 30) }
            : { qrToken: member.qrToken, type: 'award', purchaseAmount: randomInt(100, 20_000) }
        const s: Sent = { key: randomUUID(), member, body }
        sent.push(s)
        try {
          const res = await call(server.url, '/api/staff/points', {
            token: staff,
            body,
            headers: { 'Idempotency-Key': s.key },
          })
          if (res.status === 200) s.ack = res.body as NonNullable<Sent['ack']>
          else if (res.status !== 422) unexpected.push(res.status) // 422: redeem above balance
        } catch {
          // the connection died with the server: this one is unanswered
        }
      }
    }
    const workers = Array.from({ length: 8 }, worker)
    await new Promise((r) => setTimeout(r, randomInt(400, 1500)))
    await server.stop('SIGKILL')
    killed = true
    await Promise.all(workers)

    expect(unexpected).toEqual([])
    const acked = sent.filter((s) => s.ack)
    expect(acked.length).toBeGreaterThan(5)

    server = await startServer({
      dataDir: server.dataDir,
      env: { CARD_TOKEN_TTL_SECONDS: '3600' },
    })
    const db = openDb(server.databasePath)
    try {
      const byKey = db.prepare(
        'SELECT id, points, balance_after FROM ledger WHERE idempotency_key = ? ORDER BY id',
      )
      const record = db.prepare(`SELECT state, response_body FROM idempotency_keys WHERE key = ?`)
      // Every acknowledged transaction is there, exactly once, as the till was told.
      for (const s of acked) {
        const rows = byKey.all(s.key) as { id: number; points: number; balance_after: number }[]
        expect(rows).toHaveLength(1)
        expect(String(rows[0]!.id)).toBe(s.ack!.transactionId)
        expect(rows[0]!.points).toBe(s.ack!.points)
        expect(rows[0]!.balance_after).toBe(s.ack!.balance)
        expect(record.get(s.key)).toMatchObject({ state: 'done' })
      }
      // Nothing half-written: every till ledger row has its completed idempotency record, and
      // every completed record has its ledger row.
      const orphans = db
        .prepare(
          `SELECT count(*) AS n FROM ledger l WHERE l.type IN ('award','redeem') AND NOT EXISTS
             (SELECT 1 FROM idempotency_keys k WHERE k.key = l.idempotency_key AND k.state = 'done')`,
        )
        .get() as { n: number }
      expect(orphans.n).toBe(0)
      const doneWithoutEntry = db
        .prepare(
          `SELECT count(*) AS n FROM idempotency_keys k WHERE k.state = 'done' AND NOT EXISTS
             (SELECT 1 FROM ledger l WHERE l.idempotency_key = k.key)`,
        )
        .get() as { n: number }
      expect(doneWithoutEntry.n).toBe(0)
      expect(ledgerMismatches(db)).toEqual([])
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')

      // The till retries what it never got an answer to, with the same keys.
      for (const s of sent.filter((x) => !x.ack)) {
        const before = (byKey.all(s.key) as unknown[]).length
        const res = await call(server.url, '/api/staff/points', {
          token: staff,
          body: s.body,
          headers: { 'Idempotency-Key': s.key },
        })
        const after = (byKey.all(s.key) as unknown[]).length
        // Applied once (now or before the crash), refused for the balance, or still claimed
        // by the dead process (409 until the claim goes stale) with nothing written.
        expect([200, 409, 422]).toContain(res.status)
        if (res.status === 200) expect(after).toBe(1)
        else expect([before, after]).toEqual([0, 0])
      }
      // A replay of an acknowledged key answers exactly as before and writes nothing.
      const s = acked[0]!
      const replay = await call(server.url, '/api/staff/points', {
        token: staff,
        body: s.body,
        headers: { 'Idempotency-Key': s.key },
      })
      expect(replay.status).toBe(200)
      expect(replay.body).toEqual(s.ack)
      expect(replay.headers.get('idempotent-replayed')).toBe('true')
      expect((byKey.all(s.key) as unknown[]).length).toBe(1)
      expect(ledgerMismatches(db)).toEqual([])
      // The API shows each member the balance their ledger sums to.
      for (const m of members) {
        // The restarted demo stand-in signs with a new key: the app would sign in again.
        const me = await call(server.url, '/api/me', { token: await idTokenFor(server.url, m.sub) })
        const sum = db
          .prepare(
            `SELECT sum(l.points) AS s FROM ledger l JOIN point_cards c ON c.id = l.card_id
              WHERE c.card_number = ?`,
          )
          .get(m.card.cardNumber) as { s: number }
        expect((me.body as { member: { points: number } }).member.points).toBe(sum.s)
      }
    } finally {
      db.close()
    }
  }, 55_000)
})
