/**
 * How the outbox spreads its calls to stay under LINE's per-second rate limit (`maxPerSecond`)
 * in every second, not only in each clock second. Calls are counted in fixed windows that the
 * instances share (repositories/rate-windows.ts). With k windows a second, any one-second span
 * touches up to k + 1 of them, so each window may take `maxPerSecond / (k + 1)` calls. Of
 * 1, 2, 4, 5 or 10 windows a second, the pace is the one that sends the most in a second. For
 * LINE's 200 multicasts a second that is 100 ms windows of 18 calls: at most 198 in any second,
 * 180 a second sustained. A limit of 1 allows two calls in a second that spans two windows.
 */
export interface Pace {
  /** The window's length (ms); windows start at multiples of it on the wall clock. */
  windowMs: number
  /** The calls one window may take. */
  perWindow: number
}

const WINDOWS_PER_SECOND = [1, 2, 4, 5, 10]

export function paceOf(maxPerSecond: number): Pace {
  const max = Math.max(1, Math.floor(maxPerSecond))
  let best: Pace = { windowMs: 1_000, perWindow: 1 }
  let bestRate = 0
  for (const k of WINDOWS_PER_SECOND) {
    const perWindow = Math.floor(max / (k + 1))
    if (perWindow * k > bestRate) {
      best = { windowMs: 1_000 / k, perWindow }
      bestRate = perWindow * k
    }
  }
  return best
}
