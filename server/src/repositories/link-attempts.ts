import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** How many failures in a window, and when the oldest and the latest of them were. */
export interface FailureCount {
  n: number
  oldest: number | null
  latest: number | null
}

type Row = { n: number | string; oldest: number | string | null; latest: number | string | null }

const byUser = query<{ userId: string; since: number }, Row>(
  (p) => sql`SELECT count(*) AS n, min(created_at) AS oldest, max(created_at) AS latest
    FROM link_attempts WHERE line_user_id = ${p.userId} AND created_at > ${p.since}`,
)
const byCard = query<{ cardKey: string; since: number }, Row>(
  (p) => sql`SELECT count(*) AS n, min(created_at) AS oldest, max(created_at) AS latest
    FROM link_attempts
    WHERE card_key = ${p.cardKey} AND created_at > ${p.since} AND card_cleared_at IS NULL`,
)
const insert = query<{ userId: string; cardKey: string; at: number }, { id: number }>(
  (p) => sql`INSERT INTO link_attempts (line_user_id, card_key, created_at)
    VALUES (${p.userId}, ${p.cardKey}, ${p.at}) RETURNING id`,
)
const clearCard = query<{ cardKey: string; at: number }>(
  (p) => sql`UPDATE link_attempts SET card_cleared_at = ${p.at}
    WHERE card_key = ${p.cardKey} AND card_cleared_at IS NULL`,
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

/** Counts as numbers whichever way the driver hands over a 64-bit integer. */
function failures(row: Row | undefined): FailureCount {
  if (!row) return { n: 0, oldest: null, latest: null }
  return {
    n: Number(row.n),
    oldest: row.oldest === null ? null : Number(row.oldest),
    latest: row.latest === null ? null : Number(row.latest),
  }
}

/** Failed link attempts (wrong card number or PIN), counted per LINE user and per card. */
export const linkAttempts = {
  /**
   * Makes concurrent attempts of the same LINE user or card wait for each other until the end
   * of the transaction, so each counts the ones recorded before it. SQLite's write transactions
   * already run one at a time.
   */
  async serialize(tx: Executor, userId: string, cardKey: string): Promise<void> {
    if (tx.dialect !== 'postgres') return
    await tx.get(lockUser, { userId })
    await tx.get(lockCard, { cardKey })
  },
  byUserSince: async (db: Executor, userId: string, since: number) =>
    failures(await db.get(byUser, { userId, since })),
  /** The card's failures since `since` that an operator has not cleared. */
  byCardSince: async (db: Executor, cardKey: string, since: number) =>
    failures(await db.get(byCard, { cardKey, since })),
  /** Records a failed attempt; its id. */
  async record(db: Executor, a: { userId: string; cardKey: string; at: number }) {
    const row = await db.get(insert, a)
    if (!row) throw new Error('insert returned no id')
    return Number(row.id)
  },
  /**
   * Stops the card's failures so far counting for the card (they still count for the LINE
   * users who made them); how many there were.
   */
  clearCard: (db: Executor, cardKey: string, at: number) => db.run(clearCard, { cardKey, at }),
}
