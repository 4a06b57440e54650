import type { Executor, Tx } from '../db/seam.ts'
import { type ExpiringCopy, memberCoupons } from '../repositories/member-coupons.ts'

const DAY_MS = 86_400_000

/**
 * The `couponExpiring` automation's targets (services/automation-kinds.ts): usable copies of linked members that end within `daysBefore` days
 * of `now` and were not reminded of yet, a page at a time. For each member messaged, call
 * `markCouponReminded` in the transaction that queues the message: false means another run
 * (or instance) reminded that copy already, so nothing is sent twice.
 */
export async function* couponExpiringTargets(
  db: Executor,
  now: number,
  daysBefore: number,
  pageSize = 500,
): AsyncGenerator<ExpiringCopy[]> {
  let after = 0
  for (;;) {
    const page = await memberCoupons.expiringNotReminded(db, {
      from: now,
      until: now + daysBefore * DAY_MS,
      after,
      limit: pageSize,
    })
    const last = page.at(-1)
    if (!last) return
    yield page
    if (page.length < pageSize) return
    after = Number(last.memberCouponId)
  }
}

/** Records, in `tx`, that the copy's expiry reminder goes out; false when it went already. */
export function markCouponReminded(tx: Tx, memberCouponId: number, at: number): Promise<boolean> {
  return memberCoupons.markReminded(tx, memberCouponId, at)
}
