/** The time source: tests hand the app a fake one. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
}

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() }

/** A clock tests move by hand. */
export function fakeClock(start = Date.UTC(2026, 10, 23, 3, 0, 0)): Clock & {
  advance(ms: number): void
  set(ms: number): void
} {
  let t = start
  return {
    now: () => t,
    advance: (ms) => {
      t += ms
    },
    set: (ms) => {
      t = ms
    },
  }
}
