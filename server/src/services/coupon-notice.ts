import type { Tx } from '../db/seam.ts'

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

/** The default text of a coupon notice: Japanese first, English second. */
export function couponNoticeText(n: CouponNotice): string {
  if (n.message !== undefined) return n.message
  return `クーポンが届きました：「${n.title}」\nメニューの「クーポン」からご確認ください。\n\nYou have a new coupon: "${n.title}". Open Coupons in the menu to see it.`
}
