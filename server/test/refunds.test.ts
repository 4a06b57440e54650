import { randomUUID } from 'node:crypto'
import { refundPointsDue } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import {
  cardState,
  linkedMember,
  reopenableDatabase,
  signInStaff,
  TILL_PASSWORD,
  tillCall,
} from './points-support.ts'
import { createTestContext, row, type TestContext } from './support.ts'

const ctx = await createTestContext({ env: { LINK_BONUS_POINTS: '0' } })
const staff = await signInStaff(ctx)
const POINTS = '/api/staff/points'

async function award(c: TestContext, m: { qrNow(): string }, purchaseAmount: number) {
  const r = await tillCall(c, staff.clerk, POINTS, {
    qrToken: m.qrNow(),
    type: 'award',
    purchaseAmount,
  })
  expect(r.status).toBe(200)
  return { id: r.json.transactionId as string, points: r.json.points as number }
}

function refund(id: string, refundAmount: number, who = staff.clerk, key?: string) {
  return tillCall(ctx, who, POINTS, { type: 'refund', transactionId: id, refundAmount }, key)
}

async function refundRows(awardId: string) {
  const r = await row<{ n: number; taken: number; shortfall: number; amount: number }>(
    ctx.db,
    sql`SELECT COUNT(*) AS n, COALESCE(SUM(-points), 0) AS taken,
        COALESCE(SUM(refund_shortfall), 0) AS shortfall, COALESCE(SUM(refund_amount), 0) AS amount
      FROM ledger WHERE type = 'refund' AND refunds_entry_id = ${Number(awardId)}`,
  )
  return {
    n: Number(r?.n),
    taken: Number(r?.taken),
    shortfall: Number(r?.shortfall),
    amount: Number(r?.amount),
  }
}

describe('refundPointsDue', () => {
  it('sums repeated partial refunds to floor(award × refunded ÷ purchase), the award in full', () => {
    for (const [award, purchase] of [
      [10, 1000],
      [7, 999],
      [1, 3],
      [123_456, 9_999_999],
    ] as const) {
      let refunded = 0
      let taken = 0
      for (const part of [1, purchase - 2 > 0 ? Math.floor(purchase / 3) : 0, 1]) {
        if (part === 0 || refunded + part > purchase) continue
        taken += refundPointsDue(award, purchase, refunded, part)
        refunded += part
        expect(taken).toBe(Math.floor((award * refunded) / purchase))
        expect(taken).toBeLessThanOrEqual(award)
      }
      taken += refundPointsDue(award, purchase, refunded, purchase - refunded)
      expect(taken).toBe(award)
    }
  })
})

