import type { Coupon, CouponReward, MemberCoupon, MemberCouponStatus } from '@membercard/shared'
import type { CouponRow } from '../repositories/coupons.ts'
import type { MemberCouponRow } from '../repositories/member-coupons.ts'

const iso = (ms: number) => new Date(Number(ms)).toISOString()

/** The reward of a stored coupon, as the API shows it. */
export function rewardOf(r: {
  rewardType: CouponRow['rewardType']
  rewardValue: number | null
  rewardItem: string | null
}): CouponReward {
  const n = Number(r.rewardValue ?? 0)
  switch (r.rewardType) {
    case 'discountYen':
      return { type: 'discountYen', amount: n }
    case 'discountPercent':
      return { type: 'discountPercent', percent: n }
    case 'freeItem':
      return { type: 'freeItem', item: r.rewardItem ?? '' }
    case 'bonusPoints':
      return { type: 'bonusPoints', points: n }
  }
}

/** The stored columns of a reward. */
export function rewardColumns(r: CouponReward) {
  switch (r.type) {
    case 'discountYen':
      return { rewardType: r.type, rewardValue: r.amount, rewardItem: null }
    case 'discountPercent':
      return { rewardType: r.type, rewardValue: r.percent, rewardItem: null }
    case 'freeItem':
      return { rewardType: r.type, rewardValue: null, rewardItem: r.item }
    case 'bonusPoints':
      return { rewardType: r.type, rewardValue: r.points, rewardItem: null }
  }
}

export function storeCodesOf(json: string | null): string[] | null {
  if (json === null) return null
  const v = JSON.parse(json) as unknown
  return Array.isArray(v) ? v.map(String) : null
}

const num = (v: number | null) => (v === null ? null : Number(v))

/** A coupon definition as the console sees it; ended early, or past its validity. */
export function toCoupon(r: CouponRow, now: number): Coupon {
  return {
    id: Number(r.id),
    title: r.title,
    description: r.description,
    imageUrl: r.imageUrl,
    reward: rewardOf(r),
    validFrom: r.validFrom,
    validUntil: r.validUntil,
    validDaysAfterIssue: num(r.validDaysAfterIssue),
    perMemberLimit: Number(r.perMemberLimit),
    totalLimit: num(r.totalLimit),
    minPurchaseYen: num(r.minPurchaseYen),
    storeCodes: storeCodesOf(r.storeCodes),
    followUpCouponId: num(r.followUpCouponId),
    status: r.endedAt !== null || now >= Number(r.endsAt) ? 'ended' : 'active',
    issued: Number(r.issued),
    used: Number(r.usedCount),
    createdAt: iso(r.createdAt),
  }
}

/** Uses left on a member's copy. */
export function usesLeftOf(r: MemberCouponRow): number {
  return Math.max(0, Number(r.perMemberLimit) - (Number(r.uses) - Number(r.reversals)))
}

/** A copy's state now: used up, ended early, past its end, or available. */
export function statusOf(r: MemberCouponRow, now: number): MemberCouponStatus {
  if (usesLeftOf(r) === 0) return 'used'
  if (r.endedAt !== null) return 'ended'
  if (now >= Number(r.validUntil)) return 'expired'
  return 'available'
}

/** A member's copy as the customer and the till see it. */
export function toMemberCoupon(r: MemberCouponRow, now: number): MemberCoupon {
  const usesLeft = usesLeftOf(r)
  const used = Number(r.uses) - Number(r.reversals) > 0
  return {
    id: Number(r.id),
    couponId: Number(r.couponId),
    title: r.title,
    description: r.description,
    imageUrl: r.imageUrl,
    reward: rewardOf(r),
    validFrom: iso(r.startsAt),
    // The last moment it can be used (the stored end is exclusive): a date shows the right day.
    validUntil: iso(Number(r.validUntil) - 1),
    minPurchaseYen: num(r.minPurchaseYen),
    storeCodes: storeCodesOf(r.storeCodes),
    status: statusOf(r, now),
    usedAt: used && r.lastUsedAt !== null ? iso(r.lastUsedAt) : null,
    usesLeft,
  }
}

/**
 * The contract's order: available first, soonest to expire first; then the others (used,
 * expired, ended), the most recent first.
 */
export function contractOrder(items: MemberCoupon[]): MemberCoupon[] {
  const available = items
    .filter((c) => c.status === 'available')
    .sort((a, b) => a.validUntil.localeCompare(b.validUntil) || a.id - b.id)
  const rest = items
    .filter((c) => c.status !== 'available')
    .sort(
      (a, b) => (b.usedAt ?? b.validUntil).localeCompare(a.usedAt ?? a.validUntil) || b.id - a.id,
    )
  return [...available, ...rest]
}

/** Whether a copy can be used at `storeCode` now (the till's list after a scan). */
export function usableAt(r: MemberCouponRow, storeCode: string, now: number): boolean {
  if (statusOf(r, now) !== 'available' || now < Number(r.startsAt)) return false
  const stores = storeCodesOf(r.storeCodes)
  return stores === null || stores.includes(storeCode)
}
