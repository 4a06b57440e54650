import type BetterSqlite3 from 'better-sqlite3'

/** One transaction body waiting for the next group. */
interface Job {
  fn: () => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

export interface GroupCommitOptions {
  /** Most jobs in one commit; the rest go into the next one at once. */
  maxBatch?: number
  /** Called when a group starts and when it has ended (committed or rolled back). */
  onBusy?: (busy: boolean) => void
}

/**
 * Group commit: transaction bodies queued in the same turn of the event loop run one after
 * another in ONE IMMEDIATE transaction, each inside its own savepoint, and are answered only
 * once that transaction has committed.
 *
 * With `synchronous=FULL` every commit is an `fsync`, and better-sqlite3 waits for it on the
 * main thread: one commit per till request made the fsync most of an award's time. Sharing
 * it keeps every guarantee: a body that throws is rolled back alone (its savepoint) and gets
 * its error; the others commit; nobody is told "done" before the commit is on disk; a commit
 * that fails fails every body of the group, and none of them is stored.
 * See docs/decisions/015-group-commit.md.
 *
 * A body is async (the seam's statements return promises) but only does database work on
 * this connection, so a group runs to its end within one turn of the event loop.
 */
export function createGroupCommit(
  sqlite: BetterSqlite3.Database,
  options: GroupCommitOptions = {},
) {
  const maxBatch = options.maxBatch ?? 64
  const onBusy = options.onBusy ?? (() => {})
  let queue: Job[] = []
  let scheduled = false
  let running = false

  function schedule(): void {
    if (scheduled || running) return
    scheduled = true
    setImmediate(() => {
      scheduled = false
      void flush()
    })
  }

  async function runJobs(jobs: Job[]): Promise<void> {
    try {
      sqlite.exec('BEGIN IMMEDIATE')
    } catch (err) {
      for (const job of jobs) job.reject(err)
      return
    }
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = []
    for (const job of jobs) {
      sqlite.exec('SAVEPOINT group_job')
      try {
        const value = await job.fn()
        sqlite.exec('RELEASE group_job')
        outcomes.push({ ok: true, value })
      } catch (error) {
        if (sqlite.inTransaction) {
          sqlite.exec('ROLLBACK TO group_job')
          sqlite.exec('RELEASE group_job')
        }
        outcomes.push({ ok: false, error })
      }
      if (!sqlite.inTransaction) {
        // SQLite rolled the whole transaction back (e.g. disk full): nothing of the group is
        // stored, so every job fails, with the error that caused it.
        const last = outcomes[outcomes.length - 1]
        const cause = last && !last.ok ? last.error : new Error('the transaction was rolled back')
        for (const j of jobs) j.reject(cause)
        return
      }
    }
    try {
      sqlite.exec('COMMIT')
    } catch (err) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK')
      for (const job of jobs) job.reject(err)
      return
    }
    jobs.forEach((job, i) => {
      const outcome = outcomes[i]
      if (outcome?.ok) job.resolve(outcome.value)
      else job.reject(outcome?.error)
    })
  }

  async function flush(): Promise<void> {
    const jobs = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch)
    queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch)
    if (jobs.length === 0) return
    running = true
    onBusy(true)
    try {
      await runJobs(jobs)
    } finally {
      running = false
      onBusy(false)
      if (queue.length > 0) schedule()
    }
  }

  return {
    /**
     * Runs `fn` (database work on this connection only) in the next group commit; resolves
     * with its result once it is durable.
     */
    run<T>(fn: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (value: unknown) => void, reject })
        schedule()
      })
    },
  }
}

export type GroupCommit = ReturnType<typeof createGroupCommit>
