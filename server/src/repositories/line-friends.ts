import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

type At = { userId: string; at: number }

const follow = query<At>(
  (p) => sql`INSERT INTO line_friends (line_user_id, followed_at, blocked_at, updated_at)
    VALUES (${p.userId}, ${p.at}, NULL, ${p.at})
    ON CONFLICT (line_user_id) DO UPDATE SET followed_at = excluded.followed_at,
      blocked_at = NULL, updated_at = excluded.updated_at`,
)
const block = query<At>(
  (p) => sql`INSERT INTO line_friends (line_user_id, blocked_at, updated_at)
    VALUES (${p.userId}, ${p.at}, ${p.at})
    ON CONFLICT (line_user_id) DO UPDATE SET blocked_at = excluded.blocked_at,
      updated_at = excluded.updated_at`,
)
const byUser = query<{ userId: string }, { language: string | null; blockedAt: number | null }>(
  (p) => sql`SELECT language, blocked_at AS "blockedAt" FROM line_friends
    WHERE line_user_id = ${p.userId}`,
)
const setLanguage = query<At & { language: string | null }>(
  (p) => sql`UPDATE line_friends SET language = ${p.language}, updated_at = ${p.at}
    WHERE line_user_id = ${p.userId}`,
)

/** Friends of the Official Account, from the follow and unfollow webhook events. */
export const lineFriends = {
  /** A follow (or an unblock): the user is a friend, not blocked. */
  follow: (db: Executor, userId: string, at: number) => db.run(follow, { userId, at }),
  /** An unfollow: the user blocked the account; no pushes until the next follow. */
  block: (db: Executor, userId: string, at: number) => db.run(block, { userId, at }),
  /** The language LINE reported for the user, if known. */
  language: async (db: Executor, userId: string) =>
    (await db.get(byUser, { userId }))?.language ?? null,
  /** When the user blocked the account, or null while they have not. */
  blockedAt: async (db: Executor, userId: string) =>
    (await db.get(byUser, { userId }))?.blockedAt ?? null,
  /** Records the language of the user's LINE profile (only for a known friend). */
  setLanguage: (db: Executor, userId: string, language: string | null, at: number) =>
    db.run(setLanguage, { userId, language, at }),
}
