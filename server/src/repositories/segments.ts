import type { Segment, SegmentCondition, SegmentItem } from '@membercard/shared'
import { type SQL, sql } from 'drizzle-orm'
import type { Database, Executor, Tx } from '../db/seam.ts'

const DAY_MS = 86_400_000
const TOKYO_OFFSET_MS = 9 * 3_600_000

/** What a segment is evaluated against: today's Asia/Tokyo day, now, and the expiry rule. */
export interface SegmentContext {
  /** Now (Unix ms). */
  now: number
  /** Today's Asia/Tokyo day number (repositories/member-facts.ts `tokyoDay`). */
  today: number
  /** Days without activity after which a balance expires; 0 = balances never expire. */
  expiryDays: number
}

/** The first instant (Unix ms) of an Asia/Tokyo day number. */
function dayStart(day: number): number {
  return day * DAY_MS - TOKYO_OFFSET_MS
}

function list(values: readonly (string | number)[]): SQL {
  return sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )
}

/**
 * One condition as a SQL predicate over `c` (the card) and `key`, the member's card ID
 * (`c.id`, or the link's `l.card_id` when the card is not joined: `readsCard`).
 */
function condition(k: SegmentCondition, x: SegmentContext, key: SQL): SQL {
  switch (k.field) {
    case 'rank':
      return sql`c.rank IN (${list(k.value)})`
    case 'points':
      return k.op === '>=' ? sql`c.points >= ${k.value}` : sql`c.points <= ${k.value}`
    case 'birthMonth':
      return sql`CAST(substr(c.birth_date, 6, 2) AS INTEGER) IN (${list(k.value)})`
    case 'lastVisitDaysAgo': {
      // days ago = today - last visit day; a member who never visited matches every `>=`.
      // A probe of the member's facts row, not a join: at the top of a segment PostgreSQL
      // runs it as an anti- or semi-join over the few rows on the other side of the edge.
      const edge = x.today - k.value
      return k.op === '>='
        ? sql`NOT EXISTS (SELECT 1 FROM member_facts f
            WHERE f.card_id = ${key} AND f.last_visit_day > ${edge})`
        : sql`EXISTS (SELECT 1 FROM member_facts f
            WHERE f.card_id = ${key} AND f.last_visit_day >= ${edge})`
    }
    case 'visitsInLast90Days': {
      // Members with more than `n` visit days in (today - 90, today]: a range of the member's
      // (card, day) key, not `c.id IN (…)`: see `visitedStore`.
      const more = (n: number) => sql`(SELECT count(*) FROM member_visit_days v
        WHERE v.card_id = ${key} AND v.day > ${x.today - 90} AND v.day <= ${x.today}) > ${n}`
      if (k.op === '>=') return k.value <= 0 ? sql`1 = 1` : more(k.value - 1)
      return sql`NOT (${more(k.value)})`
    }
    case 'pointsExpiringWithinDays': {
      if (x.expiryDays <= 0) return sql`1 = 0`
      // The balance expires at last activity + expiryDays; within N days: at or before now + N.
      const lastBefore = x.now + k.value * DAY_MS - x.expiryDays * DAY_MS
      return sql`(c.points > 0 AND COALESCE(c.last_activity_at, c.created_at) <= ${lastBefore})`
    }
    case 'linkedDaysAgo': {
      // days ago = today - the Tokyo day of the current link.
      const day = x.today - k.value
      return k.op === '>='
        ? sql`l.linked_at < ${dayStart(day + 1)}`
        : sql`l.linked_at >= ${dayStart(day)}`
    }
    case 'visitedStore':
      // EXISTS, not `c.id IN (…)`: under an `any`, PostgreSQL runs an IN subquery whose result
      // outgrows work_mem once per member (a million members: past the statement timeout),
      // while EXISTS probes the (card, store) key (decision 099).
      return sql`EXISTS (SELECT 1 FROM member_store_visits s
        WHERE s.card_id = ${key} AND s.store_code IN (${list(k.value)}))`
  }
}

function item(i: SegmentItem, x: SegmentContext, key: SQL): SQL {
  return 'field' in i ? condition(i, x, key) : predicate(i, x, key)
}

/**
 * What a condition costs a member: 0 reads the member's own row, 1 probes one key of another
 * table, 2 counts a range of keys. A group costs what its dearest item costs.
 */
function cost(i: SegmentItem): number {
  if (!('field' in i)) return Math.max(0, ...('all' in i ? i.all : i.any).map(cost))
  switch (i.field) {
    case 'lastVisitDaysAgo':
    case 'visitedStore':
      return 1
    case 'visitsInLast90Days':
      return 2
    default:
      return 0
  }
}

/**
 * A segment as one SQL predicate (values are bound parameters, never concatenated). Items are
 * written cheapest first: both databases evaluate AND and OR left to right and stop at the
 * first answer, so a probe or a count runs only for the members the cheap items leave open.
 */
export function predicate(s: Segment, x: SegmentContext, key: SQL = sql`c.id`): SQL {
  const [items, joiner, empty] =
    'all' in s ? [s.all, sql` AND `, sql`1 = 1`] : [s.any, sql` OR `, sql`1 = 0`]
  if (items.length === 0) return empty
  const ordered = items
    .map((i, at) => ({ i, at, cost: cost(i) }))
    .sort((a, b) => a.cost - b.cost || a.at - b.at)
  return sql`(${sql.join(
    ordered.map(({ i }) => item(i, x, key)),
    joiner,
  )})`
}

