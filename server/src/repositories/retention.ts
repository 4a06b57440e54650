import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

type Batch = { before: number; limit: number }

// Each statement deletes at most `limit` rows, so a large backlog is removed in short
// transactions that never hold the table for long (SQLite has one writer at a time).
const linkAttempts = query<Batch>(
  (p) => sql`DELETE FROM link_attempts WHERE id IN (
    SELECT id FROM link_attempts WHERE created_at < ${p.before} LIMIT ${p.limit})`,
)
const loginAttempts = query<Batch>(
  (p) => sql`DELETE FROM login_attempts WHERE id IN (
    SELECT id FROM login_attempts WHERE created_at < ${p.before} LIMIT ${p.limit})`,
)
const knownAddresses = query<Batch>(
  (p) => sql`DELETE FROM staff_known_addresses WHERE (staff_id, ip) IN (
    SELECT staff_id, ip FROM staff_known_addresses
    WHERE last_sign_in_at < ${p.before} LIMIT ${p.limit})`,
)
const staffSessions = query<Batch>(
  (p) => sql`DELETE FROM staff_sessions WHERE token_hash IN (
    SELECT token_hash FROM staff_sessions WHERE expires_at < ${p.before} LIMIT ${p.limit})`,
)
const accountLinkTokens = query<Batch>(
  (p) => sql`DELETE FROM account_link_tokens WHERE token_hash IN (
    SELECT token_hash FROM account_link_tokens WHERE expires_at < ${p.before} LIMIT ${p.limit})`,
)
const accountLinkNonces = query<Batch>(
  (p) => sql`DELETE FROM account_link_nonces WHERE nonce IN (
    SELECT nonce FROM account_link_nonces WHERE expires_at < ${p.before} LIMIT ${p.limit})`,
)

const STATEMENTS = {
  linkAttempts,
  loginAttempts,
  knownAddresses,
  staffSessions,
  accountLinkTokens,
  accountLinkNonces,
} as const

/** What the retention purge removes: each kind of row, by its age column. */
export type RetainedRows = keyof typeof STATEMENTS

/**
 * Deleting rows that have outlived their use: link and sign-in attempts past the longest
 * limit window, addresses no longer known, expired staff sessions and account-link tokens
 * and nonces. Rows older than `before` (Unix ms; by creation, last use or expiry).
 */
export const retention = {
  /** Deletes at most `limit` such rows of `kind` older than `before`; how many it deleted. */
  purgeBatch: (db: Executor, kind: RetainedRows, before: number, limit: number) =>
    db.run(STATEMENTS[kind], { before, limit }),
}
