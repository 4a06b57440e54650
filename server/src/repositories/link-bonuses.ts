import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

const ofCardOrUser = query<{ cardId: number; userId: string }, { id: number }>(
  (p) => sql`SELECT id FROM link_bonuses WHERE card_id = ${p.cardId} OR line_user_id = ${p.userId}
    LIMIT 1`,
)
const ofUser = query<{ userId: string }, { id: number }>(
  (p) => sql`SELECT id FROM link_bonuses WHERE line_user_id = ${p.userId} LIMIT 1`,
)
const pointsOfCard = query<{ cardId: number }, { points: number }>(
  (p) => sql`SELECT l.points FROM link_bonuses b JOIN ledger l ON l.id = b.ledger_id
     WHERE b.card_id = ${p.cardId}`,
)
const insert = query<{ cardId: number; userId: string; ledgerId: number; at: number }>(
  (p) => sql`INSERT INTO link_bonuses (card_id, line_user_id, ledger_id, granted_at)
    VALUES (${p.cardId}, ${p.userId}, ${p.ledgerId}, ${p.at})`,
)

/**
 * The linking bonus, once per card and once per LINE user, ever: the unique indexes are what
 * enforce it, whatever the code does.
 */
export const linkBonuses = {
  /** True when the card or the user has ever had the bonus. */
  given: async (db: Executor, cardId: number, userId: string) =>
    (await db.get(ofCardOrUser, { cardId, userId })) !== undefined,
  /** True when the user has ever had the bonus (on any card, linked or not). */
  givenToUser: async (db: Executor, userId: string) =>
    (await db.get(ofUser, { userId })) !== undefined,
  /** The bonus points the card received, or undefined. */
  pointsOfCard: async (db: Executor, cardId: number) =>
    (await db.get(pointsOfCard, { cardId }))?.points,
  /** Records the bonus; throws a unique violation when the card or the user already has one. */
  record: (db: Executor, b: { cardId: number; userId: string; ledgerId: number; at: number }) =>
    db.run(insert, b),
}
