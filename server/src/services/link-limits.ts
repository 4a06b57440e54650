import type { Database, Executor } from '../db/seam.ts'
import { TooManyAttempts } from '../domain/errors.ts'
import { linkAttempts } from '../repositories/link-attempts.ts'
import { type Backoff, retryAfterSeconds, waitFor } from './backoff.ts'

/**
 * Limits on failed link attempts (kept in the database so a restart does not reset them;
 * docs/decisions/035 has the arithmetic). Per LINE user: hard windows (they only ever lock
 * the user who failed). Per card, across every LINE user: a progressive delay that reaches one
 * attempt a day, so guessing a 4-digit PIN takes years however many LINE accounts guess.
 */
export const LINK_LIMITS = {
  windowMs: 15 * 60_000,
  perUser: 5,
  /** The global cap per LINE user across all cards. */
  perUserDayWindowMs: 24 * 60 * 60_000,
  perUserDay: 20,
  /**
   * Per card: 3 failures free in 30 days, then 1 min, 4 min, 16 min, 64 min, ~4 h, ~17 h and
   * from then on 24 h after the latest failure.
   */
  card: {
    windowMs: 30 * 24 * 60 * 60_000,
    free: 3,
    baseMs: 60_000,
    factor: 4,
    capMs: 24 * 60 * 60_000,
  } satisfies Backoff,
} as const

/** What the owner of a locked card is told besides when to try again. */
export const CARD_LOCK_ADVICE = 'If this is your card, the store can clear the lock.'

/** The limits on link attempts, per LINE user and per card (kept in the database). */
export function createLinkLimits(db: Database) {
  /** How long the card must wait at `now` (0: it need not), reading with `ex`. */
  async function cardWaitMs(ex: Executor, key: string, now: number): Promise<number> {
    const failures = await linkAttempts.byCardSince(ex, key, now - LINK_LIMITS.card.windowMs)
    return waitFor(LINK_LIMITS.card, failures, now)
  }

  /** How long the LINE user must wait at `now` (0: they need not), reading with `ex`. */
  async function userWaitMs(ex: Executor, userId: string, now: number): Promise<number> {
    const windows = [
      { ms: LINK_LIMITS.windowMs, max: LINK_LIMITS.perUser },
      { ms: LINK_LIMITS.perUserDayWindowMs, max: LINK_LIMITS.perUserDay },
    ]
    let wait = 0
    for (const w of windows) {
      const row = await linkAttempts.byUserSince(ex, userId, now - w.ms)
      if (row.n >= w.max && row.oldest !== null) wait = Math.max(wait, row.oldest + w.ms - now)
    }
    return wait
  }

  return {
    /**
     * One attempt: in a transaction that waits for the other attempts of the same user or
     * card (`linkAttempts.serialize`), checks every limit, then runs `check` (the PIN check, a
     * fast keyed hash) and records a failure when it says no. So parallel guesses each count
     * the ones before them, and no more PINs are checked than the limits allow, on one
     * instance or many. Over a limit `check` is not run, nothing is recorded, and it throws
     * `TooManyAttempts` (the same answer a right PIN gets while locked).
     */
    async attempt(userId: string, key: string, now: number, check: () => boolean) {
      const outcome = await db.transaction(async (tx) => {
        await linkAttempts.serialize(tx, userId, key)
        const card = await cardWaitMs(tx, key, now)
        const user = await userWaitMs(tx, userId, now)
        if (card > 0 || user > 0) return { locked: true as const, card, user }
        const ok = check()
        if (!ok) await linkAttempts.record(tx, { userId, cardKey: key, at: now })
        return { locked: false as const, ok }
      })
      if (!outcome.locked) return outcome.ok
      throw new TooManyAttempts(
        retryAfterSeconds(Math.max(outcome.card, outcome.user)),
        outcome.card >= outcome.user ? CARD_LOCK_ADVICE : undefined,
      )
    },

    /** Until when the card is locked at `now` (Unix ms), or null when it is not. */
    async cardLockedUntil(key: string, now: number): Promise<number | null> {
      const wait = await cardWaitMs(db, key, now)
      return wait > 0 ? now + wait : null
    },
  }
}
