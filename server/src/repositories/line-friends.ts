import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

type At = { userId: string; at: number }

// Each changes the row only when the friendship changes (a repeated event changes nothing),
// and returns the row then: the dashboard's friend counters move exactly once per change.
const follow = query<At, { userId: string }>(
  (p) => sql`INSERT INTO line_friends (line_user_id, followed_at, blocked_at, updated_at)
    VALUES (${p.userId}, ${p.at}, NULL, ${p.at})
    ON CONFLICT (line_user_id) DO UPDATE SET followed_at = excluded.followed_at,
      blocked_at = NULL, updated_at = excluded.updated_at
      WHERE line_friends.blocked_at IS NOT NULL OR line_friends.followed_at IS NULL
    RETURNING line_user_id AS "userId"`,
)
const block = query<At, { followedAt: number | null }>(
  (p) => sql`INSERT INTO line_friends (line_user_id, blocked_at, updated_at)
    VALUES (${p.userId}, ${p.at}, ${p.at})
    ON CONFLICT (line_user_id) DO UPDATE SET blocked_at = excluded.blocked_at,
      updated_at = excluded.updated_at
      WHERE line_friends.blocked_at IS NULL
    RETURNING followed_at AS "followedAt"`,
)
const isFriend = query<{ userId: string }, { one: number }>(
  (p) => sql`SELECT 1 AS one FROM line_friends WHERE line_user_id = ${p.userId}
    AND followed_at IS NOT NULL AND blocked_at IS NULL`,
)
/** PostgreSQL: serialises the friendship and link changes of one LINE user (see `lockUser`). */
const lockUser = query<{ userId: string }>(
  (p) => sql`SELECT pg_advisory_xact_lock(hashtext('line_friends.user'), hashtext(${p.userId}))`,
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
  /**
   * A follow (or an unblock): the user is a friend, not blocked. True when they were not a
   * friend before (a repeated follow changes nothing).
   */
  follow: async (db: Executor, userId: string, at: number) =>
    (await db.get(follow, { userId, at })) !== undefined,
  /**
   * An unfollow: the user blocked the account; no pushes until the next follow. True when
   * they were a friend before.
   */
  block: async (db: Executor, userId: string, at: number) => {
    const row = await db.get(block, { userId, at })
    return row !== undefined && row.followedAt !== null
  },
  /** True when the user follows the account now (a follow, and no unfollow since). */
  isFriend: async (db: Executor, userId: string) =>
    (await db.get(isFriend, { userId })) !== undefined,
  /**
   * Until the transaction ends, holds a lock on the user's friendship (PostgreSQL; SQLite's
   * write transactions are serial anyway): a link and a follow of one user, committing at
   * once, each see the other, so "linked members who are friends" is counted exactly once.
   */
  async lockUser(db: Executor, userId: string): Promise<void> {
    if (db.dialect === 'postgres') await db.get(lockUser, { userId })
  },
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
