/**
 * A progressive delay after failures (docs/decisions/034 and 035): the first `free` failures in
 * the window cost nothing; from then on the next attempt waits `baseMs × factor^(n − free)`
 * after the latest failure, at most `capMs`. Nothing is ever locked for longer than `capMs`
 * after the latest failure, and failures older than `windowMs` no longer count.
 */
export interface Backoff {
  windowMs: number
  free: number
  baseMs: number
  factor: number
  capMs: number
}

/** Failures within a window: how many, and when the latest was (Unix ms). */
export interface RecentFailures {
  n: number
  latest: number | null
}

/** How long after the latest of `n` failures the next attempt must wait (0: none). */
export function delayAfter(policy: Backoff, n: number): number {
  if (n < policy.free) return 0
  return Math.min(policy.capMs, policy.baseMs * policy.factor ** (n - policy.free))
}

/** Milliseconds until the next attempt may be made at `now` (0: it may). */
export function waitFor(policy: Backoff, failures: RecentFailures, now: number): number {
  if (failures.latest === null) return 0
  return Math.max(0, failures.latest + delayAfter(policy, failures.n) - now)
}

/** Milliseconds as the whole seconds of a `Retry-After` (at least 1). */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000))
}
