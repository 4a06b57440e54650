import type { Segment, SegmentCondition, SegmentItem } from '@membercard/shared'
import { type SQL, sql } from 'drizzle-orm'
import type { Executor } from '../db/seam.ts'

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

/** One condition as a SQL predicate over `c` (card), `l` (active link), `f` (facts). */
function condition(k: SegmentCondition, x: SegmentContext): SQL {
  switch (k.field) {
    case 'rank':
      return sql`c.rank IN (${list(k.value)})`
    case 'points':
      return k.op === '>=' ? sql`c.points >= ${k.value}` : sql`c.points <= ${k.value}`
    case 'birthMonth':
      return sql`CAST(substr(c.birth_date, 6, 2) AS INTEGER) IN (${list(k.value)})`
    case 'lastVisitDaysAgo': {
      // days ago = today - last visit day; a member who never visited matches every `>=`.
      const edge = x.today - k.value
      return k.op === '>='
        ? sql`(f.last_visit_day IS NULL OR f.last_visit_day <= ${edge})`
        : sql`f.last_visit_day >= ${edge}`
    }
    case 'visitsInLast90Days': {
      // Members with more than `n` visit days in (today - 90, today]: a range of the member's
      // (card, day) key, not `c.id IN (…)`: see `visitedStore`.
      const more = (n: number) => sql`(SELECT count(*) FROM member_visit_days v
        WHERE v.card_id = c.id AND v.day > ${x.today - 90} AND v.day <= ${x.today}) > ${n}`
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
        WHERE s.card_id = c.id AND s.store_code IN (${list(k.value)}))`
  }
}

function item(i: SegmentItem, x: SegmentContext): SQL {
  return 'field' in i ? condition(i, x) : predicate(i, x)
}

/** A segment as one SQL predicate (values are bound parameters, never concatenated). */
export function predicate(s: Segment, x: SegmentContext): SQL {
  const [items, joiner, empty] =
    'all' in s ? [s.all, sql` AND `, sql`1 = 1`] : [s.any, sql` OR `, sql`1 = 0`]
  if (items.length === 0) return empty
  return sql`(${sql.join(
    items.map((i) => item(i, x)),
    joiner,
  )})`
}

/** Whether a segment reads the visit facts (then `member_facts` is joined). */
function usesFacts(s: SegmentItem): boolean {
  if ('field' in s) return s.field === 'lastVisitDaysAgo'
  return ('all' in s ? s.all : s.any).some(usesFacts)
}

/**
 * Members (cards linked now) matching a segment: `matched`, and `reachable` = those who are
 * friends (no unfollow since their last follow; no event = friend) and have not turned
 * promotions off.
 */
export const segments = {
  async count(
    db: Executor,
    s: Segment,
    x: SegmentContext,
  ): Promise<{ matched: number; reachable: number }> {
    const facts = usesFacts(s) ? sql`LEFT JOIN member_facts f ON f.card_id = c.id` : sql``
    const from = sql`FROM line_links l JOIN point_cards c ON c.id = l.card_id ${facts}
      WHERE l.unlinked_at IS NULL AND ${predicate(s, x)}`
    // One pass over the matched members; the unreachable are few (blocked or opted out), so
    // their set is built once and probed per member.
    const [row] = await db.execute<{ n: number | string; u: number | string | null }>(
      sql`SELECT count(*) AS n,
          SUM(CASE WHEN l.line_user_id IN (
            SELECT line_user_id FROM line_friends WHERE blocked_at IS NOT NULL
            UNION SELECT line_user_id FROM member_preferences WHERE promotions = 0)
          THEN 1 ELSE 0 END) AS u
        ${from}`,
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

function matchedFrom(s: Segment, x: SegmentContext): SQL {
  const facts = usesFacts(s) ? sql`LEFT JOIN member_facts f ON f.card_id = c.id` : sql``
  return sql`FROM line_links l JOIN point_cards c ON c.id = l.card_id ${facts}
    WHERE l.unlinked_at IS NULL AND ${predicate(s, x)}`
}

/** Reads the matched members of segments (campaigns, the console's sample). */
export const segmentMembers = {
  /** Every matched member (linked now), by card ID. */
  async all(db: Executor, s: Segment, x: SegmentContext): Promise<SegmentMember[]> {
    const rows = await db.execute<{ cardId: number | string; lineUserId: string }>(
      sql`SELECT c.id AS "cardId", l.line_user_id AS "lineUserId" ${matchedFrom(s, x)}
        ORDER BY c.id`,
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
        ${matchedFrom(s, x)} ORDER BY c.id LIMIT ${limit}`,
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
