import type { Executor, Tx } from '../db/seam.ts'

/** A promotional notice that a coupon was issued to a member. */
export interface CouponNotice {
  userId: string
  couponId: number
  title: string
  /** The operator's own text; absent: the default wording. */
  message?: string | undefined
  at: number
}

/**
 * Queues a notice in `tx` (the outbox, with the commit); false when it was queued
 * before (once per coupon and member).
 */
export type CouponNoticeSender = (tx: Tx, n: CouponNotice) => Promise<boolean>

/**
 * THE PLUG POINT of the promotional frequency cap (WAVE3-API "messaging-settings", built by
 * the campaigns work): of `userIds` (reachable members: friends with promotions on), those
 * who may get one more promotional message now, in `tx`. Until the cap is merged, everyone.
 * Coupon notices call it once per batch; wire the cap's check and its counting here.
 */
export async function allowedByFrequencyCap(
  _tx: Executor,
  userIds: readonly string[],
  _at: number,
): Promise<string[]> {
  return [...userIds]
}

/** The default text of a coupon notice: Japanese first, English second. */
export function couponNoticeText(n: CouponNotice): string {
  if (n.message !== undefined) return n.message
  return `クーポンが届きました：「${n.title}」\nメニューの「クーポン」からご確認ください。\n\nYou have a new coupon: "${n.title}". Open Coupons in the menu to see it.`
}
