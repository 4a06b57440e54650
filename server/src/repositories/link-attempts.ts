import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** How many failures in a window, and when the oldest of them was. */
export interface FailureCount {
  n: number
  oldest: number | null
}

const byUser = query<{ userId: string; since: number }, FailureCount>(
  (p) => sql`SELECT count(*) AS n, min(created_at) AS oldest FROM link_attempts
     WHERE line_user_id = ${p.userId} AND created_at > ${p.since}`,
)
const byCard = query<{ cardKey: string; since: number }, FailureCount>(
  (p) => sql`SELECT count(*) AS n, min(created_at) AS oldest FROM link_attempts
     WHERE card_key = ${p.cardKey} AND created_at > ${p.since}`,
)
const insert = query<{ userId: string; cardKey: string; at: number }, { id: number }>(
  (p) => sql`INSERT INTO link_attempts (line_user_id, card_key, created_at)
    VALUES (${p.userId}, ${p.cardKey}, ${p.at}) RETURNING id`,
)
const remove = query<{ id: number }>((p) => sql`DELETE FROM link_attempts WHERE id = ${p.id}`)

const none: FailureCount = { n: 0, oldest: null }

/** Failed link attempts (wrong card number or PIN), counted per LINE user and per card. */
export const linkAttempts = {
  byUserSince: async (db: Executor, userId: string, since: number) =>
    (await db.get(byUser, { userId, since })) ?? none,
  byCardSince: async (db: Executor, cardKey: string, since: number) =>
    (await db.get(byCard, { cardKey, since })) ?? none,
  /** Records an attempt as failed; its id (see `remove`). */
  async record(db: Executor, a: { userId: string; cardKey: string; at: number }) {
    const row = await db.get(insert, a)
    if (!row) throw new Error('insert returned no id')
    return row.id
  },
  /** Takes back an attempt recorded in advance that turned out not to be a failure. */
  remove: (db: Executor, id: number) => db.run(remove, { id }),
}
