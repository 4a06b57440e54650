import { type SQL, sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** Statements take at most this many users at a time. */
export const PROMO_CHUNK = 500

function list(values: readonly string[]): SQL {
  return sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )
}

async function column(db: Executor, statement: SQL): Promise<Set<string>> {
  const rows = await db.execute<{ u: string }>(statement)
  return new Set(rows.map((r) => r.u))
}

/** PostgreSQL: serialises every admission of promotional messages (see `lock`). */
const lock = query(() => sql`SELECT pg_advisory_xact_lock(hashtext('promo_sends.admit'))`)

/**
 * Promotional messages per LINE user (campaigns, automations, coupon notices): one row per
 * source and user. The frequency cap counts a user's rows in its window; the key keeps a source
 * (one campaign, one automation run) from reaching a user twice.
 */
export const promoSends = {
  /**
   * Until the transaction ends, no other transaction admits promotions (PostgreSQL; SQLite's
   * write transactions are serial anyway): two campaigns starting at once cannot both take a
   * member's last slot under the cap.
   */
  async lock(db: Executor): Promise<void> {
    if (db.dialect === 'postgres') await db.run(lock, {})
  },
  /** Of `users` (≤ PROMO_CHUNK): who blocked the account (an unfollow since the last follow). */
  blocked: (db: Executor, users: readonly string[]) =>
    users.length === 0
      ? Promise.resolve(new Set<string>())
      : column(
          db,
          sql`SELECT line_user_id AS u FROM line_friends
            WHERE blocked_at IS NOT NULL AND line_user_id IN (${list(users)})`,
        ),
  /** Of `users` (≤ PROMO_CHUNK): who turned promotional messages off. */
  optedOut: (db: Executor, users: readonly string[]) =>
    users.length === 0
      ? Promise.resolve(new Set<string>())
      : column(
          db,
          sql`SELECT line_user_id AS u FROM member_preferences
            WHERE promotions = 0 AND line_user_id IN (${list(users)})`,
        ),
  /** Of `users` (≤ PROMO_CHUNK): who got `max` or more promotions after `since` (Unix ms). */
  capped: (db: Executor, users: readonly string[], since: number, max: number) =>
    users.length === 0
      ? Promise.resolve(new Set<string>())
      : column(
          db,
          sql`SELECT line_user_id AS u FROM promo_sends
            WHERE line_user_id IN (${list(users)}) AND sent_at > ${since}
            GROUP BY line_user_id HAVING count(*) >= ${max}`,
        ),
  /**
   * Records a promotion of `source` to each of `users` (≤ PROMO_CHUNK) at `at`; returns those
   * recorded now (a user `source` reached before is left out).
   */
  async record(
    db: Executor,
    source: string,
    users: readonly string[],
    at: number,
  ): Promise<Set<string>> {
    if (users.length === 0) return new Set()
    const values = sql.join(
      users.map((u) => sql`(${source}, ${u}, ${at})`),
      sql`, `,
    )
    return column(
      db,
      sql`INSERT INTO promo_sends (source, line_user_id, sent_at) VALUES ${values}
        ON CONFLICT (source, line_user_id) DO NOTHING RETURNING line_user_id AS u`,
    )
  },
  /** Forgets the promotion of `source` to `users` (≤ PROMO_CHUNK; a cancelled batch). */
  async forget(db: Executor, source: string, users: readonly string[]): Promise<void> {
    if (users.length === 0) return
    await db.execute(
      sql`DELETE FROM promo_sends WHERE source = ${source} AND line_user_id IN (${list(users)})`,
    )
  },
}
