import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

const get = query<{ userId: string }, { promotions: number }>(
  (p) => sql`SELECT promotions FROM member_preferences WHERE line_user_id = ${p.userId}`,
)
const put = query<{ userId: string; promotions: number; at: number }>(
  (p) => sql`INSERT INTO member_preferences (line_user_id, promotions, updated_at)
    VALUES (${p.userId}, ${p.promotions}, ${p.at})
    ON CONFLICT (line_user_id) DO UPDATE SET promotions = excluded.promotions,
      updated_at = excluded.updated_at`,
)

/** A LINE user's messaging preferences (no row: promotions on). */
export const memberPreferences = {
  /** Whether the user wants promotional messages (true until turned off). */
  promotions: async (db: Executor, userId: string) =>
    Number((await db.get(get, { userId }))?.promotions ?? 1) === 1,
  setPromotions: (db: Executor, userId: string, promotions: boolean, at: number) =>
    db.run(put, { userId, promotions: promotions ? 1 : 0, at }),
}
