import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { roleHeaders } from './admin-support.ts'
import { copyOf, createCoupon, issue, members, newTag, walletOf } from './coupons-support.ts'
import { cardState, signInStaff, tillCall } from './points-support.ts'
import { createTestContext, row } from './support.ts'

/**
 * Reversing a coupon use takes back the follow-up coupon it issued ("second-visit" chains,
 * decision 096): withdrawn while unused, the reversal refused (409) once it is used.
 */
const ctx = await createTestContext({
  env: { LINK_BONUS_POINTS: '0', POINTS_VOID_WINDOW_MINUTES: '60' },
})
let staff: Awaited<ReturnType<typeof signInStaff>>
let operator: Record<string, string>

beforeAll(async () => {
  staff = await signInStaff(ctx)
  operator = (await roleHeaders(ctx)).operator
})

const redeem = (body: { qrToken: string; memberCouponId: number }) =>
  tillCall(ctx, staff.clerk, '/api/staff/coupons/redeem', body)
const reverse = (redemptionId: number) =>
  tillCall(ctx, staff.manager, '/api/staff/coupons/reverse', { redemptionId })

async function copiesOf(cardId: number, couponId: number) {
  const r = await row<{ n: number }>(
    ctx.db,
    sql`SELECT count(*) AS n FROM member_coupons WHERE card_id = ${cardId}
      AND coupon_id = ${couponId}`,
  )
  return Number(r?.n)
}

/** A member holding the first coupon of a chain first → second (bonus points 30 on the first). */
async function chain() {
  const tag = newTag()
  const [m] = await members(ctx, tag, 1, 100)
  if (!m) throw new Error('member')
  const second = await createCoupon(ctx, operator, { title: '2回目' })
  const first = await createCoupon(ctx, operator, {
    title: '1回目',
    reward: { type: 'bonusPoints', points: 30 },
    followUpCouponId: second.id,
  })
  await issue(ctx, operator, first.id, tag)
  const copy = await copyOf(ctx, m.user, first.id)
  const used = await redeem({ qrToken: m.qrNow(), memberCouponId: copy.id })
  expect(used.status, JSON.stringify(used.json)).toBe(200)
  return { m, first, second, copy, redemptionId: used.json.redemptionId as number }
}

describe('reversing a use that issued a follow-up coupon', () => {
  it('withdraws the unused follow-up copy in the same transaction', async () => {
    const { m, first, second, copy, redemptionId } = await chain()
    expect((await copyOf(ctx, m.user, second.id)).status).toBe('available')
    const done = await reverse(redemptionId)
    expect(done.status, JSON.stringify(done.json)).toBe(200)
    expect(done.json).toEqual({ redemptionId, memberCouponId: copy.id, balance: 100 })
    expect((await walletOf(ctx, m.user)).map((x) => x.couponId)).toEqual([first.id])
    expect(await copiesOf(m.cardId, second.id)).toBe(0)
    const detail = await ctx.call('GET', `/api/admin/coupons/${second.id}`, { headers: operator })
    expect(detail.json).toMatchObject({ issued: 0, used: 0 })
    // Used again, the chain gives the follow-up again (one copy, usable).
    const again = await redeem({ qrToken: m.qrNow(), memberCouponId: copy.id })
    expect(again.status).toBe(200)
    expect((await copyOf(ctx, m.user, second.id)).status).toBe('available')
    expect(await copiesOf(m.cardId, second.id)).toBe(1)
  })

  it('refuses with 409 COUPON_ALREADY_USED once the follow-up is used, and changes nothing', async () => {
    const { m, first, second, redemptionId } = await chain()
    const next = await copyOf(ctx, m.user, second.id)
    const usedNext = await redeem({ qrToken: m.qrNow(), memberCouponId: next.id })
    expect(usedNext.status).toBe(200)
    const refused = await reverse(redemptionId)
    expect(refused.status).toBe(409)
    expect(refused.json.error.code).toBe('COUPON_ALREADY_USED')
    expect(refused.json.error.message).toMatch(/follow-up coupon/)
    expect((await copyOf(ctx, m.user, first.id)).status).toBe('used')
    expect((await copyOf(ctx, m.user, second.id)).status).toBe('used')
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 130, balance: 130 })
    const reversedAt = await row<{ at: number | null }>(
      ctx.db,
      sql`SELECT reversed_at AS at FROM coupon_redemptions WHERE id = ${redemptionId}`,
    )
    expect(reversedAt?.at).toBeNull()
    // Reverse the follow-up's use first; then the first use reverses, and the follow-up copy
    // (its use reversed, so it has a redemption row) is ended rather than deleted.
    expect((await reverse(usedNext.json.redemptionId)).status).toBe(200)
    const done = await reverse(redemptionId)
    expect(done.status, JSON.stringify(done.json)).toBe(200)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 100, balance: 100 })
    expect((await copyOf(ctx, m.user, first.id)).status).toBe('available')
    expect((await copyOf(ctx, m.user, second.id)).status).toBe('expired')
  })

  it('keeps a follow-up copy the member held before the use (the use issued none)', async () => {
    const tag = newTag()
    const [m] = await members(ctx, tag, 1)
    if (!m) throw new Error('member')
    const second = await createCoupon(ctx, operator, { title: '2回目' })
    const first = await createCoupon(ctx, operator, { followUpCouponId: second.id })
    await issue(ctx, operator, second.id, tag)
    await issue(ctx, operator, first.id, tag)
    const used = await redeem({
      qrToken: m.qrNow(),
      memberCouponId: (await copyOf(ctx, m.user, first.id)).id,
    })
    expect(used.status).toBe(200)
    expect(await copiesOf(m.cardId, second.id)).toBe(1)
    expect((await reverse(used.json.redemptionId)).status).toBe(200)
    expect((await copyOf(ctx, m.user, second.id)).status).toBe('available')
    expect(await copiesOf(m.cardId, second.id)).toBe(1)
  })
})

