import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

const byRequest = query<{ userId: string; requestKey: string }, { cardId: number }>(
  (p) => sql`SELECT card_id AS "cardId" FROM issued_cards
     WHERE line_user_id = ${p.userId} AND request_key = ${p.requestKey}`,
)
const insert = query<{ userId: string; requestKey: string; cardId: number; at: number }>(
  (p) => sql`INSERT INTO issued_cards (line_user_id, request_key, card_id, created_at)
    VALUES (${p.userId}, ${p.requestKey}, ${p.cardId}, ${p.at})`,
)

/** Digital cards issued in the app, by the request that issued them (a repeat is the same card). */
export const issuedCards = {
  cardOfRequest: async (db: Executor, userId: string, requestKey: string) =>
    (await db.get(byRequest, { userId, requestKey }))?.cardId,
  record: (db: Executor, i: { userId: string; requestKey: string; cardId: number; at: number }) =>
    db.run(insert, i),
}