describe('POST /api/staff/points type refund', () => {
  it('takes back the whole award for a full refund, linked to the award', async () => {
    const m = await linkedMember(ctx, { points: 100 })
    const a = await award(ctx, m, 3000)
    expect(a.points).toBeGreaterThan(0)
    const r = await refund(a.id, 3000)
    expect(r.status).toBe(200)
    expect(r.json).toEqual({ transactionId: expect.any(String), points: -a.points, balance: 100 })
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 100, balance: 100 })
    expect(await refundRows(a.id)).toEqual({ n: 1, taken: a.points, shortfall: 0, amount: 3000 })
  })

  it('takes back a part in proportion, rounded down', async () => {
    const m = await linkedMember(ctx, { points: 0 })
    const a = await award(ctx, m, 1000)
    const r = await refund(a.id, 333)
    expect(r.status).toBe(200)
    expect(r.json.points).toBe(-Math.floor((a.points * 333) / 1000))
    expect(r.json.balance).toBe(a.points + r.json.points)
    expect(await cardState(ctx, m.cardId)).toEqual({
      ledgerSum: r.json.balance,
      balance: r.json.balance,
    })
  })

  it('repeated partial refunds summing to the purchase take back exactly the award', async () => {
    const m = await linkedMember(ctx, { points: 0 })
    const a = await award(ctx, m, 1000)
    const parts = [333, 333, 334].map((n) => n)
    const taken: number[] = []
    for (const part of parts) {
      const r = await refund(a.id, part)
      expect(r.status).toBe(200)
      taken.push(-r.json.points)
    }
    expect(taken.reduce((s, n) => s + n, 0)).toBe(a.points)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 0, balance: 0 })
    const more = await refund(a.id, 1)
    expect(more.status).toBe(422)
    expect(more.json.error.code).toBe('REFUND_EXCEEDS_PURCHASE')
  })

  it('refuses a refund over the purchase (422) and changes nothing', async () => {
    const m = await linkedMember(ctx, { points: 50 })
    const a = await award(ctx, m, 1000)
    const first = await refund(a.id, 600)
    expect(first.status).toBe(200)
    const over = await refund(a.id, 401)
    expect(over.status).toBe(422)
    expect(over.json.error.code).toBe('REFUND_EXCEEDS_PURCHASE')
    expect(over.json.error.message).toContain('400')
    expect(await refundRows(a.id)).toMatchObject({ n: 1, amount: 600 })
    const whole = await refund((await award(ctx, m, 500)).id, 501)
    expect(whole.status).toBe(422)
  })

  it('after the points were spent: takes back what the balance allows, records the shortfall', async () => {
    const m = await linkedMember(ctx, { points: 0 })
    const a = await award(ctx, m, 1000)
    const spend = a.points - 2
    const redeem = await tillCall(ctx, staff.clerk, POINTS, {
      qrToken: m.qrNow(),
      type: 'redeem',
      points: spend,
    })
    expect(redeem.status).toBe(200)
    const r = await refund(a.id, 1000)
    expect(r.status).toBe(200)
    expect(r.json.points).toBe(-2)
    expect(r.json.balance).toBe(0)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 0, balance: 0 })
    expect(await refundRows(a.id)).toEqual({ n: 1, taken: 2, shortfall: spend, amount: 1000 })
    // Nothing left to take: a refund of an award whose points are all spent takes 0.
    const b = await award(ctx, m, 1000)
    await tillCall(ctx, staff.clerk, POINTS, {
      qrToken: m.qrNow(),
      type: 'redeem',
      points: b.points,
    })
    const zero = await refund(b.id, 500)
    expect(zero.status).toBe(200)
    expect(zero.json).toMatchObject({ points: 0, balance: 0 })
    expect((await refundRows(b.id)).shortfall).toBe(Math.floor(b.points / 2))
  })

  it("answers 404 for another store's award, a redeem, a void and an unknown id", async () => {
    const m = await linkedMember(ctx, { points: 100 })
    const a = await award(ctx, m, 2000)
    const other = await refund(a.id, 100, staff.otherManager)
    expect(other.status).toBe(404)
    expect(other.json.error.code).toBe('TRANSACTION_NOT_FOUND')
    const redeem = await tillCall(ctx, staff.clerk, POINTS, {
      qrToken: m.qrNow(),
      type: 'redeem',
      points: 5,
    })
    const v = await tillCall(
      ctx,
      staff.manager,
      `/api/staff/transactions/${redeem.json.transactionId}/void`,
      {},
    )
    expect(v.status).toBe(200)
    for (const id of [redeem.json.transactionId, v.json.transactionId, '999999999']) {
      const r = await refund(id, 1)
      expect(r.status).toBe(404)
      expect(r.json.error.code).toBe('TRANSACTION_NOT_FOUND')
    }
    expect(await refundRows(a.id)).toMatchObject({ n: 0 })
  })

  it('refuses to refund a voided award, and to void a refunded one', async () => {
    const m = await linkedMember(ctx, { points: 0 })
    const voided = await award(ctx, m, 1000)
    const v = await tillCall(ctx, staff.manager, `/api/staff/transactions/${voided.id}/void`, {})
    expect(v.status).toBe(200)
    const r = await refund(voided.id, 100)
    expect(r.status).toBe(409)
    expect(r.json.error.code).toBe('ALREADY_VOIDED')
    const refunded = await award(ctx, m, 1000)
    expect((await refund(refunded.id, 100)).status).toBe(200)
    const v2 = await tillCall(ctx, staff.manager, `/api/staff/transactions/${refunded.id}/void`, {})
    expect(v2.status).toBe(422)
    expect(v2.json.error.code).toBe('NOT_VOIDABLE')
  })

  it('replays the first answer for the same Idempotency-Key and body', async () => {
    const m = await linkedMember(ctx, { points: 0 })
    const a = await award(ctx, m, 1000)
    const key = randomUUID()
    const first = await refund(a.id, 500, staff.clerk, key)
    const again = await refund(a.id, 500, staff.clerk, key)
    expect(first.status).toBe(200)
    expect(again.status).toBe(200)
    expect(again.json).toEqual(first.json)
    expect(await refundRows(a.id)).toMatchObject({ n: 1, amount: 500 })
    const reused = await refund(a.id, 400, staff.clerk, key)
    expect(reused.status).toBe(422)
    expect(reused.json.error.code).toBe('IDEMPOTENCY_KEY_REUSED')
    const missing = await ctx.call('POST', POINTS, {
      headers: staff.clerk,
      body: { type: 'refund', transactionId: a.id, refundAmount: 1 },
    })
    expect(missing.status).toBe(400)
  })

  it("shows refunds in the member's history and on the till's list of today", async () => {
    const m = await linkedMember(ctx, { points: 0 })
    const a = await award(ctx, m, 1000)
    const r = await refund(a.id, 400)
    const history = await ctx.call('GET', '/api/points/history', { headers: m.headers })
    expect(history.json.items[0]).toMatchObject({ type: 'refund', points: r.json.points })
    const today = await ctx.call('GET', '/api/staff/transactions', { headers: staff.clerk })
    const items = today.json.items as Array<Record<string, unknown>>
    expect(items.find((i) => i.id === a.id)).toMatchObject({
      refundedAmount: 400,
      refundable: true,
      voidable: false,
    })
    expect(items.find((i) => i.id === r.json.transactionId)).toMatchObject({
      type: 'refund',
      refundsId: a.id,
      refundable: false,
    })
  })
})