/** Whether a segment reads the card's own columns (then `point_cards` is joined). */
function readsCard(s: SegmentItem): boolean {
  if ('field' in s) return CARD_FIELDS.has(s.field)
  return ('all' in s ? s.all : s.any).some(readsCard)
}
const CARD_FIELDS: ReadonlySet<string> = new Set([
  'rank',
  'points',
  'birthMonth',
  'pointsExpiringWithinDays',
])

/** The members linked now who match `s`; `withCard` joins their card whatever `s` reads. */
function matchedFrom(s: Segment, x: SegmentContext, withCard = false): SQL {
  // Every link names an existing card (foreign key), so the join only adds the card's columns.
  // With the card, the probes name `c.id`: the whole predicate is then the card's, and is
  // applied while the cards are read, before the join.
  if (withCard || readsCard(s)) {
    return sql`FROM line_links l JOIN point_cards c ON c.id = l.card_id
      WHERE l.unlinked_at IS NULL AND ${predicate(s, x)}`
  }
  return sql`FROM line_links l WHERE l.unlinked_at IS NULL AND ${predicate(s, x, sql`l.card_id`)}`
}

/**
 * Runs a segment read over every member. On PostgreSQL it runs in a transaction that turns
 * JIT compilation off (it costs a count ~0.15 s and gains nothing on these plans) and lets
 * its hash tables grow to 64 MB, so the key sets probed per member are hashed once instead
 * of probed member by member (decision 101). SQLite has neither setting.
 */
async function wholeRead<T>(db: Executor | Database, fn: (ex: Executor) => Promise<T>) {
  if (db.dialect !== 'postgres') return fn(db)
  const tune = async (tx: Executor) => {
    await tx.execute(sql`SET LOCAL jit = off`)
    await tx.execute(sql`SET LOCAL work_mem = '64MB'`)
    return fn(tx)
  }
  return 'transaction' in db ? db.transaction(tune) : tune(db as Tx)
}

/**
 * Members (cards linked now) matching a segment: `matched`, and `reachable` = those who are
 * friends (no unfollow since their last follow; no event = friend) and have not turned
 * promotions off.
 */
export const segments = {
  /** The count, on PostgreSQL with the settings of `wholeRead`. */
  count(
    db: Database | Tx,
    s: Segment,
    x: SegmentContext,
  ): Promise<{ matched: number; reachable: number }> {
    return wholeRead(db, (ex) => segments.countAsIs(ex, s, x))
  },
  /** The count under the executor's own settings. */
  async countAsIs(
    ex: Executor,
    s: Segment,
    x: SegmentContext,
  ): Promise<{ matched: number; reachable: number }> {
    // One pass over the matched members; the unreachable are few (blocked or opted out), so
    // their set is built once and probed per member.
    const [row] = await ex.execute<{ n: number | string; u: number | string | null }>(
      sql`SELECT count(*) AS n,
          SUM(CASE WHEN l.line_user_id IN (
            SELECT line_user_id FROM line_friends WHERE blocked_at IS NOT NULL
            UNION SELECT line_user_id FROM member_preferences WHERE promotions = 0)
          THEN 1 ELSE 0 END) AS u
        ${matchedFrom(s, x)}`,
    )
    const matched = Number(row?.n ?? 0)
    return { matched, reachable: matched - Number(row?.u ?? 0) }
  },
}

/** A matched member as a campaign or the sample sees them. */
export interface SegmentMember {
  cardId: number
  lineUserId: string
}

/** A member of the console's sample. */
export interface SampleMember extends SegmentMember {
  cardNumber: string
  name: string
  rank: string
  points: number
  reachable: boolean
}

/** Reads the matched members of segments (campaigns, the console's sample). */
export const segmentMembers = {
  /** Every matched member (linked now), by card ID. */
  async all(db: Database | Tx, s: Segment, x: SegmentContext): Promise<SegmentMember[]> {
    const rows = await wholeRead(db, (ex) =>
      ex.execute<{ cardId: number | string; lineUserId: string }>(
        sql`SELECT l.card_id AS "cardId", l.line_user_id AS "lineUserId" ${matchedFrom(s, x)}
          ORDER BY l.card_id`,
      ),
    )
    return rows.map((r) => ({ cardId: Number(r.cardId), lineUserId: r.lineUserId }))
  },
  /** Up to `limit` matched members, lowest card ID first, with whether each is reachable. */
  async sample(
    db: Executor,
    s: Segment,
    x: SegmentContext,
    limit: number,
  ): Promise<SampleMember[]> {
    const rows = await db.execute<{
      cardId: number | string
      lineUserId: string
      cardNumber: string
      name: string
      rank: string
      points: number | string
      unreachable: number | string
    }>(
      sql`SELECT c.id AS "cardId", l.line_user_id AS "lineUserId", c.card_number AS "cardNumber",
          c.name, c.rank, c.points,
          CASE WHEN EXISTS (SELECT 1 FROM line_friends b WHERE b.line_user_id = l.line_user_id
              AND b.blocked_at IS NOT NULL)
            OR EXISTS (SELECT 1 FROM member_preferences p WHERE p.line_user_id = l.line_user_id
              AND p.promotions = 0) THEN 1 ELSE 0 END AS unreachable
        ${matchedFrom(s, x, true)} ORDER BY c.id LIMIT ${limit}`,
    )
    return rows.map((r) => ({
      cardId: Number(r.cardId),
      lineUserId: r.lineUserId,
      cardNumber: r.cardNumber,
      name: r.name,
      rank: r.rank,
      points: Number(r.points),
      reachable: Number(r.unreachable) === 0,
    }))
  },
}
