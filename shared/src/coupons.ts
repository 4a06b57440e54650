import { z } from 'zod'
import { segmentSchema } from './segments.ts'

/** What a coupon gives. */
export const couponRewardSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('discountYen'),
    amount: z.number().int().min(1).max(1_000_000),
  }),
  z.strictObject({ type: z.literal('discountPercent'), percent: z.number().int().min(1).max(100) }),
  z.strictObject({ type: z.literal('freeItem'), item: z.string().trim().min(1).max(100) }),
  z.strictObject({ type: z.literal('bonusPoints'), points: z.number().int().min(1).max(100_000) }),
])
export type CouponReward = z.infer<typeof couponRewardSchema>

/** `YYYY-MM-DD` (a whole day in the till's time zone) or an ISO-8601 time with its offset. */
export const couponTimeSchema = z
  .string()
  .max(40)
  .refine(
    (s) =>
      /^\d{4}-\d{2}-\d{2}$/.test(s)
        ? !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) &&
          new Date(`${s}T00:00:00Z`).toISOString().startsWith(s)
        : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(s) &&
          !Number.isNaN(Date.parse(s)),
    'a date as YYYY-MM-DD or an ISO-8601 time with a time zone (2026-12-01T10:00:00+09:00)',
  )

/** An id in a body: a positive integer, or its digits as a string. */
export const couponIdSchema = z.union([
  z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/, 'an id')
    .transform(Number),
])

/** `POST /api/admin/coupons` body (the contract's, plus the optional extras of WAVE3-API). */
export const couponCreateSchema = z.strictObject({
  title: z.string().trim().min(1).max(100),
  description: z.string().trim().max(1000).optional(),
  imageUrl: z
    .string()
    .max(2000)
    .url()
    .refine((u) => u.startsWith('https://'), 'an https:// URL')
    .optional(),
  reward: couponRewardSchema,
  validFrom: couponTimeSchema,
  validUntil: couponTimeSchema,
  validDaysAfterIssue: z.number().int().min(1).max(3650).optional(),
  perMemberLimit: z.number().int().min(1).max(100).optional(),
  totalLimit: z.number().int().min(1).max(100_000_000).optional(),
  minPurchaseYen: z.number().int().min(1).max(100_000_000).optional(),
  storeCodes: z.array(z.string().trim().min(1).max(32)).min(1).max(200).optional(),
  followUpCouponId: couponIdSchema.optional(),
})
export type CouponCreate = z.infer<typeof couponCreateSchema>

/** `POST /api/admin/coupons/{id}/issue` body. */
export const couponIssueSchema = z.strictObject({
  segment: segmentSchema,
  notify: z.boolean().optional(),
  message: z.string().trim().min(1).max(500).optional(),
})
export type CouponIssue = z.infer<typeof couponIssueSchema>

/** `POST /api/staff/coupons/redeem` body. */
export const couponRedeemSchema = z.strictObject({
  qrToken: z.string().min(1).max(256),
  memberCouponId: couponIdSchema,
  purchaseAmount: z.number().int().min(0).max(100_000_000).optional(),
})

/** `POST /api/staff/coupons/reverse` body. */
export const couponReverseSchema = z.strictObject({
  redemptionId: couponIdSchema,
})

/** `GET /api/admin/coupons?cursor=` query. */
export const couponListQuerySchema = z.strictObject({
  cursor: z.string().max(40).optional(),
})

/** A coupon definition as the console sees it. */
export interface Coupon {
  id: number
  title: string
  description: string | null
  imageUrl: string | null
  reward: CouponReward
  validFrom: string
  validUntil: string
  validDaysAfterIssue: number | null
  perMemberLimit: number
  totalLimit: number | null
  minPurchaseYen: number | null
  /** null: every store. */
  storeCodes: string[] | null
  followUpCouponId: number | null
  status: 'active' | 'ended'
  issued: number
  used: number
  createdAt: string
}

/** `GET /api/admin/coupons/{id}`: the coupon and its usage. */
export interface CouponDetail extends Coupon {
  /** used ÷ issued (null when none issued). */
  usageRate: number | null
  byStore: { storeCode: string; used: number }[]
  byDay: { date: string; issued: number; used: number }[]
}

export type MemberCouponStatus = 'available' | 'used' | 'expired' | 'ended'

/** A member's copy of a coupon (customer and till). */
export interface MemberCoupon {
  id: number
  couponId: number
  title: string
  description: string | null
  imageUrl: string | null
  reward: CouponReward
  /** ISO-8601: the first moment it can be used. */
  validFrom: string
  /** ISO-8601: the last moment it can be used (this copy's, with `validDaysAfterIssue`). */
  validUntil: string
  minPurchaseYen: number | null
  storeCodes: string[] | null
  status: MemberCouponStatus
  usedAt: string | null
  usesLeft: number
}

/** `POST /api/staff/coupons/redeem` answer. */
export interface CouponRedeemResult {
  redemptionId: number
  memberCouponId: number
  balance: number
  couponTitle: string
  pointsAwarded: number
}

/** `POST /api/staff/coupons/reverse` answer. */
export interface CouponReverseResult {
  redemptionId: number
  memberCouponId: number
  balance: number
}
