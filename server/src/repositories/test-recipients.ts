import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

const list = query<Record<string, never>, { lineUserId: string; label: string }>(
  () => sql`SELECT line_user_id AS "lineUserId", label FROM test_recipients
    ORDER BY created_at, line_user_id`,
)
const upsert = query<{ lineUserId: string; label: string; at: number }>(
  (p) => sql`INSERT INTO test_recipients (line_user_id, label, created_at)
    VALUES (${p.lineUserId}, ${p.label}, ${p.at})
    ON CONFLICT (line_user_id) DO UPDATE SET label = excluded.label`,
)
const remove = query<{ lineUserId: string }>(
  (p) => sql`DELETE FROM test_recipients WHERE line_user_id = ${p.lineUserId}`,
)

/** LINE users who receive a campaign's test send (staff who follow the account). */
export const testRecipients = {
  list: (db: Executor) => db.all(list, {}),
  /** Adds one (or renames it). */
  upsert: (db: Executor, r: { lineUserId: string; label: string; at: number }) => db.run(upsert, r),
  /** True when one was removed. */
  remove: async (db: Executor, lineUserId: string) => (await db.run(remove, { lineUserId })) === 1,
}
