import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { pid } from 'node:process'
import { type Clock, systemClock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { jobLeases } from '../repositories/job-leases.ts'

/** What `runExclusive` did. */
export type ExclusiveRun<T> = { ran: true; value: T } | { ran: false }

export interface ExclusiveOptions {
  /** Where lease times come from (tests: a fake clock). */
  clock?: Clock
  /**
   * Keep the lease after a successful run until it runs out, so the job runs at most once
   * per `ttlMs` across every instance (a periodic job). A failed run always gives it back.
   */
  keep?: boolean
}

/** This process, in lease holders (for an operator reading `job_leases`). */
const PROCESS = `${hostname()}:${pid}`

/**
 * Runs `fn` only if this call takes the lease of job `name`, so that across every instance
 * sharing the database one run at a time does it. The lease lasts `ttlMs` (a run that crashes
 * frees it after that) and is given back when `fn` ends, unless `keep`.
 */
export async function runExclusive<T>(
  db: Database,
  name: string,
  ttlMs: number,
  fn: () => Promise<T>,
  options: ExclusiveOptions = {},
): Promise<ExclusiveRun<T>> {
  const clock = options.clock ?? systemClock
  const holder = `${PROCESS}:${randomUUID()}`
  const now = clock.now()
  if (!(await jobLeases.take(db, { name, holder, now, expiresAt: now + ttlMs }))) {
    return { ran: false }
  }
  let value: T
  try {
    value = await fn()
  } catch (err) {
    // The run's own error is what matters; a lease that cannot be given back runs out.
    await jobLeases.release(db, { name, holder }).catch(() => {})
    throw err
  }
  if (!options.keep) await jobLeases.release(db, { name, holder })
  return { ran: true, value }
}
