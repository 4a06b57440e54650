import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** The signed-in staff member behind a live session. */
export interface SessionPrincipal {
  staffId: string
  storeCode: string
  storeName: string
  role: 'clerk' | 'manager'
  tokenHash: string
}

/** A live session's principal, with its times (for the idle limit). */
export interface LiveSession extends SessionPrincipal {
  createdAt: number
  expiresAt: number
}

const principal = query<{ hash: string; now: number }, LiveSession>(
  (p) => sql`SELECT s.id AS "staffId", s.store_code AS "storeCode", st.name AS "storeName",
      s.role, ss.token_hash AS "tokenHash", ss.created_at AS "createdAt",
      ss.expires_at AS "expiresAt"
    FROM staff_sessions ss
    JOIN staff s ON s.id = ss.staff_id
    JOIN stores st ON st.code = s.store_code
    WHERE ss.token_hash = ${p.hash} AND ss.revoked_at IS NULL AND ss.expires_at > ${p.now}`,
)
const insert = query<{ hash: string; staffId: string; at: number; expiresAt: number }>(
  (p) => sql`INSERT INTO staff_sessions (token_hash, staff_id, created_at, expires_at)
    VALUES (${p.hash}, ${p.staffId}, ${p.at}, ${p.expiresAt})`,
)
const extend = query<{ hash: string; expiresAt: number }>(
  (p) => sql`UPDATE staff_sessions SET expires_at = ${p.expiresAt}
    WHERE token_hash = ${p.hash} AND revoked_at IS NULL AND expires_at < ${p.expiresAt}`,
)
const revoke = query<{ hash: string; at: number }>(
  (p) => sql`UPDATE staff_sessions SET revoked_at = ${p.at}
    WHERE token_hash = ${p.hash} AND revoked_at IS NULL`,
)

/** Staff sign-in sessions, by the SHA-256 of their opaque token. */
export const staffSessions = {
  /** The staff member of a session that is neither revoked nor expired at `now`. */
  principal: (db: Executor, hash: string, now: number) => db.get(principal, { hash, now }),
  /** Moves a live session's expiry later (never earlier): the idle limit starts again. */
  extend: (db: Executor, hash: string, expiresAt: number) => db.run(extend, { hash, expiresAt }),
  insert: (db: Executor, s: { hash: string; staffId: string; at: number; expiresAt: number }) =>
    db.run(insert, s),
  /** Revokes a session (sign-out); a revoked one keeps its first revocation time. */
  revoke: (db: Executor, hash: string, at: number) => db.run(revoke, { hash, at }),
}
