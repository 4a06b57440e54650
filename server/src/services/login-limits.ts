import type { Database, Executor } from '../db/seam.ts'
import { TooManyAttempts } from '../domain/errors.ts'
import { loginAttempts } from '../repositories/login-attempts.ts'
import { type Backoff, retryAfterSeconds, waitFor } from './backoff.ts'

/**
 * Staff sign-in limits (docs/decisions/034): progressive delays, never a hard lockout, keyed
 * so that a stranger's failures cannot keep a clerk out who signs in from the address they
 * signed in from before (the trusted client address, http/client-address.ts).
 */
export const LOGIN_LIMITS = {
  /** Per staff ID and address: always applies (the owner's own typos, or a shared address). */
  pair: { windowMs: 60 * 60_000, free: 5, baseMs: 30_000, factor: 2, capMs: 15 * 60_000 },
  /** Per staff ID, failures from anywhere: applies to addresses not known for the account. */
  account: { windowMs: 24 * 60 * 60_000, free: 10, baseMs: 60_000, factor: 2, capMs: 60 * 60_000 },
  /** Per address, across staff IDs (spraying): applies to addresses not known for the account. */
  address: { windowMs: 60 * 60_000, free: 20, baseMs: 30_000, factor: 2, capMs: 15 * 60_000 },
  /** An address is known for an account for this long after a successful sign-in from it. */
  knownForMs: 90 * 24 * 60 * 60_000,
} as const satisfies Record<'pair' | 'account' | 'address', Backoff> & { knownForMs: number }

/** The rate limits of staff sign-in, kept in the database (shared by every instance). */
export function createLoginLimits(db: Database) {
  return {
    /**
     * Before the (slow) password check: checks the limits and records the attempt as a
     * failure, in one transaction that waits for the other sign-ins of the same staff ID or
     * address, so parallel guesses each see the ones before them. Returns the attempt's id
     * for `succeeded`; throws `TooManyAttempts` (the right password gets it too while the
     * delay lasts).
     */
    async begin(staffId: string, ip: string, now: number): Promise<number> {
      const outcome = await db.transaction(async (tx) => {
        await loginAttempts.serialize(tx, staffId, ip)
        const since = (p: Backoff) => now - p.windowMs
        const pair = await loginAttempts.byPairSince(tx, staffId, ip, since(LOGIN_LIMITS.pair))
        let wait = waitFor(LOGIN_LIMITS.pair, pair, now)
        if (!(await loginAttempts.isKnown(tx, staffId, ip, now - LOGIN_LIMITS.knownForMs))) {
          const account = await loginAttempts.byStaffSince(tx, staffId, since(LOGIN_LIMITS.account))
          const address = await loginAttempts.byIpSince(tx, ip, since(LOGIN_LIMITS.address))
          wait = Math.max(
            wait,
            waitFor(LOGIN_LIMITS.account, account, now),
            waitFor(LOGIN_LIMITS.address, address, now),
          )
        }
        if (wait > 0) return { ok: false as const, wait }
        return { ok: true as const, id: await loginAttempts.record(tx, { staffId, ip, at: now }) }
      })
      if (!outcome.ok) throw new TooManyAttempts(retryAfterSeconds(outcome.wait))
      return outcome.id
    },

    /**
     * The password was right: the attempt is not a failure, and the address is known for the
     * account from now on. In the caller's transaction `tx` (the one that opens the session).
     */
    async succeeded(
      tx: Executor,
      attemptId: number,
      s: { staffId: string; ip: string; at: number },
    ): Promise<void> {
      await loginAttempts.remove(tx, attemptId)
      await loginAttempts.remember(tx, s)
    },
  }
}

export type LoginLimits = ReturnType<typeof createLoginLimits>
