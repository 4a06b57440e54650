import type { Segment } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'
import { predicate, type SegmentContext } from './segments.ts'

/** A member's copy of a coupon joined with its definition. */
export interface MemberCouponRow {
  id: number
  couponId: number
  cardId: number
  copy: number
  issuedAt: number
  /** This copy's end (exclusive). */
  validUntil: number
  uses: number
  reversals: number
  lastUsedAt: number | null
  title: string
  description: string | null
  imageUrl: string | null
  rewardType: 'discountYen' | 'discountPercent' | 'freeItem' | 'bonusPoints'
  rewardValue: number | null
  rewardItem: string | null
  startsAt: number
  endsAt: number
  perMemberLimit: number
  minPurchaseYen: number | null
  storeCodes: string | null
  followUpCouponId: number | null
  endedAt: number | null
}

/** A member a segment matched: the card, its LINE user, and whether promotions reach them. */
export interface SegmentMember {
  cardId: number
  lineUserId: string
  reachable: number | boolean
}

/** A copy about to expire that was not yet reminded of (the `couponExpiring` automation). */
export interface ExpiringCopy {
  memberCouponId: number
  couponId: number
  cardId: number
  lineUserId: string
  title: string
  validUntil: number
}

const columns = sql`m.id, m.coupon_id AS "couponId", m.card_id AS "cardId", m.copy,
  m.issued_at AS "issuedAt", m.valid_until AS "validUntil", m.uses, m.reversals,
  m.last_used_at AS "lastUsedAt", c.title, c.description, c.image_url AS "imageUrl",
  c.reward_type AS "rewardType", c.reward_value AS "rewardValue", c.reward_item AS "rewardItem",
  c.starts_at AS "startsAt", c.ends_at AS "endsAt", c.per_member_limit AS "perMemberLimit",
  c.min_purchase_yen AS "minPurchaseYen", c.store_codes AS "storeCodes",
  c.follow_up_coupon_id AS "followUpCouponId", c.ended_at AS "endedAt"`

const ofCard = query<{ cardId: number }, MemberCouponRow>(
  (p) => sql`SELECT ${columns} FROM member_coupons m JOIN coupons c ON c.id = m.coupon_id
    WHERE m.card_id = ${p.cardId} ORDER BY m.id`,
)
const byId = query<{ id: number }, MemberCouponRow>(
  (p) => sql`SELECT ${columns} FROM member_coupons m JOIN coupons c ON c.id = m.coupon_id
    WHERE m.id = ${p.id}`,
)
/** One use more of a copy, unless all its uses are taken: one statement, exact everywhere. */
const takeUse = query<{ id: number; limit: number; at: number }, { uses: number }>(
  (p) => sql`UPDATE member_coupons SET uses = uses + 1, last_used_at = ${p.at}
    WHERE id = ${p.id} AND uses - reversals < ${p.limit} RETURNING uses`,
)
const giveBackUse = query<{ id: number }>(
  (p) => sql`UPDATE member_coupons SET reversals = reversals + 1
    WHERE id = ${p.id} AND reversals < uses`,
)
/**
 * Locks a copy that has no use standing (every use reversed, or none): its uses, or no row
 * when a use stands (or the copy is gone). The first step of a withdrawal (decision 096).
 */
const lockUnused = query<{ id: number }, { uses: number }>(
  (p) => sql`UPDATE member_coupons SET uses = uses WHERE id = ${p.id} AND uses = reversals
    RETURNING uses`,
)
const deleteReminder = query<{ id: number }>(
  (p) => sql`DELETE FROM coupon_reminders WHERE member_coupon_id = ${p.id}`,
)
const deleteCopy = query<{ id: number }>(
  (p) => sql`DELETE FROM member_coupons WHERE id = ${p.id} AND uses = 0`,
)
/** Ends a copy now (kept: its reversed uses have redemption rows). */
const endNow = query<{ id: number; at: number }>(
  (p) => sql`UPDATE member_coupons
    SET valid_until = CASE WHEN valid_until > ${p.at} THEN ${p.at} ELSE valid_until END
    WHERE id = ${p.id}`,
)

/** The next copy for a card, unless it holds a usable one already (a follow-up). */
const issueNext = query<
  {
    couponId: number
    cardId: number
    source: string
    at: number
    validUntil: number
    limit: number
  },
  { id: number }
>(
  (p) => sql`INSERT INTO member_coupons (coupon_id, card_id, copy, source, issued_at, valid_until)
    SELECT ${p.couponId}, ${p.cardId}, COALESCE(MAX(m.copy), 0) + 1, ${p.source}, ${p.at},
      ${p.validUntil}
    FROM member_coupons m WHERE m.coupon_id = ${p.couponId} AND m.card_id = ${p.cardId}
    HAVING COALESCE(SUM(CASE WHEN m.uses - m.reversals < ${p.limit} AND m.valid_until > ${p.at}
      THEN 1 ELSE 0 END), 0) = 0
    ON CONFLICT (coupon_id, card_id, copy) DO NOTHING RETURNING id`,
)
const expiring = query<{ from: number; until: number; after: number; limit: number }, ExpiringCopy>(
  (p) => sql`SELECT m.id AS "memberCouponId", m.coupon_id AS "couponId", m.card_id AS "cardId",
      l.line_user_id AS "lineUserId", c.title, m.valid_until AS "validUntil"
    FROM member_coupons m
    JOIN coupons c ON c.id = m.coupon_id
    JOIN line_links l ON l.card_id = m.card_id AND l.unlinked_at IS NULL
    WHERE m.valid_until > ${p.from} AND m.valid_until <= ${p.until} AND m.id > ${p.after}
      AND c.ended_at IS NULL AND m.uses - m.reversals < c.per_member_limit
      AND NOT EXISTS (SELECT 1 FROM coupon_reminders r WHERE r.member_coupon_id = m.id)
    ORDER BY m.id LIMIT ${p.limit}`,
)
const remind = query<{ id: number; at: number }, { id: number }>(
  (p) => sql`INSERT INTO coupon_reminders (member_coupon_id, reminded_at) VALUES (${p.id}, ${p.at})
    ON CONFLICT (member_coupon_id) DO NOTHING RETURNING member_coupon_id AS id`,
)

