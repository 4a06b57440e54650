import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/**
 * A point card as the till finds it by its number (decision 092): the card, its balance and
 * rank, and — when it is linked — the LINE user and the language LINE reported for them (for
 * the wording of the push). An erased card (APPI) is not found.
 */
export interface TillCard {
  cardId: number
  cardNumber: string
  name: string
  rank: string
  points: number
  lineUserId: string | null
  lineLanguage: string | null
}

const byNumber = query<{ cardNumber: string }, TillCard>(
  (p) => sql`SELECT c.id AS "cardId", c.card_number AS "cardNumber", c.name, c.rank, c.points,
       l.line_user_id AS "lineUserId", f.language AS "lineLanguage"
     FROM point_cards c
       LEFT JOIN line_links l ON l.card_id = c.id AND l.unlinked_at IS NULL
       LEFT JOIN line_friends f ON f.line_user_id = l.line_user_id
     WHERE c.card_number = ${p.cardNumber} AND c.erased_at IS NULL`,
)

/** Cards as the till looks them up by number. */
export const tillCards = {
  /** The card with this (normalised, 16-digit) number, or undefined. */
  byNumber: (db: Executor, cardNumber: string) => db.get(byNumber, { cardNumber }),
}
