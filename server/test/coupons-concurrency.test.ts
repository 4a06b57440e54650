import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../src/db/seam.ts'
import { bearerHeaders, roleHeaders } from './admin-support.ts'
import { copyOf, createCoupon, issue, members, newTag } from './coupons-support.ts'
import { reopenableDatabase, signInStaff, TILL_PASSWORD, tillCall } from './points-support.ts'
import { createTestContext, row, type TestContext } from './support.ts'

/**
 * Coupon limits under concurrency: many redemptions at once in one app, and two app instances
 * with their own connections (SQLite: two connections to one file; PostgreSQL: two pools, READ
 * COMMITTED) on the same database at once.
 */

const open = await reopenableDatabase()
const dbA: Database = await open()
const dbB: Database = await open()
afterAll(async () => {
  await dbA.close()
  await dbB.close()
})
const a = await createTestContext({ db: dbA, env: { LINK_BONUS_POINTS: '0' } })
// The second instance: the same database and secrets, its own connection(s) and process state.
const b = await createTestContext({ db: dbB, secrets: a.secrets, env: { LINK_BONUS_POINTS: '0' } })
b.clock.set(a.clock.now())

let operator: Record<string, string>
let clerkA: Record<string, string>
let clerkB: Record<string, string>

beforeAll(async () => {
  operator = (await roleHeaders(a)).operator
  clerkA = (await signInStaff(a)).clerk
  // The same account signed in on the other instance (its session is in the shared database).
  clerkB = await bearerHeaders(b, 'till-clerk', TILL_PASSWORD)
})

async function count(ctx: TestContext, statement: ReturnType<typeof sql>): Promise<number> {
  return Number((await row<{ n: number }>(ctx.db, statement))?.n ?? -1)
}

const redeemOn = (
  ctx: TestContext,
  headers: Record<string, string>,
  body: { qrToken: string; memberCouponId: number },
) => tillCall(ctx, headers, '/api/staff/coupons/redeem', body, randomUUID())

describe('coupon limits under concurrency', () => {
  it('50 parallel redemptions of a totalLimit-10 coupon: exactly 10 succeed', async () => {
    const tag = newTag()
    const ms = await members(a, tag, 50)
    const c = await createCoupon(a, operator, { totalLimit: 10 })
    await issue(a, operator, c.id, tag)
    const copies = await Promise.all(ms.map((m) => copyOf(a, m.user, c.id)))
    const results = await Promise.all(
      ms.map((m, i) =>
        redeemOn(a, clerkA, { qrToken: m.qrNow(), memberCouponId: copies[i]?.id ?? 0 }),
      ),
    )
    expect(results.filter((r) => r.status === 200)).toHaveLength(10)
    const refused = results.filter((r) => r.status !== 200)
    expect(refused).toHaveLength(40)
    for (const r of refused) {
      expect(r.status).toBe(409)
      expect(r.json.error.code).toBe('COUPON_ALREADY_USED')
    }
    expect(
      await count(a, sql`SELECT count(*) AS n FROM coupon_redemptions WHERE coupon_id = ${c.id}`),
    ).toBe(10)
    expect(await count(a, sql`SELECT used_count AS n FROM coupons WHERE id = ${c.id}`)).toBe(10)
    // The refused members still hold an unused copy.
    expect(
      await count(
        a,
        sql`SELECT count(*) AS n FROM member_coupons WHERE coupon_id = ${c.id} AND uses = 0`,
      ),
    ).toBe(40)
  })

  it('the same copy redeemed 20 times at once (fresh QR tokens, keys): used once', async () => {
    const tag = newTag()
    const [m] = await members(a, tag, 1)
    if (!m) throw new Error('member')
    const c = await createCoupon(a, operator)
    await issue(a, operator, c.id, tag)
    const copy = await copyOf(a, m.user, c.id)
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        redeemOn(a, clerkA, { qrToken: m.qrNow(), memberCouponId: copy.id }),
      ),
    )
    expect(results.filter((r) => r.status === 200)).toHaveLength(1)
    expect(
      results.filter((r) => r.status === 409 && r.json.error.code === 'COUPON_ALREADY_USED'),
    ).toHaveLength(19)
  })

  it('two instances at once: the same copy is used once, a total limit holds exactly', async () => {
    const tag = newTag()
    const ms = await members(a, tag, 12)
    const one = await createCoupon(a, operator, { title: 'one copy' })
    const total = await createCoupon(a, operator, { title: 'total 5', totalLimit: 5 })
    await issue(a, operator, one.id, tag)
    await issue(a, operator, total.id, tag)
    const first = ms[0]
    if (!first) throw new Error('member')
    const copy = await copyOf(a, first.user, one.id)
    const same = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        i % 2
          ? redeemOn(a, clerkA, { qrToken: first.qrNow(), memberCouponId: copy.id })
          : redeemOn(b, clerkB, { qrToken: first.qrNow(), memberCouponId: copy.id }),
      ),
    )
    expect(same.filter((r) => r.status === 200)).toHaveLength(1)
    expect(same.filter((r) => r.json?.error?.code === 'COUPON_ALREADY_USED')).toHaveLength(15)
    const copies = await Promise.all(ms.map((m) => copyOf(a, m.user, total.id)))
    const spread = await Promise.all(
      ms.map((m, i) =>
        redeemOn(i % 2 ? a : b, i % 2 ? clerkA : clerkB, {
          qrToken: m.qrNow(),
          memberCouponId: copies[i]?.id ?? 0,
        }),
      ),
    )
    expect(spread.filter((r) => r.status === 200)).toHaveLength(5)
    expect(spread.filter((r) => r.json?.error?.code === 'COUPON_ALREADY_USED')).toHaveLength(7)
    expect(
      await count(
        a,
        sql`SELECT count(*) AS n FROM coupon_redemptions WHERE coupon_id = ${total.id}`,
      ),
    ).toBe(5)
  })
})
