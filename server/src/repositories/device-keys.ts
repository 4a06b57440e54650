import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

type Put = { linkId: number; secret: string; issuedAt: number }

const put = query<Put>(
  (p) => sql`INSERT INTO device_keys (link_id, secret, issued_at)
    VALUES (${p.linkId}, ${p.secret}, ${p.issuedAt})
    ON CONFLICT (link_id) DO UPDATE SET secret = excluded.secret, issued_at = excluded.issued_at`,
)
/** The key of an active link only: an unlinked link's key (if any were left) is never read. */
const ofActiveLink = query<{ linkId: number }, { secret: string }>(
  (p) => sql`SELECT k.secret AS "secret" FROM device_keys k
    JOIN line_links l ON l.id = k.link_id
    WHERE k.link_id = ${p.linkId} AND l.unlinked_at IS NULL`,
)
const revoke = query<{ linkId: number }>(
  (p) => sql`DELETE FROM device_keys WHERE link_id = ${p.linkId}`,
)

/** Per-link device keys for offline card codes (docs/decisions/067). */
export const deviceKeys = {
  /** Stores `secret` (sealed) as the link's key, replacing any earlier one. */
  put: (db: Executor, k: Put) => db.run(put, k),
  /** The sealed secret of an active link's key, if it has one. */
  ofActiveLink: async (db: Executor, linkId: number) =>
    (await db.get(ofActiveLink, { linkId }))?.secret,
  /** Deletes the link's key (an unlink). */
  revoke: (db: Executor, linkId: number) => db.run(revoke, { linkId }),
}
