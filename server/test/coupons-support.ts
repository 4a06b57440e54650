import { randomUUID } from 'node:crypto'
import { expect } from 'vitest'
import { linkedMember } from './points-support.ts'
import type { TestContext } from './support.ts'

let tagSeq = 0
/** A rank name of its own: a segment `rank in [tag]` matches only the members made with it. */
export function newTag(): string {
  tagSeq++
  return `t${Date.now() % 100000}x${tagSeq}`
}

/** The segment of the members made with `tag`. */
export const segmentOf = (tag: string) => ({
  all: [{ field: 'rank', op: 'in', value: [tag] }],
})

/** `n` linked members with rank `tag`. */
export async function members(ctx: TestContext, tag: string, n: number, points = 0) {
  const out = []
  for (let i = 0; i < n; i++) out.push(await linkedMember(ctx, { rank: tag, points }))
  return out
}

/** An ISO time `ms` from the context's now. */
export const isoIn = (ctx: TestContext, ms: number) => new Date(ctx.clock.now() + ms).toISOString()

/** Creates a coupon (201 expected) valid from an hour ago for `hours` hours. */
export async function createCoupon(
  ctx: TestContext,
  operator: Record<string, string>,
  extra: Record<string, unknown> = {},
  hours = 24 * 30,
) {
  const res = await ctx.call('POST', '/api/admin/coupons', {
    headers: operator,
    body: {
      title: '100円引き',
      reward: { type: 'discountYen', amount: 100 },
      validFrom: isoIn(ctx, -3_600_000),
      validUntil: isoIn(ctx, hours * 3_600_000),
      ...extra,
    },
  })
  expect(res.status, JSON.stringify(res.json)).toBe(201)
  return res.json as { id: number; title: string; [k: string]: unknown }
}

/** Issues coupon `id` to the members of `tag` (200 expected). */
export async function issue(
  ctx: TestContext,
  operator: Record<string, string>,
  id: number,
  tag: string,
  extra: Record<string, unknown> = {},
  key = randomUUID(),
) {
  const res = await ctx.call('POST', `/api/admin/coupons/${id}/issue`, {
    headers: { ...operator, 'Idempotency-Key': key },
    body: { segment: segmentOf(tag), ...extra },
  })
  expect(res.status, JSON.stringify(res.json)).toBe(200)
  return res
}

/** The member's coupons as `GET /api/coupons` answers them. */
export async function walletOf(ctx: TestContext, user: string) {
  const res = await ctx.call('GET', '/api/coupons', { headers: await ctx.userHeaders(user) })
  expect(res.status).toBe(200)
  return res.json.items as {
    id: number
    couponId: number
    status: string
    validUntil: string
    usesLeft: number
    usedAt: string | null
  }[]
}

/** The member's copy of coupon `couponId`. */
export async function copyOf(ctx: TestContext, user: string, couponId: number) {
  const item = (await walletOf(ctx, user)).find((c) => c.couponId === couponId)
  if (!item) throw new Error(`the member holds no copy of coupon ${couponId}`)
  return item
}
