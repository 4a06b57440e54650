import type { MemberCoupon } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { CouponNotFound } from '../domain/coupon-errors.ts'
import { links } from '../repositories/links.ts'
import { memberCoupons } from '../repositories/member-coupons.ts'
import { contractOrder, toMemberCoupon } from './coupon-view.ts'

/**
 * The member's own coupons (`GET /api/coupons`, `GET /api/coupons/{id}`): those of the card
 * the caller's LINE account is linked to now, and nobody else's.
 */
export function createCouponWallet({ db, clock }: { db: Database; clock: Clock }) {
  async function cardOf(lineUserId: string): Promise<number | undefined> {
    return (await links.activeByUser(db, lineUserId))?.cardId
  }

  return {
    /** Available first (soonest to expire first), then used, expired and ended ones. */
    async list(lineUserId: string): Promise<{ items: MemberCoupon[] }> {
      const cardId = await cardOf(lineUserId)
      if (cardId === undefined) return { items: [] }
      const now = clock.now()
      const rows = await memberCoupons.ofCard(db, Number(cardId))
      return { items: contractOrder(rows.map((r) => toMemberCoupon(r, now))) }
    },

    /** One of the member's coupons; COUPON_NOT_FOUND when unknown or another member's. */
    async get(lineUserId: string, id: number): Promise<MemberCoupon> {
      const cardId = await cardOf(lineUserId)
      const row = await memberCoupons.byId(db, id)
      if (cardId === undefined || !row || Number(row.cardId) !== Number(cardId)) {
        throw new CouponNotFound()
      }
      return toMemberCoupon(row, clock.now())
    },
  }
}

export type CouponWallet = ReturnType<typeof createCouponWallet>
