import type { Coupon } from '../../coupons/types.ts'

/** One choice of the automation's coupon picker. */
export interface CouponChoice {
  id: number
  title: string
  /** The saved coupon has ended: shown so, so saving does not drop it unseen. */
  ended: boolean
}

/** Pages of `GET /api/admin/coupons` read at most (50 each, newest first). */
export const MAX_COUPON_PAGES = 20

/**
 * Every active coupon (`status: "active"`), newest first, following the list's cursor.
 * `list` is the console's `GET /api/admin/coupons`.
 */
export async function activeCoupons(
  list: (cursor?: string) => Promise<{ items: Coupon[]; nextCursor: string | null }>,
): Promise<Coupon[]> {
  const out: Coupon[] = []
  let cursor: string | undefined
  for (let i = 0; i < MAX_COUPON_PAGES; i++) {
    const page = await list(cursor)
    out.push(...page.items.filter((c) => c.status === 'active'))
    if (!page.nextCursor) break
    cursor = page.nextCursor
  }
  return out
}

/**
 * The picker's choices: the active coupons, and the automation's saved coupon first when it is
 * no longer among them (ended since), marked as ended; an unknown saved id shows its number.
 */
export function couponChoices(
  active: readonly Coupon[],
  saved: number | null | undefined,
  savedTitle?: string,
): CouponChoice[] {
  const choices = active.map((c) => ({ id: c.id, title: c.title, ended: false }))
  if (saved != null && !choices.some((c) => c.id === saved)) {
    choices.unshift({ id: saved, title: savedTitle ?? `#${saved}`, ended: true })
  }
  return choices
}
