import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** A use of a member coupon at the till. */
export interface RedemptionInsert {
  memberCouponId: number
  useNo: number
  couponId: number
  cardId: number
  storeCode: string
  staffId: string
  purchaseAmount: number | null
  ledgerId: number | null
  /** The follow-up copy this use issued, if any (withdrawn by a reversal: decision 096). */
  followUpMemberCouponId: number | null
  idempotencyKey: string | null
  at: number
}

export interface RedemptionRow {
  id: number
  memberCouponId: number
  couponId: number
  cardId: number
  storeCode: string
  ledgerId: number | null
  followUpMemberCouponId: number | null
  createdAt: number
  reversedAt: number | null
}

/** A use of a store on a day, as the till lists them. */
export interface RedemptionDayRow {
  id: number
  memberCouponId: number
  couponId: number
  title: string
  createdAt: number
  staffId: string
  cardNumber: string
  name: string
  purchaseAmount: number | null
  points: number | null
  followUpTitle: string | null
  reversedAt: number | null
  reversedBy: string | null
}

/** A row of the coupon-use export. */
export interface RedemptionExportRow {
  id: number
  createdAt: number
  couponId: number
  title: string
  cardNumber: string
  storeCode: string
  staffId: string
  purchaseAmount: number | null
  points: number | null
  reversedAt: number | null
  reversedBy: string | null
}

const insert = query<RedemptionInsert, { id: number }>(
  (p) => sql`INSERT INTO coupon_redemptions (member_coupon_id, use_no, coupon_id, card_id,
      store_code, staff_id, purchase_amount, ledger_id, follow_up_member_coupon_id,
      idempotency_key, created_at)
    VALUES (${p.memberCouponId}, ${p.useNo}, ${p.couponId}, ${p.cardId}, ${p.storeCode},
      ${p.staffId}, ${p.purchaseAmount}, ${p.ledgerId}, ${p.followUpMemberCouponId},
      ${p.idempotencyKey}, ${p.at})
    RETURNING id`,
)
const byId = query<{ id: number }, RedemptionRow>(
  (p) => sql`SELECT id, member_coupon_id AS "memberCouponId", coupon_id AS "couponId",
      card_id AS "cardId", store_code AS "storeCode", ledger_id AS "ledgerId",
      follow_up_member_coupon_id AS "followUpMemberCouponId", created_at AS "createdAt", reversed_at AS "reversedAt"
    FROM coupon_redemptions WHERE id = ${p.id}`,
)
/** Marks a use reversed unless it is already: the one statement two managers race on. */
const reverse = query<{ id: number; at: number; by: string }, { id: number }>(
  (p) => sql`UPDATE coupon_redemptions SET reversed_at = ${p.at}, reversed_by = ${p.by}
    WHERE id = ${p.id} AND reversed_at IS NULL RETURNING id`,
)
const day = query<
  {
    storeCode: string
    from: number
    to: number
    staffId: string | null
    before: number
    limit: number
  },
  RedemptionDayRow
>(
  (p) => sql`SELECT r.id, r.member_coupon_id AS "memberCouponId", r.coupon_id AS "couponId",
      c.title, r.created_at AS "createdAt", r.staff_id AS "staffId",
      p.card_number AS "cardNumber", p.name, r.purchase_amount AS "purchaseAmount", l.points,
      fc.title AS "followUpTitle", r.reversed_at AS "reversedAt", r.reversed_by AS "reversedBy"
    FROM coupon_redemptions r
    JOIN coupons c ON c.id = r.coupon_id
    JOIN point_cards p ON p.id = r.card_id
    LEFT JOIN ledger l ON l.id = r.ledger_id
    LEFT JOIN member_coupons f ON f.id = r.follow_up_member_coupon_id
    LEFT JOIN coupons fc ON fc.id = f.coupon_id
    WHERE r.store_code = ${p.storeCode} AND r.created_at >= ${p.from} AND r.created_at < ${p.to}
      AND (CAST(${p.staffId} AS TEXT) IS NULL OR r.staff_id = ${p.staffId}) AND r.id < ${p.before}
    ORDER BY r.id DESC LIMIT ${p.limit}`,
)
const exportPage = query<
  { from: number; until: number; after: number; limit: number },
  RedemptionExportRow
>(
  (p) => sql`SELECT r.id, r.created_at AS "createdAt", r.coupon_id AS "couponId", c.title,
      p.card_number AS "cardNumber", r.store_code AS "storeCode", r.staff_id AS "staffId",
      r.purchase_amount AS "purchaseAmount", l.points, r.reversed_at AS "reversedAt",
      r.reversed_by AS "reversedBy"
    FROM coupon_redemptions r
    JOIN coupons c ON c.id = r.coupon_id
    JOIN point_cards p ON p.id = r.card_id
    LEFT JOIN ledger l ON l.id = r.ledger_id
    WHERE r.created_at >= ${p.from} AND r.created_at < ${p.until} AND r.id > ${p.after}
    ORDER BY r.id LIMIT ${p.limit}`,
)

/** Uses of member coupons at the till. */
export const couponRedemptions = {
  /** Records a use; its id. The unique (member coupon, use number) refuses a second. */
  async insert(db: Executor, r: RedemptionInsert): Promise<number> {
    const row = await db.get(insert, r)
    if (!row) throw new Error('insert returned no id')
    return Number(row.id)
  },
  byId: (db: Executor, id: number) => db.get(byId, { id }),
  /** Marks the use reversed; false when it was already. */
  reverse: async (db: Executor, id: number, at: number, by: string) =>
    (await db.get(reverse, { id, at, by })) !== undefined,
  /**
   * A store's uses made in [from, to) (or only `staffId`'s), newest first, ids below `before`:
   * the till's list (uses on the `coupon_redemptions_store_idx`).
   */
  day: (
    db: Executor,
    q: {
      storeCode: string
      from: number
      to: number
      staffId: string | null
      before: number
      limit: number
    },
  ) => db.all(day, q),
  /** Uses made in [from, until), by id after `after` (the export). */
  exportPage: (db: Executor, q: { from: number; until: number; after: number; limit: number }) =>
    db.all(exportPage, q),
}
