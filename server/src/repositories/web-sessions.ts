import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** A web session as the customer routes check it. */
export interface WebSessionRow {
  lineUserId: string
  name: string | null
  lastSeenAt: number
  expiresAt: number
  revokedAt: number | null
}

const insert = query<{
  tokenHash: string
  lineUserId: string
  name: string | null
  at: number
  expiresAt: number
}>(
  (p) => sql`INSERT INTO web_sessions
      (token_hash, line_user_id, name, created_at, last_seen_at, expires_at)
    VALUES (${p.tokenHash}, ${p.lineUserId}, ${p.name}, ${p.at}, ${p.at}, ${p.expiresAt})`,
)
const find = query<{ tokenHash: string }, WebSessionRow>(
  (p) => sql`SELECT line_user_id AS "lineUserId", name, last_seen_at AS "lastSeenAt",
      expires_at AS "expiresAt", revoked_at AS "revokedAt"
    FROM web_sessions WHERE token_hash = ${p.tokenHash}`,
)
const touch = query<{ tokenHash: string; at: number }>(
  (p) => sql`UPDATE web_sessions SET last_seen_at = ${p.at}
    WHERE token_hash = ${p.tokenHash} AND last_seen_at < ${p.at}`,
)
const revoke = query<{ tokenHash: string; at: number }>(
  (p) => sql`UPDATE web_sessions SET revoked_at = ${p.at}
    WHERE token_hash = ${p.tokenHash} AND revoked_at IS NULL`,
)
const revokeUser = query<{ lineUserId: string; at: number }>(
  (p) => sql`UPDATE web_sessions SET revoked_at = ${p.at}
    WHERE line_user_id = ${p.lineUserId} AND revoked_at IS NULL`,
)
const purge = query<{ before: number }>(
  (p) => sql`DELETE FROM web_sessions WHERE expires_at < ${p.before}`,
)

/** Customers' web sessions (LINE Login on the web), by the SHA-256 of their cookie's token. */
export const webSessions = {
  insert: (
    db: Executor,
    s: {
      tokenHash: string
      lineUserId: string
      name: string | null
      at: number
      expiresAt: number
    },
  ) => db.run(insert, s),
  find: (db: Executor, tokenHash: string) => db.get(find, { tokenHash }),
  /** Records use at `at` (the idle limit counts from it). */
  touch: (db: Executor, tokenHash: string, at: number) => db.run(touch, { tokenHash, at }),
  /** Revokes one session (sign-out); a revoked one keeps its first revocation time. */
  revoke: (db: Executor, tokenHash: string, at: number) => db.run(revoke, { tokenHash, at }),
  /** Revokes every session of a LINE user. */
  revokeUser: (db: Executor, lineUserId: string, at: number) =>
    db.run(revokeUser, { lineUserId, at }),
  /** Drops sessions past their absolute end before `before`; returns how many. */
  purge: (db: Executor, before: number) => db.run(purge, { before }),
}
