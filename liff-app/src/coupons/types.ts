import type { CouponRedeemResult, CouponReverseResult, CouponReward } from '@membercard/shared'

/** The coupon shapes the server answers with (shared/src/coupons.ts), as the screens read them. */
export type { Coupon, CouponDetail, CouponReward, MemberCoupon } from '@membercard/shared'

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
export type CouponRedemption = CouponRedeemResult

/** `POST /api/staff/coupons/reverse`'s answer. */
export type CouponReversal = CouponReverseResult
