import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** A nonce of the account-link flow, as the `accountLink` event checks it. */
export interface AccountLinkNonce {
  cardId: number
  consentVersion: string
  expiresAt: number
  usedAt: number | null
  /** The LINE user the link token was issued for. */
  userId: string | null
}

const recordToken = query<{ tokenHash: string; userId: string; at: number; expiresAt: number }>(
  (p) => sql`INSERT INTO account_link_tokens (token_hash, line_user_id, created_at, expires_at)
    VALUES (${p.tokenHash}, ${p.userId}, ${p.at}, ${p.expiresAt})
    ON CONFLICT (token_hash) DO NOTHING`,
)
const tokenOwner = query<{ tokenHash: string; now: number }, { userId: string }>(
  (p) => sql`SELECT line_user_id AS "userId" FROM account_link_tokens
    WHERE token_hash = ${p.tokenHash} AND expires_at > ${p.now}`,
)
const insertNonce = query<{
  nonce: string
  cardId: number
  consentVersion: string
  userId: string
  at: number
  expiresAt: number
}>(
  (p) => sql`INSERT INTO account_link_nonces
      (nonce, card_id, consent_version, created_at, expires_at, line_user_id)
    VALUES (${p.nonce}, ${p.cardId}, ${p.consentVersion}, ${p.at}, ${p.expiresAt}, ${p.userId})`,
)
const nonceRow = query<{ nonce: string }, AccountLinkNonce>(
  (p) => sql`SELECT card_id AS "cardId", consent_version AS "consentVersion",
      expires_at AS "expiresAt", used_at AS "usedAt", line_user_id AS "userId"
    FROM account_link_nonces WHERE nonce = ${p.nonce}`,
)
const useNonce = query<{ nonce: string; at: number }>(
  (p) => sql`UPDATE account_link_nonces SET used_at = ${p.at}
    WHERE nonce = ${p.nonce} AND used_at IS NULL`,
)

/**
 * The Messaging API account-link flow: the link tokens this server asked LINE for (hashed,
 * with their user) and the single-use nonces the sign-in page hands out.
 */
export const accountLinks = {
  recordToken: (
    db: Executor,
    t: { tokenHash: string; userId: string; at: number; expiresAt: number },
  ) => db.run(recordToken, t),
  /** The user a still valid link token (by its hash) was issued to. */
  tokenOwner: async (db: Executor, tokenHash: string, now: number) =>
    (await db.get(tokenOwner, { tokenHash, now }))?.userId,
  insertNonce: (
    db: Executor,
    n: {
      nonce: string
      cardId: number
      consentVersion: string
      userId: string
      at: number
      expiresAt: number
    },
  ) => db.run(insertNonce, n),
  nonce: (db: Executor, nonce: string) => db.get(nonceRow, { nonce }),
  /** Marks the nonce used; false when it already was (by this or a concurrent transaction). */
  useNonce: async (db: Executor, nonce: string, at: number) =>
    (await db.run(useNonce, { nonce, at })) === 1,
}
