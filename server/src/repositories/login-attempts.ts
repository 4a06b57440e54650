import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** How many failures in a window, and when the latest of them was. */
export interface LoginFailures {
  n: number
  latest: number | null
}

type Row = { n: number | string; latest: number | string | null }

const byPair = query<{ staffId: string; ip: string; since: number }, Row>(
  (p) => sql`SELECT count(*) AS n, max(created_at) AS latest FROM login_attempts
     WHERE staff_id = ${p.staffId} AND ip = ${p.ip} AND created_at > ${p.since}`,
)
const byStaff = query<{ staffId: string; since: number }, Row>(
  (p) => sql`SELECT count(*) AS n, max(created_at) AS latest FROM login_attempts
     WHERE staff_id = ${p.staffId} AND created_at > ${p.since}`,
)
const byIp = query<{ ip: string; since: number }, Row>(
  (p) => sql`SELECT count(*) AS n, max(created_at) AS latest FROM login_attempts
     WHERE ip = ${p.ip} AND created_at > ${p.since}`,
)
const insert = query<{ staffId: string; ip: string; at: number }, { id: number }>(
  (p) => sql`INSERT INTO login_attempts (staff_id, ip, created_at)
    VALUES (${p.staffId}, ${p.ip}, ${p.at}) RETURNING id`,
)
const remove = query<{ id: number }>((p) => sql`DELETE FROM login_attempts WHERE id = ${p.id}`)
const known = query<{ staffId: string; ip: string; since: number }, { one: number }>(
  (p) => sql`SELECT 1 AS one FROM staff_known_addresses
    WHERE staff_id = ${p.staffId} AND ip = ${p.ip} AND last_sign_in_at > ${p.since}`,
)
const remember = query<{ staffId: string; ip: string; at: number }>(
  (p) => sql`INSERT INTO staff_known_addresses (staff_id, ip, last_sign_in_at)
    VALUES (${p.staffId}, ${p.ip}, ${p.at})
    ON CONFLICT (staff_id, ip) DO UPDATE SET last_sign_in_at = excluded.last_sign_in_at
      WHERE staff_known_addresses.last_sign_in_at < excluded.last_sign_in_at`,
)
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
function failures(row: Row | undefined): LoginFailures {
  if (!row) return { n: 0, latest: null }
  return { n: Number(row.n), latest: row.latest === null ? null : Number(row.latest) }
}

/**
 * Staff sign-in attempts, counted per staff ID and address, per staff ID and per address for
 * the rate limits; and the addresses each account signed in from.
 */
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
  byPairSince: async (db: Executor, staffId: string, ip: string, since: number) =>
    failures(await db.get(byPair, { staffId, ip, since })),
  byStaffSince: async (db: Executor, staffId: string, since: number) =>
    failures(await db.get(byStaff, { staffId, since })),
  byIpSince: async (db: Executor, ip: string, since: number) =>
    failures(await db.get(byIp, { ip, since })),
  /** Records an attempt (as a failure until removed); its id. */
  async record(db: Executor, a: { staffId: string; ip: string; at: number }): Promise<number> {
    const row = await db.get(insert, a)
    if (!row) throw new Error('insert returned no id')
    return Number(row.id)
  },
  remove: (db: Executor, id: number) => db.run(remove, { id }),
  /** Whether the account signed in from `ip` after `since`. */
  isKnown: async (db: Executor, staffId: string, ip: string, since: number) =>
    (await db.get(known, { staffId, ip, since })) !== undefined,
  /** Notes a successful sign-in of the account from `ip`. */
  remember: (db: Executor, s: { staffId: string; ip: string; at: number }) => db.run(remember, s),
}
