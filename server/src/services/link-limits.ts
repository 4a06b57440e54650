import type { Database, Executor } from '../db/seam.ts'
import { CardOrPinWrong, TooManyAttempts } from '../domain/errors.ts'
import { linkAttempts } from '../repositories/link-attempts.ts'

/** Limits on failed link attempts (kept in the database so a restart does not reset them). */
export const LINK_LIMITS = {
  windowMs: 15 * 60_000,
  perCard: 5,
  perUser: 5,
  /** The global cap per LINE user across all cards. */
  perUserDayWindowMs: 24 * 60 * 60_000,
  perUserDay: 20,
} as const

/** The limits on failed link attempts, per LINE user and per card (kept in the database). */
export function createLinkLimits(db: Database) {
  /**
   * Seconds until the user and the card are under every limit again (0: they are), counting
   * the failures recorded so far, read with `ex`.
   */
  async function lockedFor(ex: Executor, userId: string, key: string, now: number) {
    const windows = [
      {
        row: await linkAttempts.byUserSince(ex, userId, now - LINK_LIMITS.windowMs),
        max: LINK_LIMITS.perUser,
        ms: LINK_LIMITS.windowMs,
      },
      {
        row: await linkAttempts.byCardSince(ex, key, now - LINK_LIMITS.windowMs),
        max: LINK_LIMITS.perCard,
        ms: LINK_LIMITS.windowMs,
      },
      {
        row: await linkAttempts.byUserSince(ex, userId, now - LINK_LIMITS.perUserDayWindowMs),
        max: LINK_LIMITS.perUserDay,
        ms: LINK_LIMITS.perUserDayWindowMs,
      },
    ]
    let retryAfterMs = 0
    for (const w of windows) {
      if (w.row.n >= w.max && w.row.oldest !== null) {
        retryAfterMs = Math.max(retryAfterMs, w.row.oldest + w.ms - now)
      }
    }
    return retryAfterMs > 0 ? Math.max(1, Math.ceil(retryAfterMs / 1000)) : 0
  }

  /**
   * A wrong card number or PIN, counted and recorded in one transaction that waits for the
   * other failures of the same user or card (`linkAttempts.serialize`), so on one instance or
   * many exactly the failures within the limits are answered `CardOrPinWrong`. Over a limit
   * the attempt is not kept and the answer is `TooManyAttempts`, the same answer a right PIN
   * gets while locked.
   */
  async function failedAttempt(userId: string, key: string, now: number): Promise<never> {
    const retryAfter = await db.transaction(async (tx) => {
      await linkAttempts.serialize(tx, userId, key)
      const locked = await lockedFor(tx, userId, key, now)
      if (locked === 0) await linkAttempts.record(tx, { userId, cardKey: key, at: now })
      return locked
    })
    if (retryAfter > 0) throw new TooManyAttempts(retryAfter)
    throw new CardOrPinWrong()
  }

  return { lockedFor, failed: failedAttempt }
}
