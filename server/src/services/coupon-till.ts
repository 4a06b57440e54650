import type { CouponRedeemResult, CouponReverseResult, MemberCoupon } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { PointsRules } from '../config.ts'
import type { Database, Tx } from '../db/seam.ts'
import {
  CouponAlreadyUsed,
  CouponConditionNotMet,
  CouponEnded,
  CouponExpired,
  CouponLimitReached,
  CouponNotFound,
} from '../domain/coupon-errors.ts'
import {
  AlreadyVoided,
  Forbidden,
  TransactionNotFound,
  VoidWindowPassed,
} from '../domain/errors.ts'
import { cards } from '../repositories/cards.ts'
import { couponRedemptions } from '../repositories/coupon-redemptions.ts'
import { coupons } from '../repositories/coupons.ts'
import { ledger } from '../repositories/ledger.ts'
import { type MemberCouponRow, memberCoupons } from '../repositories/member-coupons.ts'
import { storeCodesOf, toMemberCoupon, usableAt, usesLeftOf } from './coupon-view.ts'
import type { CouponsService } from './coupons.ts'
import type { IdempotencyClaim } from './idempotency.ts'
import type { PointsService } from './points.ts'
import { QR_SPEND } from './qr-use.ts'
import type { StaffPrincipal } from './staff.ts'

/** A coupon use, as told to listeners in its transaction (webhooks: `coupon.redeemed`). */
export interface CouponRedeemed {
  redemptionId: number
  memberCouponId: number
  couponId: number
  couponTitle: string
  cardId: number
  storeCode: string
  staffId: string
  purchaseAmount: number | null
  pointsAwarded: number
  at: number
}

export interface CouponTillDeps {
  db: Database
  clock: Clock
  rules: PointsRules
  points: PointsService
  coupons: Pick<CouponsService, 'copyEnd'>
  /** Called in the use's transaction, after it is written (a rollback undoes what it queued). */
  onRedeemed?: ((tx: Tx, e: CouponRedeemed) => Promise<void>) | undefined
}

const dateOf = (ms: number) => new Date(ms).toISOString()

/**
 * Coupons at the till (issue 16): the member's coupons usable at this store after a scan, a
 * use (once, exact on every instance: conditional updates and a unique use number), and a
 * manager's reversal within the void window. A bonus-points reward moves points in the same
 * transaction as the use (ledger type `coupon`).
 */