const list = (ids: readonly number[]) =>
  sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  )

/** Members' copies of coupons. */
export const memberCoupons = {
  ofCard: (db: Executor, cardId: number) => db.all(ofCard, { cardId }),
  byId: (db: Executor, id: number) => db.get(byId, { id }),
  /** Counts a use; its number (1, 2, …), or undefined when no use is left. */
  takeUse: async (db: Executor, id: number, limit: number, at: number) => {
    const row = await db.get(takeUse, { id, limit, at })
    return row === undefined ? undefined : Number(row.uses)
  },
  giveBackUse: (db: Executor, id: number) => db.run(giveBackUse, { id }),

  /**
   * Takes back a copy unless a use of it stands: a never-used copy is deleted (with its
   * reminder), one whose uses were all reversed is ended now. `'used'` when a use stands,
   * `'gone'` when there is no such copy, `'withdrawn'` otherwise. Locks the copy first, so a
   * use at another till waits for this transaction (or this one finds it used).
   */
  async withdraw(db: Executor, id: number, at: number): Promise<'withdrawn' | 'used' | 'gone'> {
    const row = await db.get(lockUnused, { id })
    if (!row) return (await db.get(byId, { id })) ? 'used' : 'gone'
    if (Number(row.uses) === 0) {
      await db.run(deleteReminder, { id })
      await db.run(deleteCopy, { id })
    } else {
      await db.run(endNow, { id, at })
    }
    return 'withdrawn'
  },

  /**
   * One page (by card id, after `after`) of the members `segment` matches now: linked cards,
   * with their LINE user and whether promotions reach them (a friend, promotions on).
   */
  segmentPage(
    db: Executor,
    segment: Segment,
    x: SegmentContext,
    after: number,
    limit: number,
  ): Promise<SegmentMember[]> {
    return db.execute<SegmentMember>(
      sql`SELECT c.id AS "cardId", l.line_user_id AS "lineUserId",
          CASE WHEN EXISTS (SELECT 1 FROM line_friends fr
                 WHERE fr.line_user_id = l.line_user_id AND fr.blocked_at IS NOT NULL)
            OR EXISTS (SELECT 1 FROM member_preferences mp
                 WHERE mp.line_user_id = l.line_user_id AND mp.promotions = 0)
          THEN 0 ELSE 1 END AS reachable
        FROM line_links l JOIN point_cards c ON c.id = l.card_id
        WHERE l.unlinked_at IS NULL AND c.id > ${after} AND ${predicate(segment, x)}
        ORDER BY c.id LIMIT ${limit}`,
    )
  },

  /**
   * Issues copy 1 of a coupon to each of `cardIds` that holds none (the unique index decides,
   * also against a concurrent issue); the cards that got one.
   */
  async issueFirst(
    db: Executor,
    i: {
      couponId: number
      cardIds: readonly number[]
      source: string
      at: number
      validUntil: number
    },
  ): Promise<number[]> {
    if (i.cardIds.length === 0) return []
    const rows = await db.execute<{ cardId: number }>(
      sql`INSERT INTO member_coupons (coupon_id, card_id, copy, source, issued_at, valid_until)
        SELECT ${i.couponId}, c.id, 1, ${i.source}, ${i.at}, ${i.validUntil}
        FROM point_cards c WHERE c.id IN (${list(i.cardIds)})
        ON CONFLICT (coupon_id, card_id, copy) DO NOTHING RETURNING card_id AS "cardId"`,
    )
    return rows.map((r) => Number(r.cardId))
  },

  /** Issues the next copy to a card holding no usable one (a follow-up); its id, if issued. */
  issueNext: async (
    db: Executor,
    i: {
      couponId: number
      cardId: number
      source: string
      at: number
      validUntil: number
      limit: number
    },
  ) => {
    const row = await db.get(issueNext, i)
    return row === undefined ? undefined : Number(row.id)
  },

  /**
   * Usable copies of linked members whose end falls in (from, until] and that were not yet
   * reminded of, by id after `after` (the `couponExpiring` automation's targets).
   */
  expiringNotReminded: (
    db: Executor,
    q: { from: number; until: number; after: number; limit: number },
  ) => db.all(expiring, q),

  /** Records the reminder of a copy; false when it was reminded already (once per copy). */
  markReminded: async (db: Executor, id: number, at: number) =>
    (await db.get(remind, { id, at })) !== undefined,
}
