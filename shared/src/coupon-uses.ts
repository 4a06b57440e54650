/**
 * A coupon use of the till's store, as the till lists them for a reversal
 * (`GET /api/staff/coupons/uses`, decision 097).
 */
export interface TillCouponUse {
  redemptionId: number
  memberCouponId: number
  couponId: number
  couponTitle: string
  createdAt: string
  staffId: string
  /** Masked, as the till shows every card number. */
  cardNumber: string
  memberName: string
  purchaseAmount: number | null
  /** The bonus points the use gave (0 unless a bonus-points coupon). */
  pointsAwarded: number
  /** The title of the follow-up coupon the use issued (a reversal takes it back), or null. */
  followUpTitle: string | null
  reversedAt: string | null
  reversedBy: string | null
  /** A manager may reverse it now: not reversed, within the void window. */
  reversible: boolean
}

/** `GET /api/staff/coupons/uses` answer: newest first; `nextCursor` for `before`. */
export interface TillCouponUses {
  items: TillCouponUse[]
  nextCursor: string | null
}
