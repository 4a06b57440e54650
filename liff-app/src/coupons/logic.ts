import type { CouponReward, MemberCoupon } from './types.ts'

/** A coupon date: `YYYY-MM-DD` is a whole day in Asia/Tokyo; anything else an ISO time. */
const DAY = /^\d{4}-\d{2}-\d{2}$/

/** The last moment a coupon can be used (`validUntil` is inclusive: a date runs to its end). */
export function endsAt(validUntil: string): number {
  return DAY.test(validUntil)
    ? Date.parse(`${validUntil}T23:59:59.999+09:00`)
    : Date.parse(validUntil)
}

/** The first moment a coupon can be used. */
export function startsAt(validFrom: string): number {
  return DAY.test(validFrom) ? Date.parse(`${validFrom}T00:00:00+09:00`) : Date.parse(validFrom)
}

/**
 * A member's coupons as the coupons tab lists them: the available ones, soonest to expire
 * first; then the used, expired and ended ones, most recent first. The server sends them in
 * this order already; the screen does not depend on it.
 */
export function sortCoupons(items: readonly MemberCoupon[]): {
  available: MemberCoupon[]
  past: MemberCoupon[]
} {
  const available = items
    .filter((c) => c.status === 'available')
    .sort((a, b) => endsAt(a.validUntil) - endsAt(b.validUntil) || a.id - b.id)
  const pastTime = (c: MemberCoupon) => (c.usedAt ? Date.parse(c.usedAt) : endsAt(c.validUntil))
  const past = items
    .filter((c) => c.status !== 'available')
    .sort((a, b) => pastTime(b) - pastTime(a) || b.id - a.id)
  return { available, past }
}

/** Whole days left until the coupon runs out (0 on its last day); null when it has. */
export function daysLeft(validUntil: string, now = Date.now()): number | null {
  const left = endsAt(validUntil) - now
  if (left < 0) return null
  return Math.floor(left / 86_400_000)
}

/** The reward as a message key (`discountYen`…) and its values; each screen has its wording. */
export function rewardMessage(reward: CouponReward): {
  key: CouponReward['type']
  named: Record<string, string | number>
} {
  switch (reward.type) {
    case 'discountYen':
      return { key: reward.type, named: { amount: reward.amount } }
    case 'discountPercent':
      return { key: reward.type, named: { percent: reward.percent } }
    case 'freeItem':
      return { key: reward.type, named: { item: reward.item } }
    case 'bonusPoints':
      return { key: reward.type, named: { points: reward.points } }
  }
}

/** Formats a coupon date for people: a day as a day, a time with its time (Asia/Tokyo). */
export function couponDate(value: string, locale: 'ja' | 'en'): string {
  const lang = locale === 'ja' ? 'ja-JP' : 'en-GB'
  if (DAY.test(value)) {
    return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' }).format(
      new Date(`${value}T00:00:00Z`),
    )
  }
  return new Intl.DateTimeFormat(lang, {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'Asia/Tokyo',
  }).format(new Date(value))
}

/**
 * Whether a purchase amount meets a coupon's minimum: null when the coupon has none (nothing
 * to ask), else whether the amount typed (whole yen) is enough.
 */
export function meetsMinimum(minPurchaseYen: number | null, amount: number | null): boolean | null {
  if (minPurchaseYen === null) return null
  return amount !== null && amount >= minPurchaseYen
}
