import type { Clock } from '../clock.ts'
import type { PointsRules } from '../config.ts'
import type { Db } from '../db/client.ts'
import type { Logger } from '../logger.ts'
import type { Secrets } from '../secrets.ts'
import { createIdempotencyStore } from './idempotency.ts'
import { createPointsService, type OnLedgerChange } from './points.ts'

export interface PointsJobsDeps {
  db: Db
  clock: Clock
  secrets: Secrets
  rules: PointsRules
  logger: Logger
  onLedgerChange?: OnLedgerChange | undefined
}

/** One run of the housekeeping: expire inactive balances, drop old idempotency records. */
export function runPointsHousekeeping(deps: PointsJobsDeps) {
  const points = createPointsService(deps)
  const idempotency = createIdempotencyStore({
    db: deps.db,
    clock: deps.clock,
    retentionMs: deps.rules.idempotencyRetentionMs,
  })
  const now = deps.clock.now()
  const expired = points.expire(now)
  const purgedKeys = idempotency.purge(now)
  return { expiredCards: expired.cards, expiredPoints: expired.points, purgedKeys }
}

/**
 * Schedules the housekeeping inside the server: shortly after start, then every
 * `rules.expiryIntervalMs` (0 = never). The timers do not keep the process alive.
 * Returns a stop function.
 */
export function startPointsJobs(deps: PointsJobsDeps): () => void {
  if (deps.rules.expiryIntervalMs <= 0) return () => {}
  const run = () => {
    try {
      const r = runPointsHousekeeping(deps)
      if (r.expiredCards > 0 || r.purgedKeys > 0) deps.logger.info('points housekeeping', r)
    } catch (err) {
      deps.logger.error('points housekeeping failed', {
        error: (err as Error).name,
        message: (err as Error).message.slice(0, 300),
      })
    }
  }
  const first = setTimeout(run, 5_000)
  first.unref()
  const timer = setInterval(run, deps.rules.expiryIntervalMs)
  timer.unref()
  return () => {
    clearTimeout(first)
    clearInterval(timer)
  }
}