describe('concurrent partial refunds on two app instances sharing one database', async () => {
  const open = await reopenableDatabase()
  const [dbA, dbB] = [await open(), await open()]
  afterAll(async () => {
    await dbA.close()
    await dbB.close()
  })
  const a = await createTestContext({ db: dbA, env: { LINK_BONUS_POINTS: '0' } })
  const b = await createTestContext({
    db: dbB,
    secrets: a.secrets,
    env: { LINK_BONUS_POINTS: '0' },
  })

  it('never refunds more than the purchase: 12 × 300 yen of 1000 → 3 succeed', async () => {
    const onA = await signInStaff(a)
    // The same clerk signs in on instance B (the account is shared through the database).
    const login = await b.call('POST', '/api/staff/login', {
      headers: { 'Content-Type': 'application/json' },
      body: { staffId: 'till-clerk', password: TILL_PASSWORD },
    })
    expect(login.status).toBe(200)
    const onB = {
      clerk: { Authorization: `Bearer ${login.json.token}`, 'Content-Type': 'application/json' },
    }
    const m = await linkedMember(a, { points: 0 })
    const first = await tillCall(a, onA.clerk, POINTS, {
      qrToken: m.qrNow(),
      type: 'award',
      purchaseAmount: 1000,
    })
    const id = first.json.transactionId as string
    const body = { type: 'refund', transactionId: id, refundAmount: 300 }
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0 ? tillCall(a, onA.clerk, POINTS, body) : tillCall(b, onB.clerk, POINTS, body),
      ),
    )
    const ok = results.filter((r) => r.status === 200)
    expect(ok).toHaveLength(3)
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(422)
      expect(r.json.error.code).toBe('REFUND_EXCEEDS_PURCHASE')
    }
    const taken = -ok.reduce((s, r) => s + (r.json.points as number), 0)
    expect(taken).toBe(Math.floor((first.json.points * 900) / 1000))
    expect(await cardState(a, m.cardId)).toEqual({
      ledgerSum: first.json.points - taken,
      balance: first.json.points - taken,
    })
  })
})
