import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** How many failures in a window, and when the oldest of them was. */
export interface LoginFailures {
  n: number
  oldest: number | null
}

const byStaff = query<{ staffId: string; since: number }, LoginFailures>(
  (p) => sql`SELECT count(*) AS n, min(created_at) AS oldest FROM login_attempts
     WHERE staff_id = ${p.staffId} AND created_at > ${p.since}`,
)
const byIp = query<{ ip: string; since: number }, LoginFailures>(
  (p) => sql`SELECT count(*) AS n, min(created_at) AS oldest FROM login_attempts
     WHERE ip = ${p.ip} AND created_at > ${p.since}`,
)
const insert = query<{ staffId: string; ip: string; at: number }, { id: number }>(
  (p) => sql`INSERT INTO login_attempts (staff_id, ip, created_at)
    VALUES (${p.staffId}, ${p.ip}, ${p.at}) RETURNING id`,
)
const remove = query<{ id: number }>((p) => sql`DELETE FROM login_attempts WHERE id = ${p.id}`)
/**
 * PostgreSQL: transaction-scoped advisory locks on the staff ID and on the address, always in
 * that order (so two sign-ins never wait on each other in a cycle).
 */
const lockStaff = query<{ staffId: string }>(
  (p) =>
    sql`SELECT pg_advisory_xact_lock(hashtext('login_attempts.staff_id'), hashtext(${p.staffId}))`,
)
const lockIp = query<{ ip: string }>(
  (p) => sql`SELECT pg_advisory_xact_lock(hashtext('login_attempts.ip'), hashtext(${p.ip}))`,
)

/** Counts as numbers whichever way the driver hands over a 64-bit integer. */
function failures(row: LoginFailures | undefined): LoginFailures {
  if (!row) return { n: 0, oldest: null }
  return { n: Number(row.n), oldest: row.oldest === null ? null : Number(row.oldest) }
}

/** Staff sign-in attempts, counted per staff ID and per client address for the rate limits. */
export const loginAttempts = {
  /**
   * Makes concurrent sign-ins for the same staff ID or address wait for each other until the
   * end of the transaction, so each counts the attempts recorded before it. SQLite's write
   * transactions already run one at a time.
   */
  async serialize(tx: Executor, staffId: string, ip: string): Promise<void> {
    if (tx.dialect !== 'postgres') return
    await tx.get(lockStaff, { staffId })
    await tx.get(lockIp, { ip })
  },
  byStaffSince: async (db: Executor, staffId: string, since: number) =>
    failures(await db.get(byStaff, { staffId, since })),
  byIpSince: async (db: Executor, ip: string, since: number) =>
    failures(await db.get(byIp, { ip, since })),
  /** Records an attempt (as a failure until removed); its id. */
  async record(db: Executor, a: { staffId: string; ip: string; at: number }): Promise<number> {
    const row = await db.get(insert, a)
    if (!row) throw new Error('insert returned no id')
    return row.id
  },
  remove: (db: Executor, id: number) => db.run(remove, { id }),
}
