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
/**
 * PostgreSQL: transaction-scoped advisory locks on the LINE user and on the card, always in
 * that order (so two attempts never wait on each other in a cycle).
 */
const lockUser = query<{ userId: string }>(
  (p) => sql`SELECT pg_advisory_xact_lock(hashtext('link_attempts.user'), hashtext(${p.userId}))`,
)
const lockCard = query<{ cardKey: string }>(
  (p) => sql`SELECT pg_advisory_xact_lock(hashtext('link_attempts.card'), hashtext(${p.cardKey}))`,
)

const none: FailureCount = { n: 0, oldest: null }

/** Failed link attempts (wrong card number or PIN), counted per LINE user and per card. */
export const linkAttempts = {
  /**
   * Makes concurrent failures of the same LINE user or card wait for each other until the end
   * of the transaction, so each counts the ones recorded before it. SQLite's write transactions
   * already run one at a time.
   */
  async serialize(tx: Executor, userId: string, cardKey: string): Promise<void> {
    if (tx.dialect !== 'postgres') return
    await tx.get(lockUser, { userId })
    await tx.get(lockCard, { cardKey })
  },
  byUserSince: async (db: Executor, userId: string, since: number) =>
    (await db.get(byUser, { userId, since })) ?? none,
  byCardSince: async (db: Executor, cardKey: string, since: number) =>
    (await db.get(byCard, { cardKey, since })) ?? none,
  /** Records a failed attempt; its id. */
  async record(db: Executor, a: { userId: string; cardKey: string; at: number }) {
    const row = await db.get(insert, a)
    if (!row) throw new Error('insert returned no id')
    return row.id
  },
}