export function createCouponTill({
  db,
  clock,
  rules,
  points,
  coupons: defs,
  onRedeemed,
}: CouponTillDeps) {
  const till = points.till

  /** Why a copy cannot be used here and now (throws), in the contract's errors. */
  function check(
    mc: MemberCouponRow,
    storeCode: string,
    purchase: number | undefined,
    now: number,
  ) {
    if (usesLeftOf(mc) === 0) throw new CouponAlreadyUsed()
    if (mc.endedAt !== null) throw new CouponEnded()
    if (now >= Number(mc.validUntil)) {
      throw new CouponExpired(`This coupon expired at ${dateOf(Number(mc.validUntil) - 1)}.`)
    }
    if (now < Number(mc.startsAt)) {
      throw new CouponConditionNotMet(
        `This coupon can be used from ${dateOf(Number(mc.startsAt))}, not yet.`,
      )
    }
    const stores = storeCodesOf(mc.storeCodes)
    if (stores !== null && !stores.includes(storeCode)) {
      throw new CouponConditionNotMet(
        `This coupon is not valid at this store (only at ${stores.join(', ')}).`,
      )
    }
    const min = mc.minPurchaseYen === null ? null : Number(mc.minPurchaseYen)
    if (min !== null && (purchase === undefined || purchase < min)) {
      throw new CouponConditionNotMet(
        purchase === undefined
          ? `This coupon needs a purchase of at least ${min} yen: enter the purchase amount.`
          : `This coupon needs a purchase of at least ${min} yen (this one is ${purchase} yen).`,
      )
    }
  }

  /**
   * In `tx`: the follow-up coupon of a used one, to the same card, if it is still running and
   * the card holds no usable copy; the new copy's id (a reversal withdraws it).
   */
  async function issueFollowUp(
    tx: Tx,
    mc: MemberCouponRow,
    now: number,
  ): Promise<number | undefined> {
    if (mc.followUpCouponId === null) return undefined
    const next = await coupons.byId(tx, Number(mc.followUpCouponId))
    if (!next || next.endedAt !== null || now >= Number(next.endsAt)) return undefined
    return memberCoupons.issueNext(tx, {
      couponId: Number(next.id),
      cardId: Number(mc.cardId),
      source: 'followUp',
      at: now,
      validUntil: defs.copyEnd(next, now),
      limit: Number(next.perMemberLimit),
    })
  }

  return {
    /** The member's coupons usable at `storeCode` now, soonest to expire first. */
    async usableAt(cardId: number, storeCode: string): Promise<MemberCoupon[]> {
      const now = clock.now()
      return (await memberCoupons.ofCard(db, cardId))
        .filter((r) => usableAt(r, storeCode, now))
        .sort((a, b) => Number(a.validUntil) - Number(b.validUntil) || Number(a.id) - Number(b.id))
        .map((r) => toMemberCoupon(r, now))
    },

    /** Uses the member coupon of the member the QR token names, once. */
    async redeem(
      staff: StaffPrincipal,
      input: { qrToken: string; memberCouponId: number; purchaseAmount?: number | undefined },
      claim: IdempotencyClaim,
    ): Promise<CouponRedeemResult> {
      const now = clock.now()
      const qr = await till.checkQr(input.qrToken, now)
      return db.transaction(async (tx) => {
        await claim.enter(tx)
        await till.useAtStore(tx, staff, qr, QR_SPEND.coupon)
        const card = await till.cardOfLink(tx, qr.linkId)
        const mc = await memberCoupons.byId(tx, input.memberCouponId)
        if (!mc || Number(mc.cardId) !== card.cardId) throw new CouponNotFound()
        check(mc, staff.storeCode, input.purchaseAmount, now)
        // The copy's use first (its row), then the coupon's total: one lock order everywhere.
        const useNo = await memberCoupons.takeUse(tx, mc.id, Number(mc.perMemberLimit), now)
        if (useNo === undefined) throw new CouponAlreadyUsed()
        if (!(await coupons.takeUse(tx, Number(mc.couponId)))) {
          const c = await coupons.byId(tx, Number(mc.couponId))
          if (c?.endedAt !== null) throw new CouponEnded()
          throw new CouponLimitReached(Number(c.totalLimit))
        }
        let balance = card.points
        let pointsAwarded = 0
        let ledgerId: number | null = null
        if (mc.rewardType === 'bonusPoints') {
          pointsAwarded = Number(mc.rewardValue)
          const e = await till.append(
            tx,
            {
              cardId: card.cardId,
              type: 'coupon',
              points: pointsAwarded,
              storeCode: staff.storeCode,
              staffId: staff.staffId,
              idempotencyKey: claim.key,
              qrTokenId: qr.tokenId,
              note: `coupon:${mc.couponId}`,
              at: now,
            },
            undefined,
            {
              lineUserId: card.lineUserId,
              lineLanguage: card.lineLanguage,
              storeName: staff.storeName,
            },
          )
          balance = e.balance
          ledgerId = e.id
        }
        const followUpId = await issueFollowUp(tx, mc, now)
        const redemptionId = await couponRedemptions.insert(tx, {
          memberCouponId: Number(mc.id),
          useNo,
          couponId: Number(mc.couponId),
          cardId: card.cardId,
          storeCode: staff.storeCode,
          staffId: staff.staffId,
          purchaseAmount: input.purchaseAmount ?? null,
          ledgerId,
          followUpMemberCouponId: followUpId ?? null,
          idempotencyKey: claim.key,
          at: now,
        })
        await onRedeemed?.(tx, {
          redemptionId,
          memberCouponId: Number(mc.id),
          couponId: Number(mc.couponId),
          couponTitle: mc.title,
          cardId: card.cardId,
          storeCode: staff.storeCode,
          staffId: staff.staffId,
          purchaseAmount: input.purchaseAmount ?? null,
          pointsAwarded,
          at: now,
        })
        const r: CouponRedeemResult = {
          redemptionId,
          memberCouponId: Number(mc.id),
          balance,
          couponTitle: mc.title,
          pointsAwarded,
        }
        await claim.complete(tx, 200, r)
        return r
      })
    },

    /**
     * A manager reverses a use of their store within the void window: the copy and the total
     * get the use back; bonus points are taken back with a `void` entry. The same errors as a
     * points void (FORBIDDEN, TRANSACTION_NOT_FOUND, ALREADY_VOIDED, VOID_WINDOW_PASSED, and
     * INSUFFICIENT_POINTS when the bonus points are spent already).
     */
    async reverse(
      staff: StaffPrincipal,
      redemptionId: number,
      claim: IdempotencyClaim,
    ): Promise<CouponReverseResult> {
      if (staff.role !== 'manager') {
        throw new Forbidden('Only a manager can reverse a coupon use. Ask a manager to sign in.')
      }
      const now = clock.now()
      return db.transaction(async (tx) => {
        await claim.enter(tx)
        const r = await couponRedemptions.byId(tx, redemptionId)
        if (!r || r.storeCode !== staff.storeCode) throw new TransactionNotFound()
        if (r.reversedAt !== null) throw new AlreadyVoided()
        if (now - Number(r.createdAt) > rules.voidWindowMs) throw new VoidWindowPassed()
        // Two managers at once: the second waits here and then finds it reversed.
        if (!(await couponRedemptions.reverse(tx, redemptionId, now, staff.staffId))) {
          throw new AlreadyVoided()
        }
        // The follow-up copy this use issued goes with it (decision 096), locked before the
        // used copy: a use locks one copy, so copies-then-coupon-then-card stays one order.
        if (r.followUpMemberCouponId !== null) {
          const fate = await memberCoupons.withdraw(tx, Number(r.followUpMemberCouponId), now)
          if (fate === 'used') {
            throw new CouponAlreadyUsed(
              'The follow-up coupon this use gave the member has been used already, so the use ' +
                'cannot be reversed. Reverse that use first.',
            )
          }
        }
        await memberCoupons.giveBackUse(tx, Number(r.memberCouponId))
        await coupons.giveBackUse(tx, Number(r.couponId))
        let balance: number
        const entry = r.ledgerId === null ? undefined : await ledger.byId(tx, Number(r.ledgerId))
        if (entry) {
          const e = await till.append(
            tx,
            {
              cardId: entry.cardId,
              type: 'void',
              points: -entry.points,
              storeCode: staff.storeCode,
              staffId: staff.staffId,
              idempotencyKey: claim.key,
              voidsEntryId: entry.id,
              note: `coupon use ${redemptionId} reversed`,
              at: now,
            },
            'The member has already used the coupon’s bonus points, so the use cannot be reversed.',
          )
          balance = e.balance
        } else {
          balance = Number((await cards.byId(tx, Number(r.cardId)))?.points ?? 0)
        }
        const out: CouponReverseResult = {
          redemptionId,
          memberCouponId: Number(r.memberCouponId),
          balance,
        }
        await claim.complete(tx, 200, out)
        return out
      })
    },
  }
}

export type CouponTill = ReturnType<typeof createCouponTill>
