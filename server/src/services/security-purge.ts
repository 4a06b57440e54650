import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import type { Logger } from '../logger.ts'
import { type RetainedRows, retention } from '../repositories/retention.ts'
import { runExclusive } from './jobs.ts'
import { LINK_LIMITS } from './link-limits.ts'
import { LOGIN_LIMITS } from './login-limits.ts'

/** The lease the scheduled purge runs under (services/jobs.ts). */
export const SECURITY_PURGE_JOB = 'security-purge'

/** Rows deleted per statement. */
const BATCH = 1000

/** How long each kind of row is kept after its age column (ms). */
export const RETENTION: Record<RetainedRows, number> = {
  // The longest window that still counts them: the per-card one.
  linkAttempts: LINK_LIMITS.card.windowMs,
  loginAttempts: Math.max(
    LOGIN_LIMITS.pair.windowMs,
    LOGIN_LIMITS.account.windowMs,
    LOGIN_LIMITS.address.windowMs,
  ),
  knownAddresses: LOGIN_LIMITS.knownForMs,
  // Past their expiry nothing reads them (a revoked session expires as well).
  staffSessions: 0,
  accountLinkTokens: 0,
  // A day more, so a late `accountLink` event is still told its nonce expired.
  accountLinkNonces: 24 * 60 * 60_000,
}

/**
 * One run: deletes every row past its retention, in batches; how many of each kind. Safe to
 * run on several instances at once (a row is deleted once).
 */
export async function runSecurityPurge(db: Database, now: number) {
  const purged = {} as Record<RetainedRows, number>
  for (const kind of Object.keys(RETENTION) as RetainedRows[]) {
    let total = 0
    for (;;) {
      const n = await retention.purgeBatch(db, kind, now - RETENTION[kind], BATCH)
      total += n
      if (n < BATCH) break
    }
    purged[kind] = total
  }
  return purged
}

/**
 * Schedules the purge inside the server: a minute after start (`firstRunMs`), then every
 * `intervalMs` (an hour); of all
 * the instances sharing the database one runs it per interval (the job's lease). The timers
 * do not keep the process alive. Returns a stop function.
 */
export function startSecurityPurge(deps: {
  db: Database
  clock: Clock
  logger: Logger
  intervalMs?: number
  firstRunMs?: number
}): () => void {
  const interval = deps.intervalMs ?? 60 * 60_000
  const leaseMs = Math.max(1, interval - Math.min(60_000, Math.floor(interval / 10)))
  let running = false
  const run = async () => {
    if (running) return
    running = true
    try {
      const r = await runExclusive(
        deps.db,
        SECURITY_PURGE_JOB,
        leaseMs,
        () => runSecurityPurge(deps.db, deps.clock.now()),
        { clock: deps.clock, keep: true },
      )
      if (r.ran && Object.values(r.value).some((n) => n > 0)) {
        deps.logger.info('security records purged', { ...r.value })
      }
    } catch (err) {
      deps.logger.error('security records purge failed', {
        error: (err as Error).name,
        message: (err as Error).message.slice(0, 300),
      })
    } finally {
      running = false
    }
  }
  const first = setTimeout(() => void run(), deps.firstRunMs ?? 60_000)
  first.unref()
  const timer = setInterval(() => void run(), interval)
  timer.unref()
  return () => {
    clearTimeout(first)
    clearInterval(timer)
  }
}
