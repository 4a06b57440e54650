import type { Tx } from '../db/seam.ts'
import { QrAlreadyUsed } from '../domain/errors.ts'
import { qrTokenUses } from '../repositories/qr-token-uses.ts'

/**
 * What a use of a QR token spends (bits; docs/decisions/002). A token is bound to the first
 * store that uses it; `none` (a scan, an award, an adjustment) may repeat there, each other
 * kind happens once per token.
 */
export const QR_SPEND = {
  none: 0,
  /** A points redemption. */
  points: 1,
  /** A coupon use (`POST /api/staff/coupons/redeem`). */
  coupon: 2,
  /** Any transaction with an offline code (docs/decisions/067): one per code. */
  offline: 4,
} as const

/** A set of `QR_SPEND` bits. */
export type QrSpend = number

/**
 * In `tx`, as one statement: uses the token (`tokenId`, expiring at `expiresAtSec`) at
 * `storeCode`. Throws `QrAlreadyUsed` when another store has used it, or when `spend` was
 * spent already. Rolls back with `tx`: a refused redemption leaves the token unspent.
 * Call it after the Idempotency-Key's claim, so a replay is answered before it counts as a use.
 */
export async function useQrToken(
  tx: Tx,
  u: { tokenId: string; expiresAtSec: number; storeCode: string; spend: QrSpend },
): Promise<void> {
  const ok = await qrTokenUses.use(tx, {
    tokenId: u.tokenId,
    storeCode: u.storeCode,
    spend: u.spend,
    expiresAt: u.expiresAtSec * 1000,
  })
  if (!ok) throw new QrAlreadyUsed()
}

/**
 * How long after a token's expiry its row is kept: an instance whose clock runs behind may
 * still accept the token for that long (clock skew between instances).
 */
export const QR_USE_GRACE_MS = 10 * 60_000

/** Deletes the rows of tokens expired for longer than the grace; how many. */
export function purgeQrTokenUses(db: Parameters<typeof qrTokenUses.purge>[0], now: number) {
  return qrTokenUses.purge(db, now - QR_USE_GRACE_MS)
}
