import type { TillCouponUses } from '@membercard/shared'
import { maskCardNumber } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { PointsRules } from '../config.ts'
import type { Database } from '../db/seam.ts'
import { couponRedemptions } from '../repositories/coupon-redemptions.ts'
import { startOfDay } from './points.ts'
import type { StaffPrincipal } from './staff.ts'

const DAY_MS = 86_400_000

/**
 * Today's coupon uses of the till's store (or only the signed-in staff member's), newest
 * first, a page at a time: what a manager reverses a use from (decision 097). `reversible`
 * follows the reversal's own rules (manager, not reversed, within the void window); the
 * reversal checks them again.
 */
export function createCouponTillUses({
  db,
  clock,
  rules,
}: {
  db: Database
  clock: Clock
  rules: PointsRules
}) {
  return {
    async today(
      staff: StaffPrincipal,
      onlyMine: boolean,
      before?: number,
      limit = 100,
    ): Promise<TillCouponUses> {
      const now = clock.now()
      const start = startOfDay(now, rules.timeZone)
      const rows = await couponRedemptions.day(db, {
        storeCode: staff.storeCode,
        from: start,
        to: start + DAY_MS,
        staffId: onlyMine ? staff.staffId : null,
        before: before ?? Number.MAX_SAFE_INTEGER,
        limit: limit + 1,
      })
      const page = rows.slice(0, limit)
      const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString())
      const items = page.map((r) => ({
        redemptionId: Number(r.id),
        memberCouponId: Number(r.memberCouponId),
        couponId: Number(r.couponId),
        couponTitle: r.title,
        createdAt: new Date(Number(r.createdAt)).toISOString(),
        staffId: r.staffId,
        cardNumber: maskCardNumber(r.cardNumber),
        memberName: r.name,
        purchaseAmount: r.purchaseAmount === null ? null : Number(r.purchaseAmount),
        pointsAwarded: r.points === null ? 0 : Number(r.points),
        followUpTitle: r.followUpTitle,
        reversedAt: iso(r.reversedAt),
        reversedBy: r.reversedBy,
        reversible:
          staff.role === 'manager' &&
          r.reversedAt === null &&
          now - Number(r.createdAt) <= rules.voidWindowMs,
      }))
      const last = page.at(-1)
      return { items, nextCursor: rows.length > limit && last ? String(last.id) : null }
    },
  }
}

export type CouponTillUses = ReturnType<typeof createCouponTillUses>
