import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, removeDataDir, startServer } from '../../tests/support/server.ts'
import { openDatabase } from '../src/db/client.ts'
import { randomUserId } from '../src/line/stand-in.ts'
import { cardState, linkedMember, signInStaff, tillCall } from './points-support.ts'
import { createTestContext, row } from './support.ts'

const ctx = await createTestContext({ env: { LINK_BONUS_POINTS: '0' } })
const staff = await signInStaff(ctx)

describe('many simultaneous requests (in-process, Promise.all on app.request)', () => {
  it('redeems exactly what the balance allows: 50 × 10 points on 200 → 20 succeed', async () => {
    const m = await linkedMember(ctx, { points: 200 })
    // One QR token per redemption: a token is spent by its first (docs/decisions/002).
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        tillCall(ctx, staff.clerk, '/api/staff/points', {
          qrToken: m.qrNow(),
          type: 'redeem',
          points: 10,
        }),
      ),
    )
    const ok = results.filter((r) => r.status === 200)
    expect(ok).toHaveLength(20)
    expect(
      results
        .filter((r) => r.status === 422)
        .every((r) => r.json.error.code === 'INSUFFICIENT_POINTS'),
    ).toBe(true)
    expect(results.every((r) => r.status === 200 || r.status === 422)).toBe(true)
    expect(new Set(ok.map((r) => r.json.balance)).size).toBe(20)
    expect(Math.min(...ok.map((r) => r.json.balance))).toBe(0)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 0, balance: 0 })
  })

  it('counts one transaction for 30 simultaneous repeats of one key', async () => {
    const m = await linkedMember(ctx, { points: 0 })
    const body = { qrToken: m.qrNow(), type: 'award', purchaseAmount: 5000 }
    const results = await Promise.all(
      Array.from({ length: 30 }, () =>
        tillCall(ctx, staff.clerk, '/api/staff/points', body, 'one-tap-many-retries'),
      ),
    )
    // The first counts; a repeat while it waits for its commit is told the key is in use,
    // a later one gets the first answer. Nothing counts twice.
    const ok = results.filter((r) => r.status === 200)
    expect(ok.length).toBeGreaterThanOrEqual(1)
    for (const r of ok) expect(r.json).toEqual(ok[0]?.json)
    const busy = results.filter((r) => r.status !== 200)
    expect(busy.length).toBeGreaterThan(0)
    for (const r of busy) {
      expect(r.status).toBe(409)
      expect(r.json.error.code).toBe('IDEMPOTENCY_KEY_IN_USE')
      expect(r.headers.get('Retry-After')).toBe('1')
    }
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 50, balance: 50 })
  })

  it('voids once when two managers tap void at the same moment', async () => {
    const m = await linkedMember(ctx, { points: 0 })
    const award = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken: m.qrNow(),
      type: 'award',
      purchaseAmount: 3000,
    })
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        tillCall(
          ctx,
          staff.manager,
          `/api/staff/transactions/${award.json.transactionId}/void`,
          {},
        ),
      ),
    )
    expect(results.filter((r) => r.status === 200)).toHaveLength(1)
    expect(results.filter((r) => r.json?.error?.code === 'ALREADY_VOIDED')).toHaveLength(9)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 0, balance: 0 })
  })

  it('keeps balance == sum(ledger) ≥ 0 under a mixed burst on several members', async () => {
    const members = await Promise.all([0, 1, 2].map(() => linkedMember(ctx, { points: 100 })))
    const requests = Array.from({ length: 90 }, (_, i) => {
      const m = members[i % 3]!
      const body =
        i % 2 === 0
          ? { qrToken: m.qrNow(), type: 'award', purchaseAmount: 1000 + i }
          : { qrToken: m.qrNow(), type: 'redeem', points: 25 }
      return tillCall(ctx, staff.clerk, '/api/staff/points', body)
    })
    const results = await Promise.all(requests)
    expect(
      results.every((r) => r.status === 200 || r.json.error.code === 'INSUFFICIENT_POINTS'),
    ).toBe(true)
    for (const m of members) {
      const s = await cardState(ctx, m.cardId)
      expect(s.balance).toBe(s.ledgerSum)
      expect(s.balance).toBeGreaterThanOrEqual(0)
    }
  })
})