interface Use {
  redemptionId: number
  couponTitle: string
  cardNumber: string
  memberName: string
  staffId: string
  pointsAwarded: number
  followUpTitle: string | null
  reversedBy: string | null
  reversible: boolean
}

async function uses(headers: Record<string, string>, query = ''): Promise<Use[]> {
  const res = await ctx.call('GET', `/api/staff/coupons/uses${query}`, { headers })
  expect(res.status, JSON.stringify(res.json)).toBe(200)
  return res.json.items
}

describe('the till’s list of today’s coupon uses (GET /api/staff/coupons/uses)', () => {
  it('lists the store’s uses newest first, reversible for a manager only, until reversed', async () => {
    const { m, redemptionId } = await chain()
    const mine = (items: Use[]) => items.find((u) => u.redemptionId === redemptionId)
    const forManager = await uses(staff.manager)
    expect(forManager[0]?.redemptionId).toBe(redemptionId)
    expect(mine(forManager)).toMatchObject({
      couponTitle: '1回目',
      staffId: expect.any(String),
      pointsAwarded: 30,
      followUpTitle: '2回目',
      reversedBy: null,
      reversible: true,
    })
    expect(mine(forManager)?.cardNumber).toMatch(/^\*+\d{4}$/)
    expect(mine(forManager)?.cardNumber).not.toContain(m.cardNumber.slice(0, 6))
    expect(mine(await uses(staff.clerk))?.reversible).toBe(false)
    expect(mine(await uses(staff.otherManager))).toBeUndefined()
    // mine=1: only the signed-in staff member's uses (the clerk made it, not the manager).
    expect(mine(await uses(staff.manager, '?mine=1'))).toBeUndefined()
    expect(mine(await uses(staff.clerk, '?mine=1'))).toBeDefined()
    expect((await reverse(redemptionId)).status).toBe(200)
    expect(mine(await uses(staff.manager))).toMatchObject({
      reversedBy: expect.any(String),
      reversible: false,
    })
  })

  it('answers 401 without a staff token and 400 for a bad cursor', async () => {
    expect((await ctx.call('GET', '/api/staff/coupons/uses')).status).toBe(401)
    const bad = await ctx.call('GET', '/api/staff/coupons/uses?before=x', {
      headers: staff.manager,
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error.code).toBe('VALIDATION_FAILED')
  })

  it('a use past the void window is no longer reversible', async () => {
    const { redemptionId } = await chain()
    ctx.clock.advance(61 * 60_000)
    const fresh = await signInStaff(ctx)
    const item = (await uses(fresh.manager)).find((u) => u.redemptionId === redemptionId)
    expect(item?.reversible).toBe(false)
  })
})

describe('a reversal racing a use of the follow-up it issued', () => {
  it('ends one way or the other: never a reversed use with its follow-up used', async () => {
    staff = await signInStaff(ctx) // the test before moved the clock past the sessions' idle end
    for (let round = 0; round < 15; round++) {
      const { m, second, redemptionId } = await chain()
      const next = await copyOf(ctx, m.user, second.id)
      const [rev, use] = await Promise.all([
        reverse(redemptionId),
        redeem({ qrToken: m.qrNow(), memberCouponId: next.id }),
      ])
      const state = await row<{ reversed: number | null; uses: number | null }>(
        ctx.db,
        sql`SELECT r.reversed_at AS reversed,
            (SELECT m.uses - m.reversals FROM member_coupons m WHERE m.id = ${next.id}) AS uses
          FROM coupon_redemptions r WHERE r.id = ${redemptionId}`,
      )
      if (rev.status === 200) {
        // The follow-up went with the reversal: its use was refused, and the copy is gone.
        expect([404, 409]).toContain(use.status)
        expect(state?.uses ?? null).toBeNull()
        expect(state?.reversed).not.toBeNull()
      } else {
        expect(rev.status).toBe(409)
        expect(rev.json.error.code).toBe('COUPON_ALREADY_USED')
        expect(use.status).toBe(200)
        expect(Number(state?.uses)).toBe(1)
        expect(state?.reversed ?? null).toBeNull()
      }
      expect(await cardState(ctx, m.cardId)).toEqual(
        rev.status === 200 ? { ledgerSum: 100, balance: 100 } : { ledgerSum: 130, balance: 130 },
      )
    }
  })
})
