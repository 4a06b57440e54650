/**
 * The coupon shapes of `WAVE3-API.md` ("Coupons"), as the screens read them. The server's
 * route types (`AppType`) will carry them once the coupon routes are merged; until then the
 * screens call those routes through these types (docs/decisions/085).
 */

/** What a coupon gives. */
export type CouponReward =
  | { type: 'discountYen'; amount: number }
  | { type: 'discountPercent'; percent: number }
  | { type: 'freeItem'; item: string }
  | { type: 'bonusPoints'; points: number }

/** A member's copy of a coupon (the customer's list, the till's scan). */
export interface MemberCoupon {
  id: number
  couponId: number
  title: string
  description: string | null
  imageUrl: string | null
  reward: CouponReward
  /** `YYYY-MM-DD` (a whole day, Asia/Tokyo) or an ISO-8601 time. */
  validFrom: string
  validUntil: string
  minPurchaseYen: number | null
  /** null: every store. */
  storeCodes: string[] | null
  status: 'available' | 'used' | 'expired' | 'ended'
  usedAt: string | null
  usesLeft: number
}

/** A coupon definition (the console). */
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
  storeCodes: string[] | null
  followUpCouponId: number | null
  status: 'active' | 'ended'
  issued: number
  used: number
  createdAt: string
}

/** A coupon with its counts (`GET /api/admin/coupons/{id}`). */
export interface CouponDetail extends Coupon {
  usageRate: number
  byStore: { storeCode: string; used: number }[]
  byDay: { date: string; issued: number; used: number }[]
}

/** The body of `POST /api/admin/coupons`. */
export interface NewCoupon {
  title: string
  description?: string
  imageUrl?: string
  reward: CouponReward
  validFrom: string
  validUntil: string
  validDaysAfterIssue?: number
  perMemberLimit?: number
  totalLimit?: number
  minPurchaseYen?: number
  storeCodes?: string[]
  followUpCouponId?: number
}

/** `POST /api/staff/coupons/redeem`'s answer. */
export interface CouponRedemption {
  redemptionId: string | number
  memberCouponId: number
  balance: number
  couponTitle: string
  pointsAwarded: number
}

/** `POST /api/staff/coupons/reverse`'s answer. */
export interface CouponReversal {
  redemptionId: string | number
  memberCouponId: number
  balance: number
}
