import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

const increment = query<{ month: string }, { count: number }>(
  (p) => sql`INSERT INTO message_counts (month, count) VALUES (${p.month}, 1)
    ON CONFLICT (month) DO UPDATE SET count = message_counts.count + 1 RETURNING count`,
)

/** Messages sent per month (LINE's plans have monthly quotas). */
export const messageCounts = {
  /** Counts one message in `month` (`YYYY-MM`); the month's count so far. */
  increment: async (db: Executor, month: string) =>
    (await db.get(increment, { month }))?.count ?? 0,
}
