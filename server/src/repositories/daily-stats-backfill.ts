import { type SQL, sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/**
 * The daily counters recomputed from what the database already holds (an installation that
 * had data before the counters existed): see services/daily-stats-backfill.ts for what is
 * exact and what is not. Days are computed with one fixed UTC offset (`off`, ms).
 */

type Off = { off: number }

// CAST: SQLite binds a JavaScript number as a REAL, and its division would not be an integer's.
const day = (col: SQL) => sql`((${col} + CAST(${sql.placeholder('off')} AS BIGINT)) / 86400000)`

/** An upsert of `cols` from a SELECT (`WHERE true`: SQLite's parser needs a WHERE there). */
function upsert(cols: string[], select: SQL): SQL {
  const list = sql.raw(cols.join(', '))
  const set = sql.raw(cols.map((c) => `${c} = daily_stats.${c} + excluded.${c}`).join(', '))
  return sql`INSERT INTO daily_stats (day, store_code, shard, ${list}) ${select}
    ON CONFLICT (day, store_code, shard) DO UPDATE SET ${set}`
}

const LEDGER_COLS = [
  'bonus_points',
  'points_awarded',
  'points_redeemed',
  'points_expired',
  'net_points',
  'awards',
  'redeems',
  'purchases_linked',
  'purchase_yen_linked',
  'purchases_unlinked',
  'purchase_yen_unlinked',
]
const purchase = (linked: boolean) =>
  sql.raw(
    `type = 'award' AND purchase_amount IS NOT NULL AND qr_token_id IS ${linked ? 'NOT NULL' : 'NULL'}`,
  )
const ledgerFlows = query<Off>(() =>
  upsert(
    LEDGER_COLS,
    sql`SELECT ${day(sql`created_at`)} AS d, COALESCE(store_code, '') AS s, 0,
      SUM(CASE WHEN type = 'bonus' THEN points ELSE 0 END),
      SUM(CASE WHEN type = 'award' THEN points ELSE 0 END),
      SUM(CASE WHEN type = 'redeem' THEN -points ELSE 0 END),
      SUM(CASE WHEN type = 'expire' THEN -points ELSE 0 END),
      SUM(points),
      SUM(CASE WHEN type = 'award' THEN 1 ELSE 0 END),
      SUM(CASE WHEN type = 'redeem' THEN 1 ELSE 0 END),
      SUM(CASE WHEN ${purchase(true)} THEN 1 ELSE 0 END),
      SUM(CASE WHEN ${purchase(true)} THEN purchase_amount ELSE 0 END),
      SUM(CASE WHEN ${purchase(false)} THEN 1 ELSE 0 END),
      SUM(CASE WHEN ${purchase(false)} THEN purchase_amount ELSE 0 END)
    FROM ledger WHERE true GROUP BY d, s`,
  ),
)

/**
 * Each card's visits (the first till transaction of each of its days) with the visit before:
 * a visit counts where its first transaction was (store, linked card or not), and makes the
 * card active in the 30- and 90-day windows from its day (or from where the previous visit's
 * window ended) to 30 (90) days later.
 */
const VISITS = sql`firsts AS (
    SELECT card_id, d, s, linked FROM (
      SELECT card_id, ${day(sql`created_at`)} AS d, COALESCE(store_code, '') AS s,
        CASE WHEN qr_token_id IS NOT NULL THEN 1 ELSE 0 END AS linked,
        ROW_NUMBER() OVER (PARTITION BY card_id, ${day(sql`created_at`)} ORDER BY id) AS rn
      FROM ledger WHERE type IN ('award', 'redeem')) f
    WHERE rn = 1),
  v AS (SELECT card_id, d, s, linked, LAG(d) OVER (PARTITION BY card_id ORDER BY d) AS prev
    FROM firsts)`
const window = (w: number) =>
  sql.raw(`CASE WHEN prev IS NULL OR prev + ${w} <= d THEN d ELSE prev + ${w} END`)
const visits = query<Off>(
  () => sql`WITH ${VISITS}, changes AS (
      SELECT d, s, linked AS vl, 1 - linked AS vu, 0 AS a30, 0 AS a90 FROM v
      UNION ALL SELECT ${window(30)}, s, 0, 0, 1, 0 FROM v
      UNION ALL SELECT d + 30, s, 0, 0, -1, 0 FROM v
      UNION ALL SELECT ${window(90)}, s, 0, 0, 0, 1 FROM v
      UNION ALL SELECT d + 90, s, 0, 0, 0, -1 FROM v)
    ${upsert(
      ['visits_linked', 'visits_unlinked', 'active30', 'active90'],
      sql`SELECT d, s, 0, SUM(vl), SUM(vu), SUM(a30), SUM(a90) FROM changes WHERE true
        GROUP BY d, s`,
    )}`,
)
/** Each card's last visit day and the one before, for the counters kept from now on. */
const cardVisits = query<Off>(
  () => sql`WITH ${VISITS}, latest AS (
      SELECT card_id, d, prev FROM (
        SELECT card_id, d, prev, ROW_NUMBER() OVER (PARTITION BY card_id ORDER BY d DESC) AS rn
        FROM v) x
      WHERE rn = 1)
    UPDATE point_cards SET last_visit_day = latest.d, prev_visit_day = latest.prev
    FROM latest WHERE point_cards.id = latest.card_id`,
)
const linkFlows = query<Off>(() =>
  upsert(
    ['new_links', 'unlinks'],
    sql`SELECT d, '', 0, SUM(n), SUM(u) FROM (
        SELECT ${day(sql`linked_at`)} AS d, 1 AS n, 0 AS u FROM line_links
        UNION ALL
        SELECT ${day(sql`unlinked_at`)}, 0, 1 FROM line_links WHERE unlinked_at IS NOT NULL) x
      WHERE true GROUP BY d`,
  ),
)
/** Friends now, each from the day of their follow (earlier unfollows were not kept). */
const friendFlows = query<Off>(() =>
  upsert(
    ['friends'],
    sql`SELECT ${day(sql`followed_at`)} AS d, '', 0, COUNT(*) FROM line_friends
      WHERE followed_at IS NOT NULL AND blocked_at IS NULL GROUP BY d`,
  ),
)
/** Linked members who are friends now, each from the later of the link and the follow. */
const linkedFriendFlows = query<Off>(() =>
  upsert(
    ['linked_friends'],
    sql`SELECT ${day(sql`CASE WHEN l.linked_at > f.followed_at THEN l.linked_at ELSE f.followed_at END`)} AS d,
        '', 0, COUNT(*)
      FROM line_links l JOIN line_friends f ON f.line_user_id = l.line_user_id
      WHERE l.unlinked_at IS NULL AND f.followed_at IS NOT NULL AND f.blocked_at IS NULL
      GROUP BY d`,
  ),
)
const cardFlows = query<Off>(() =>
  upsert(
    ['new_cards'],
    sql`SELECT ${day(sql`created_at`)} AS d, '', 0, COUNT(*) FROM point_cards WHERE true GROUP BY d`,
  ),
)

const lock = query<Record<string, never>>(
  () => sql`SELECT pg_advisory_xact_lock(hashtext('daily_stats.backfill'))`,
)
const hasData = query<Record<string, never>, { one: number }>(
  () => sql`SELECT 1 AS one FROM point_cards UNION ALL SELECT 1 FROM line_friends LIMIT 1`,
)

export const dailyStatsBackfill = {
  /** PostgreSQL: one backfill at a time (instances starting together). */
  async lock(db: Executor): Promise<void> {
    if (db.dialect === 'postgres') await db.get(lock, {})
  },
  /** True when there is anything to count (cards or friends). */
  hasData: async (db: Executor) => (await db.get(hasData, {})) !== undefined,
  /** Every recomputation, in one order. */
  async run(db: Executor, off: number): Promise<void> {
    for (const q of [
      ledgerFlows,
      visits,
      cardVisits,
      linkFlows,
      friendFlows,
      linkedFriendFlows,
      cardFlows,
    ]) {
      await db.run(q, { off })
    }
  },
}
