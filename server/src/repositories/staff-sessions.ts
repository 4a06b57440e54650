import type { StaffRole } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** How a session is carried: the till's (and API clients') bearer token, or the console's cookie. */
export type SessionKind = 'bearer' | 'console'

/** The signed-in staff member behind a live session. */
export interface SessionPrincipal {
  staffId: string
  /** Null for a head-office account without a store. */
  storeCode: string | null
  storeName: string | null
  role: StaffRole
  tokenHash: string
  kind: SessionKind
  /** When a console session was last used (null for a bearer session). */
  lastSeenAt: number | null
  /** 1 when the account has a confirmed TOTP second factor, else 0. */
  totpEnrolled: number
}

const principal = query<{ hash: string; now: number; idleSince: number }, SessionPrincipal>(
  (p) => sql`SELECT s.id AS "staffId", s.store_code AS "storeCode", st.name AS "storeName",
      s.role, ss.token_hash AS "tokenHash", ss.kind, ss.last_seen_at AS "lastSeenAt",
      CASE WHEN s.totp_secret IS NULL THEN 0 ELSE 1 END AS "totpEnrolled"
    FROM staff_sessions ss
    JOIN staff s ON s.id = ss.staff_id
    LEFT JOIN stores st ON st.code = s.store_code
    WHERE ss.token_hash = ${p.hash} AND ss.revoked_at IS NULL AND ss.expires_at > ${p.now}
      AND s.disabled_at IS NULL
      AND (ss.kind = 'bearer' OR ss.last_seen_at > ${p.idleSince})`,
)
const insert = query<{
  hash: string
  staffId: string
  kind: SessionKind
  at: number
  expiresAt: number
  lastSeenAt: number | null
}>(
  (p) => sql`INSERT INTO staff_sessions (token_hash, staff_id, kind, created_at, expires_at,
      last_seen_at)
    VALUES (${p.hash}, ${p.staffId}, ${p.kind}, ${p.at}, ${p.expiresAt}, ${p.lastSeenAt})`,
)
const revoke = query<{ hash: string; at: number }>(
  (p) => sql`UPDATE staff_sessions SET revoked_at = ${p.at}
    WHERE token_hash = ${p.hash} AND revoked_at IS NULL`,
)
const revokeAll = query<{ staffId: string; keep: string; at: number }>(
  (p) => sql`UPDATE staff_sessions SET revoked_at = ${p.at}
    WHERE staff_id = ${p.staffId} AND revoked_at IS NULL AND token_hash <> ${p.keep}`,
)
const removeAll = query<{ staffId: string }>(
  (p) => sql`DELETE FROM staff_sessions WHERE staff_id = ${p.staffId}`,
)
const touch = query<{ hash: string; at: number }>(
  (p) => sql`UPDATE staff_sessions SET last_seen_at = ${p.at}
    WHERE token_hash = ${p.hash} AND revoked_at IS NULL`,
)

/** Staff sign-in sessions, by the SHA-256 of their opaque token. */
export const staffSessions = {
  /**
   * The staff member of a session that is neither revoked nor expired at `now`, of an enabled
   * account; a console session also must have been used after `idleSince`.
   */
  principal: (db: Executor, hash: string, now: number, idleSince: number) =>
    db.get(principal, { hash, now, idleSince }),
  insert: (
    db: Executor,
    s: {
      hash: string
      staffId: string
      at: number
      expiresAt: number
      kind?: SessionKind
      lastSeenAt?: number | null
    },
  ) => db.run(insert, { kind: 'bearer', lastSeenAt: null, ...s }),
  /** Revokes a session (sign-out); a revoked one keeps its first revocation time. */
  revoke: (db: Executor, hash: string, at: number) => db.run(revoke, { hash, at }),
  /** Revokes every live session of an account but `keep` (a token hash, or '' for none). */
  revokeAll: (db: Executor, staffId: string, at: number, keep = '') =>
    db.run(revokeAll, { staffId, keep, at }),
  /** Removes every session row of an account (before the account is removed). */
  removeAll: (db: Executor, staffId: string) => db.run(removeAll, { staffId }),
  /** Marks a console session as used at `at` (its idle expiry starts again). */
  touch: (db: Executor, hash: string, at: number) => db.run(touch, { hash, at }),
}
