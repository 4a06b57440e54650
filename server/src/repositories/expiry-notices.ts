import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** A linked card with points whose balance expires in the window asked for. */
export interface ExpiringCard {
  cardId: number
  points: number
  /** The last activity (or creation) the expiry counts from. */
  last: number
}

const expiring = query<{ expiryMs: number; from: number; to: number }, ExpiringCard>(
  (p) => sql`SELECT c.id AS "cardId", c.points, COALESCE(c.last_activity_at, c.created_at) AS last
    FROM point_cards c JOIN line_links l ON l.card_id = c.id AND l.unlinked_at IS NULL
    WHERE c.points > 0
      AND COALESCE(c.last_activity_at, c.created_at) + ${p.expiryMs} > ${p.from}
      AND COALESCE(c.last_activity_at, c.created_at) + ${p.expiryMs} <= ${p.to}
    ORDER BY c.id`,
)

/** The cards the pre-expiry notices are for. */
export const expiryNotices = {
  /**
   * Linked cards whose whole balance expires (last activity + `expiryMs`) after `from` and
   * no later than `to`.
   */
  expiring: (db: Executor, w: { expiryMs: number; from: number; to: number }) =>
    db.all(expiring, w),
}
