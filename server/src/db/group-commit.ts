import type Database from 'better-sqlite3'

interface Job {
  fn: () => unknown
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

export interface GroupCommitOptions {
  /** Most jobs in one commit; the rest go into the next one at once. */
  maxBatch?: number
}

/**
 * Group commit: write jobs queued in the same turn of the event loop run one after another
 * in ONE IMMEDIATE transaction, each inside its own savepoint, and are answered only once that
 * transaction has committed.
 *
 * With `synchronous=FULL` every commit is an `fsync`, and better-sqlite3 waits for it on the
 * main thread: one commit per till request made the fsync most of an award's time. Sharing
 * it keeps every guarantee: a job that throws is rolled back alone (its savepoint) and gets
 * its error; the others commit; nobody is told "done" before the commit is on disk; a commit
 * that fails fails every job of the group, and none of them is stored.
 * See docs/decisions/015-group-commit.md.
 */
export function createGroupCommit(sqlite: Database.Database, options: GroupCommitOptions = {}) {
  const maxBatch = options.maxBatch ?? 64
  let queue: Job[] = []
  let scheduled = false

  function schedule(): void {
    if (scheduled) return
    scheduled = true
    setImmediate(flush)
  }

  function flush(): void {
    scheduled = false
    const jobs = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch)
    queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch)
    if (queue.length > 0) schedule()
    if (jobs.length === 0) return
    try {
      sqlite.exec('BEGIN IMMEDIATE')
    } catch (err) {
      for (const job of jobs) job.reject(err)
      return
    }
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = []
    for (const job of jobs) {
      try {
        // A nested better-sqlite3 transaction is a savepoint: a throw undoes this job only.
        outcomes.push({ ok: true, value: sqlite.transaction(job.fn)() })
      } catch (error) {
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

  return {
    /**
     * Runs `fn` (synchronous database work; it may open its own nested transactions) in the
     * next group commit; resolves with its result once it is durable.
     */
    run<T>(fn: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (value: unknown) => void, reject })
        schedule()
      })
    },
  }
}

export type GroupCommit = ReturnType<typeof createGroupCommit>