describe('many simultaneous requests on real server processes sharing one database file', () => {
  let a: RunningServer
  let b: RunningServer
  let clerkA: Record<string, string>
  let clerkB: Record<string, string>
  let qrToken: string
  /** A fresh QR token of the demo member, as the card screen fetches it. */
  let freshQr: () => Promise<string>

  async function json(url: string, init: RequestInit = {}) {
    const res = await fetch(url, init)
    // biome-ignore lint/suspicious/noExplicitAny: tests inspect answers of many shapes
    return { status: res.status, body: (await res.json().catch(() => null)) as any }
  }
  async function clerkOn(server: RunningServer) {
    const login = await json(`${server.url}/api/staff/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ staffId: 'demo-clerk', password: 'demo-clerk-pass' }),
    })
    expect(login.status).toBe(200)
    return { Authorization: `Bearer ${login.body.token}`, 'Content-Type': 'application/json' }
  }

  beforeAll(async () => {
    a = await startServer()
    b = await startServer({ dataDir: a.dataDir })
    const sub = randomUserId()
    const { idToken } = (
      await json(`${a.url}/__line/demo/id-token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ sub }),
      })
    ).body
    const auth = { Authorization: `Bearer ${idToken}`, 'Content-Type': 'application/json' }
    const link = await json(`${a.url}/api/link`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        cardNumber: '4900000000000011',
        pin: '1234',
        consent: { version: '2026-11-01', accepted: true },
      }),
    })
    expect(link.status).toBe(201)
    freshQr = async () => (await json(`${a.url}/api/card/qr`, { headers: auth })).body.token
    qrToken = await freshQr()
    clerkA = await clerkOn(a)
    clerkB = await clerkOn(b)
  }, 120_000)
  afterAll(async () => {
    await a?.stop()
    await b?.stop()
    if (a) removeDataDir(a.dataDir)
  })

  /** The demo card's balance, ledger sum and lowest balance, read from the servers' database. */
  async function ledgerCheck() {
    const db = await openDatabase({ databasePath: a.databasePath })
    try {
      const r = await row<{ balance: number; ledgerSum: number; lowest: number }>(
        db,
        sql`SELECT c.points AS balance,
            (SELECT CAST(sum(points) AS BIGINT) FROM ledger WHERE card_id = c.id) AS "ledgerSum",
            (SELECT min(balance_after) FROM ledger WHERE card_id = c.id) AS lowest
          FROM point_cards c WHERE card_number = '4900000000000011'`,
      )
      if (!r) throw new Error('the demo card is missing')
      return {
        balance: Number(r.balance),
        ledgerSum: Number(r.ledgerSum),
        lowest: Number(r.lowest),
      }
    } finally {
      await db.close()
    }
  }

  it('redeems exactly the balance across two processes (1400 pt, 60 × 50 pt)', async () => {
    // One QR token per redemption: a token is spent by its first (docs/decisions/002).
    const tokens = await Promise.all(Array.from({ length: 60 }, () => freshQr()))
    const results = await Promise.all(
      tokens.map((token, i) =>
        json(`${(i % 2 ? a : b).url}/api/staff/points`, {
          method: 'POST',
          headers: { ...(i % 2 ? clerkA : clerkB), 'Idempotency-Key': randomUUID() },
          body: JSON.stringify({ qrToken: token, type: 'redeem', points: 50 }),
        }),
      ),
    )
    expect(results.filter((r) => r.status === 200)).toHaveLength(28)
    expect(results.filter((r) => r.status === 422)).toHaveLength(32)
    expect(await ledgerCheck()).toEqual({ balance: 0, ledgerSum: 0, lowest: 0 })
  })

  it('counts one award for one key sent 20 times at once to both processes', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        json(`${(i % 2 ? a : b).url}/api/staff/points`, {
          method: 'POST',
          headers: { ...(i % 2 ? clerkA : clerkB), 'Idempotency-Key': 'till-7-sale-42' },
          body: JSON.stringify({ qrToken, type: 'award', purchaseAmount: 1000 }),
        }),
      ),
    )
    // One counts; every other answer is the first answer (replayed, also across the two
    // processes by the in-transaction re-check) or 409 while the first is still in flight.
    const ok = results.filter((r) => r.status === 200)
    expect(ok.length).toBeGreaterThanOrEqual(1)
    for (const r of ok) expect(r.body).toEqual(ok[0]?.body)
    expect(
      results.every((r) => r.status === 200 || r.body.error.code === 'IDEMPOTENCY_KEY_IN_USE'),
    ).toBe(true)
    // Gold: 1000 yen × 0.01 × 2 = 20 points, once.
    expect(await ledgerCheck()).toMatchObject({ balance: 20, ledgerSum: 20 })
  })
})
