import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { roleHeaders } from './admin-support.ts'
import { copyOf, createCoupon, issue, members, newTag } from './coupons-support.ts'
import { signInStaff, tillCall } from './points-support.ts'
import { createTestContext } from './support.ts'

/**
 * `coupon.redeemed` (docs/pos-integration.md §7): queued in the transaction of the coupon's use,
 * in the member's order after the bonus points' `points.changed`; nothing for a use refused or
 * for a reversal (its bonus points' `void` is a `points.changed`).
 */

const ctx = await createTestContext({
  env: { LINK_BONUS_POINTS: '0', POINTS_VOID_WINDOW_MINUTES: '60', WEBHOOK_ALLOW_PRIVATE: 'true' },
})
let roles: Awaited<ReturnType<typeof roleHeaders>>
let staff: Awaited<ReturnType<typeof signInStaff>>

beforeAll(async () => {
  roles = await roleHeaders(ctx)
  staff = await signInStaff(ctx)
})

async function register(events: string[]): Promise<number> {
  const res = await ctx.call('POST', '/api/admin/webhooks', {
    headers: roles.admin,
    body: { url: 'http://127.0.0.1:9/hook', events },
  })
  expect(res.status, JSON.stringify(res.json)).toBe(201)
  return res.json.id as number
}

/** The events queued to an endpoint, in order. */
async function queued(endpointId: number) {
  const rows = await ctx.db.execute<{ orderKey: string; body: string }>(
    sql`SELECT order_key AS "orderKey", body FROM webhook_deliveries
      WHERE endpoint_id = ${endpointId} ORDER BY id`,
  )
  return rows.map((r) => {
    const e = JSON.parse(r.body) as { type: string; data: Record<string, unknown> }
    return { orderKey: r.orderKey, type: e.type, data: e.data }
  })
}

const redeem = (body: { qrToken: string; memberCouponId: number; purchaseAmount?: number }) =>
  tillCall(ctx, staff.clerk, '/api/staff/coupons/redeem', body)

describe('coupon.redeemed', () => {
  it('is queued with the use, after the bonus points; a refused use and a reversal add no coupon event', async () => {
    const endpoint = await register(['coupon.redeemed', 'points.changed'])
    const tag = newTag()
    const [m] = await members(ctx, tag, 1, 100)
    if (!m) throw new Error('member')
    const c = await createCoupon(ctx, roles.operator, {
      title: 'ボーナス50',
      reward: { type: 'bonusPoints', points: 50 },
    })
    await issue(ctx, roles.operator, c.id, tag)
    const copy = await copyOf(ctx, m.user, c.id)
    const ok = await redeem({ qrToken: m.qrNow(), memberCouponId: copy.id, purchaseAmount: 800 })
    expect(ok.status, JSON.stringify(ok.json)).toBe(200)
    const events = await queued(endpoint)
    expect(events.map((e) => e.type)).toEqual(['points.changed', 'coupon.redeemed'])
    expect(events.every((e) => e.orderKey === `card:${m.cardId}`)).toBe(true)
    expect(events[0]?.data).toMatchObject({ type: 'coupon', points: 50, balance: 150 })
    expect(events[1]?.data).toEqual({
      redemptionId: ok.json.redemptionId,
      memberCouponId: copy.id,
      couponId: c.id,
      couponTitle: 'ボーナス50',
      cardId: m.cardId,
      cardNumber: events[0]?.data.cardNumber,
      storeCode: 'S001',
      staffId: expect.any(String),
      purchaseAmount: 800,
      pointsAwarded: 50,
      occurredAt: new Date(ctx.clock.now()).toISOString(),
    })
    expect(events[1]?.data.cardNumber).toMatch(/^\d+$/)
    // Used up: the second use is refused and rolled back, queuing nothing.
    const twice = await redeem({ qrToken: m.qrNow(), memberCouponId: copy.id })
    expect(twice.status).toBe(409)
    expect(await queued(endpoint)).toHaveLength(2)
    // A reversal: the bonus points' void, no coupon event.
    const back = await tillCall(ctx, staff.manager, '/api/staff/coupons/reverse', {
      redemptionId: ok.json.redemptionId,
    })
    expect(back.status, JSON.stringify(back.json)).toBe(200)
    const after = await queued(endpoint)
    expect(after.map((e) => e.type)).toEqual([
      'points.changed',
      'coupon.redeemed',
      'points.changed',
    ])
    expect(after[2]?.data).toMatchObject({ type: 'void', points: -50 })
  })

  it('reaches only endpoints subscribed to it; a coupon without points sends it alone', async () => {
    const pointsOnly = await register(['points.changed'])
    const coupons = await register(['coupon.redeemed'])
    const tag = newTag()
    const [m] = await members(ctx, tag, 1)
    if (!m) throw new Error('member')
    const c = await createCoupon(ctx, roles.operator)
    await issue(ctx, roles.operator, c.id, tag)
    const copy = await copyOf(ctx, m.user, c.id)
    const ok = await redeem({ qrToken: m.qrNow(), memberCouponId: copy.id })
    expect(ok.status, JSON.stringify(ok.json)).toBe(200)
    expect(await queued(pointsOnly)).toEqual([])
    const events = await queued(coupons)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      orderKey: `card:${m.cardId}`,
      type: 'coupon.redeemed',
      data: { memberCouponId: copy.id, couponId: c.id, pointsAwarded: 0, purchaseAmount: null },
    })
  })
})
