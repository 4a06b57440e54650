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
