import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { fakeClock } from '../src/clock.ts'
import { loadConfig } from '../src/config.ts'
import { openPg } from '../src/db/pg.ts'
import type { Database } from '../src/db/seam.ts'
import { openSqlite } from '../src/db/sqlite.ts'
import { memoryLogger } from '../src/logger.ts'
import { loadSecrets } from '../src/secrets.ts'
import { runExclusive } from '../src/services/jobs.ts'
import { startPointsJobs } from '../src/services/points-jobs.ts'
import { freshPgDatabase } from './support/pg-database.ts'
import { addCard, balances, ON_POSTGRES } from './support.ts'

const DAY = 86_400_000
const dir = mkdtempSync(join(tmpdir(), 'mc-jobs-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let files = 0
/** Two instances sharing one new database: two connections (SQLite) or two pools (PostgreSQL). */
async function twoInstances(): Promise<[Database, Database]> {
  if (ON_POSTGRES) {
    const fresh = await freshPgDatabase()
    // The pool's wait for a connection is a timer too: it must not fire as fake time jumps.
    const a = await openPg(fresh.url, { connectTimeoutMs: 0 })
    const b = await openPg(fresh.url, { connectTimeoutMs: 0 })
    afterAll(async () => {
      await a.close()
      await b.close()
      await fresh.drop()
    })
    return [a, b]
  }
  const path = join(dir, `jobs-${++files}.db`)
  const a = openSqlite(path)
  const b = openSqlite(path)
  afterAll(async () => {
    await a.close()
    await b.close()
  })
  return [a, b]
}

/** A job that runs until `finish` is called, counting its runs. */
function gatedJob() {
  let finish = () => {}
  const done = new Promise<void>((resolve) => {
    finish = resolve
  })
  const job = {
    runs: 0,
    fn: async () => {
      job.runs++
      await done
      return 'done'
    },
    finish: () => finish(),
  }
  return job
}

describe('runExclusive (job leases)', () => {
  it('of several instances asking at once, exactly one runs the job; once it ends, the next run may start', async () => {
    const [a, b] = await twoInstances()
    const clock = fakeClock()
    const job = gatedJob()
    const settled: unknown[] = []
    const calls = [a, b, a, b].map((db) =>
      runExclusive(db, 'nightly', 60_000, job.fn, { clock }).then(
        (r) => {
          settled.push(r)
          return r
        },
        (err: unknown) => {
          settled.push(err)
          throw err
        },
      ),
    )
    // Three of them return without running; the one that runs waits for its job.
    await vi.waitFor(() => expect(settled).toHaveLength(3), { timeout: 15_000 })
    expect(settled).toEqual([{ ran: false }, { ran: false }, { ran: false }])
    expect(job.runs).toBe(1)
    const [lease] = await b.execute<{ holder: string }>(
      sql`SELECT holder FROM job_leases WHERE name = ${'nightly'}`,
    )
    expect(lease?.holder).toMatch(new RegExp(`:${process.pid}:`))
    job.finish()
    expect((await Promise.all(calls)).filter((r) => r.ran)).toEqual([{ ran: true, value: 'done' }])
    // Given back at the end: the other instance runs it now, without waiting for the TTL.
    expect(await runExclusive(b, 'nightly', 60_000, async () => 'b', { clock })).toEqual({
      ran: true,
      value: 'b',
    })
    // Another job's lease is independent.
    const other = gatedJob()
    const held = runExclusive(a, 'other', 60_000, other.fn, { clock })
    expect(await runExclusive(b, 'nightly', 60_000, async () => 'b', { clock })).toMatchObject({
      ran: true,
    })
    other.finish()
    await held
  })

  it('a lease whose holder died frees itself after its TTL; `keep` holds it after a run; a failed run gives it back', async () => {
    const [a, b] = await twoInstances()
    const clock = fakeClock()
    await a.execute(
      sql`INSERT INTO job_leases (name, holder, expires_at)
        VALUES (${'expiry'}, ${'crashed-host:1:x'}, ${clock.now() + 1_000})`,
    )
    const job = async () => 'ran'
    expect(await runExclusive(b, 'expiry', 1_000, job, { clock })).toEqual({ ran: false })
    clock.advance(1_000)
    // Until the lease's last millisecond it is still held.
    expect(await runExclusive(b, 'expiry', 1_000, job, { clock })).toEqual({ ran: false })
    clock.advance(1)
    expect(await runExclusive(b, 'expiry', 1_000, job, { clock, keep: true })).toEqual({
      ran: true,
      value: 'ran',
    })
    // Kept after a successful run: nobody runs it again within the TTL.
    clock.advance(999)
    expect(await runExclusive(a, 'expiry', 1_000, job, { clock })).toEqual({ ran: false })
    clock.advance(2)
    // A failed run gives its lease back at once, even with `keep`.
    const boom = new Error('the job failed')
    await expect(
      runExclusive(
        a,
        'expiry',
        1_000,
        async () => {
          throw boom
        },
        { clock, keep: true },
      ),
    ).rejects.toBe(boom)
    expect(await runExclusive(b, 'expiry', 1_000, job, { clock })).toEqual({
      ran: true,
      value: 'ran',
    })
  })
})

describe('the scheduled points housekeeping on several instances', () => {
  it('runs on one instance per interval; the others skip it', async () => {
    const [a, b] = await twoInstances()
    const clock = fakeClock()
    const secrets = loadSecrets(':memory:')
    const rules = loadConfig({
      DATABASE_PATH: ':memory:',
      SECRETS_PATH: ':memory:',
      POINTS_EXPIRY_INTERVAL_MINUTES: '10',
    }).points
    const card = await addCard(a, secrets, { points: 30 })
    clock.advance(400 * DAY)
    const loggers = [memoryLogger(), memoryLogger()]
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    try {
      const stops = [a, b].map((db, i) =>
        startPointsJobs({ db, clock, secrets, rules, logger: loggers[i] ?? memoryLogger() }),
      )
      const lines = () => loggers.flatMap((l) => l.lines)
      const ran = () =>
        lines().filter((l) => l.includes('"expiredCards"') || l.includes('nothing to do'))
      const skipped = () => lines().filter((l) => l.includes('another instance holds the lease'))

      await vi.advanceTimersByTimeAsync(5_000)
      await vi.waitFor(() => expect(ran().length + skipped().length).toBe(2), { timeout: 15_000 })
      expect(ran()).toHaveLength(1)
      expect(ran()[0]).toContain('"expiredCards":1')
      expect(await balances(b, card.cardId)).toEqual({ ledger: 0, stored: 0 })

      // The next interval: the lease has run out, and again one instance runs it.
      clock.advance(10 * 60_000)
      await vi.advanceTimersByTimeAsync(10 * 60_000)
      await vi.waitFor(() => expect(ran().length + skipped().length).toBe(4), { timeout: 15_000 })
      expect(ran()).toHaveLength(2)
      expect(skipped()).toHaveLength(2)
      for (const stop of stops) stop()
    } finally {
      vi.useRealTimers()
    }
  })
})
