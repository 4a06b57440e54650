import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

const insert = query<{
  userId: string
  cardId: number
  purpose: string
  version: string
  at: number
}>(
  (p) => sql`INSERT INTO consents (line_user_id, card_id, purpose, version, granted_at)
    VALUES (${p.userId}, ${p.cardId}, ${p.purpose}, ${p.version}, ${p.at})`,
)

/** Consents granted, versioned; never deleted. */
export const consents = {
  record: (
    db: Executor,
    c: { userId: string; cardId: number; purpose: string; version: string; at: number },
  ) => db.run(insert, c),
}
