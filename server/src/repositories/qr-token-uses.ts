import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

type Use = { tokenId: string; storeCode: string; spend: number; expiresAt: number }

/**
 * One statement: the first use inserts the row (the token is now this store's); a later one
 * at the same store adds its spending bits unless one of them is already set. A use at another
 * store, or a second spending of one kind, matches no row and returns none. On PostgreSQL a use
 * racing an uncommitted one of the same token waits for it, then sees its row.
 */
const use = query<Use, { tokenId: string }>(
  (p) => sql`INSERT INTO qr_token_uses (token_id, store_code, spent, expires_at)
    VALUES (${p.tokenId}, ${p.storeCode}, ${p.spend}, ${p.expiresAt})
    ON CONFLICT (token_id) DO UPDATE SET spent = qr_token_uses.spent | excluded.spent
      WHERE qr_token_uses.store_code = excluded.store_code
        AND (qr_token_uses.spent & excluded.spent) = 0
    RETURNING token_id AS "tokenId"`,
)
const purge = query<{ before: number }>(
  (p) => sql`DELETE FROM qr_token_uses WHERE expires_at < ${p.before}`,
)

/** QR tokens seen at a till: their store and what they were spent on. */
export const qrTokenUses = {
  /**
   * Records a use of a token at `storeCode`, spending the bits of `spend` (0: none). False
   * when the token belongs to another store or one of those bits was spent already.
   */
  use: async (db: Executor, u: Use) => (await db.get(use, u)) !== undefined,
  /** Deletes the rows of tokens that expired before `before`; how many. */
  purge: (db: Executor, before: number) => db.run(purge, { before }),
}
