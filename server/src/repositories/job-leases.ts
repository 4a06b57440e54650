import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

type Lease = { name: string; holder: string }

const take = query<Lease & { now: number; expiresAt: number }, { holder: string }>(
  (p) => sql`INSERT INTO job_leases (name, holder, expires_at)
    VALUES (${p.name}, ${p.holder}, ${p.expiresAt})
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
      WHERE job_leases.expires_at < ${p.now}
    RETURNING holder`,
)
const extend = query<Lease & { expiresAt: number }, { holder: string }>(
  (p) => sql`UPDATE job_leases SET expires_at = ${p.expiresAt}
    WHERE name = ${p.name} AND holder = ${p.holder} RETURNING holder`,
)
const release = query<Lease>(
  (p) => sql`DELETE FROM job_leases WHERE name = ${p.name} AND holder = ${p.holder}`,
)
const holderOf = query<{ name: string; now: number }, { holder: string; expiresAt: number }>(
  (p) => sql`SELECT holder, expires_at AS "expiresAt" FROM job_leases
    WHERE name = ${p.name} AND expires_at >= ${p.now}`,
)

/** Leases of scheduled jobs: whoever holds a job's lease runs it, on one instance at a time. */
export const jobLeases = {
  /**
   * Takes the lease of `name` for `holder` until `expiresAt` when nobody holds it or its
   * holder's lease ran out before `now`: one atomic statement, so of several instances
   * asking at once exactly one gets it. True when taken.
   */
  take: async (db: Executor, l: Lease & { now: number; expiresAt: number }) =>
    (await db.get(take, l))?.holder === l.holder,
  /** Moves the lease's end to `expiresAt` if `holder` still holds it; false when it does not. */
  extend: async (db: Executor, l: Lease & { expiresAt: number }) =>
    (await db.get(extend, l)) !== undefined,
  /** Gives the lease back, if `holder` still holds it. */
  release: (db: Executor, l: Lease) => db.run(release, l),
  /** The live lease of `name` at `now`, if any. */
  holderOf: (db: Executor, name: string, now: number) => db.get(holderOf, { name, now }),
}
