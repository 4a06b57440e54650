import type { LineMessaging } from '../line/line-service.ts'
import { type CouponNoticeSender, couponNoticeText } from './coupon-notice.ts'

/**
 * Coupon notices as pushes through the outbox (written with the batch, sent after its
 * commit): once per coupon and member (the dedupe key).
 */
export function couponNoticeSender(
  line: Pick<LineMessaging, 'outbox' | 'kickSoon'>,
): CouponNoticeSender {
  return async (tx, n) => {
    const queued = await line.outbox.enqueue(
      tx,
      'push',
      { to: n.userId, messages: [{ type: 'text', text: couponNoticeText(n) }] },
      { userId: n.userId, dedupeKey: `coupon-notice:${n.couponId}:${n.userId}`, at: n.at },
    )
    if (queued) tx.afterCommit(line.kickSoon)
    return queued
  }
}
