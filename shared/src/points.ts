/** An exact decimal as a fraction `num / den` (0.01 is 1/100, 1.5 is 15/10). */
export interface Ratio {
  num: number
  den: number
}

/**
 * Points for a purchase: floor(amount × rate × multiplier), computed exactly on integers (no
 * floating point). The server awards with it; the till previews with it.
 */
export function awardPoints(purchaseAmount: number, rate: Ratio, multiplier: Ratio): number {
  const num = BigInt(purchaseAmount) * BigInt(rate.num) * BigInt(multiplier.num)
  const den = BigInt(rate.den) * BigInt(multiplier.den)
  const points = num / den // BigInt division truncates: floor for non-negative values
  if (points > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('award too large')
  return Number(points)
}

/** The points rules the till needs to preview an award (`GET /api/staff/me`). */
export interface TillRules {
  rate: Ratio
  rankMultipliers: Record<string, Ratio>
  voidWindowMinutes: number
}

/**
 * The points a refund of `refundAmount` yen takes back from an award of `award` points for a
 * purchase of `purchase` yen, of which `refundedBefore` yen were refunded already: what the
 * award comes to for all the yen refunded after it, less what it came to before, each rounded
 * down (integer arithmetic). Repeated refunds therefore add up to floor(award × refunded ÷
 * purchase): never more than the award, and exactly the award once the whole purchase is
 * refunded. (Before the member's balance is considered.)
 */
export function refundPointsDue(
  award: number,
  purchase: number,
  refundedBefore: number,
  refundAmount: number,
): number {
  const upTo = (yen: number) => Number((BigInt(award) * BigInt(yen)) / BigInt(purchase))
  return upTo(refundedBefore + refundAmount) - upTo(refundedBefore)
}
