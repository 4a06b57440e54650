import type { Clock } from '../clock.ts'
import type { PointsRules } from '../config.ts'
import type { Database } from '../db/seam.ts'
import type { Logger } from '../logger.ts'
import type { Secrets } from '../secrets.ts'
import { createIdempotencyStore } from './idempotency.ts'
import { runExclusive } from './jobs.ts'
import { createPointsService, type OnLedgerChange } from './points.ts'
import { purgeQrTokenUses } from './qr-use.ts'

export interface PointsJobsDeps {
  db: Database
  clock: Clock
  secrets: Secrets
  rules: PointsRules
  logger: Logger
  onLedgerChange?: OnLedgerChange | undefined
}

/** What one run of the housekeeping did. */
export interface HousekeepingResult {
  expiredCards: number
  expiredPoints: number
  purgedKeys: number
  /** Rows of expired QR tokens dropped. */
  purgedQrTokens: number
}

/** The lease the scheduled housekeeping runs under (see services/jobs.ts). */
export const HOUSEKEEPING_JOB = 'points-housekeeping'

/**
 * One run of the housekeeping: expire inactive balances, drop old idempotency records and the
 * rows of expired QR tokens.
 * Safe to run on several instances at once (each card is expired in its own transaction that
 * re-checks it), so `pnpm points:expire` runs it whatever the servers are doing.
 */
export async function runPointsHousekeeping(deps: PointsJobsDeps): Promise<HousekeepingResult> {
  const points = createPointsService(deps)
  const idempotency = createIdempotencyStore({
    db: deps.db,
    clock: deps.clock,
    retentionMs: deps.rules.idempotencyRetentionMs,
  })
  const now = deps.clock.now()
  const expired = await points.expire(now)
  const purgedKeys = await idempotency.purge(now)
  const purgedQrTokens = await purgeQrTokenUses(deps.db, now)
  return { expiredCards: expired.cards, expiredPoints: expired.points, purgedKeys, purgedQrTokens }
}

/**
 * Schedules the housekeeping inside the server: shortly after start, then every
 * `rules.expiryIntervalMs` (0 = never). Of all the instances sharing the database, one runs it
 * per interval: the one that takes the job's lease, which it keeps for most of the interval.
 * The timers do not keep the process alive. Returns a stop function.
 */
export function startPointsJobs(deps: PointsJobsDeps): () => void {
  const interval = deps.rules.expiryIntervalMs
  if (interval <= 0) return () => {}
  // A little shorter than the interval, so the holder's own next run finds it free.
  const leaseMs = Math.max(1, interval - Math.min(60_000, Math.floor(interval / 10)))
  let running = false
  const run = async () => {
    if (running) return
    running = true
    try {
      const r = await runExclusive(
        deps.db,
        HOUSEKEEPING_JOB,
        leaseMs,
        () => runPointsHousekeeping(deps),
        { clock: deps.clock, keep: true },
      )
      if (!r.ran) {
        deps.logger.debug('points housekeeping: another instance holds the lease')
      } else if (r.value.expiredCards > 0 || r.value.purgedKeys > 0 || r.value.purgedQrTokens > 0) {
        deps.logger.info('points housekeeping', { ...r.value })
      } else {
        deps.logger.debug('points housekeeping: nothing to do')
      }
    } catch (err) {
      deps.logger.error('points housekeeping failed', {
        error: (err as Error).name,
        message: (err as Error).message.slice(0, 300),
      })
    } finally {
      running = false
    }
  }
  const first = setTimeout(() => void run(), 5_000)
  first.unref()
  const timer = setInterval(() => void run(), interval)
  timer.unref()
  return () => {
    clearTimeout(first)
    clearInterval(timer)
  }
}
