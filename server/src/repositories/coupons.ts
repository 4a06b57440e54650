import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

const DAY_MS = 86_400_000

/** A coupon definition as stored, with the number of copies issued. */
export interface CouponRow {
  id: number
  title: string
  description: string | null
  imageUrl: string | null
  rewardType: 'discountYen' | 'discountPercent' | 'freeItem' | 'bonusPoints'
  rewardValue: number | null
  rewardItem: string | null
  validFrom: string
  validUntil: string
  startsAt: number
  endsAt: number
  validDaysAfterIssue: number | null
  perMemberLimit: number
  totalLimit: number | null
  usedCount: number
  minPurchaseYen: number | null
  /** JSON array, or null (every store). */
  storeCodes: string | null
  followUpCouponId: number | null
  createdBy: string
  createdAt: number
  endedAt: number | null
  issued: number
}

/** A new coupon definition. */
export type CouponInsert = Omit<CouponRow, 'id' | 'usedCount' | 'endedAt' | 'issued'>

const columns = sql`c.id, c.title, c.description, c.image_url AS "imageUrl",
  c.reward_type AS "rewardType", c.reward_value AS "rewardValue", c.reward_item AS "rewardItem",
  c.valid_from AS "validFrom", c.valid_until AS "validUntil", c.starts_at AS "startsAt",
  c.ends_at AS "endsAt", c.valid_days_after_issue AS "validDaysAfterIssue",
  c.per_member_limit AS "perMemberLimit", c.total_limit AS "totalLimit",
  c.used_count AS "usedCount", c.min_purchase_yen AS "minPurchaseYen",
  c.store_codes AS "storeCodes", c.follow_up_coupon_id AS "followUpCouponId",
  c.created_by AS "createdBy", c.created_at AS "createdAt", c.ended_at AS "endedAt",
  (SELECT count(*) FROM member_coupons m WHERE m.coupon_id = c.id) AS issued`

const insert = query<CouponInsert, { id: number }>(
  (p) => sql`INSERT INTO coupons (title, description, image_url, reward_type, reward_value,
      reward_item, valid_from, valid_until, starts_at, ends_at, valid_days_after_issue,
      per_member_limit, total_limit, min_purchase_yen, store_codes, follow_up_coupon_id,
      created_by, created_at)
    VALUES (${p.title}, ${p.description}, ${p.imageUrl}, ${p.rewardType}, ${p.rewardValue},
      ${p.rewardItem}, ${p.validFrom}, ${p.validUntil}, ${p.startsAt}, ${p.endsAt},
      ${p.validDaysAfterIssue}, ${p.perMemberLimit}, ${p.totalLimit}, ${p.minPurchaseYen},
      ${p.storeCodes}, ${p.followUpCouponId}, ${p.createdBy}, ${p.createdAt})
    RETURNING id`,
)
const byId = query<{ id: number }, CouponRow>(
  (p) => sql`SELECT ${columns} FROM coupons c WHERE c.id = ${p.id}`,
)
const page = query<{ before: number; limit: number }, CouponRow>(
  (p) => sql`SELECT ${columns} FROM coupons c WHERE c.id < ${p.before}
    ORDER BY c.id DESC LIMIT ${p.limit}`,
)
const end = query<{ id: number; at: number }, { id: number }>(
  (p) => sql`UPDATE coupons SET ended_at = ${p.at}
    WHERE id = ${p.id} AND ended_at IS NULL RETURNING id`,
)
/** One use more, unless ended or at the total limit: one statement, exact on every instance. */
const takeUse = query<{ id: number }, { usedCount: number }>(
  (p) => sql`UPDATE coupons SET used_count = used_count + 1
    WHERE id = ${p.id} AND ended_at IS NULL
      AND (total_limit IS NULL OR used_count < total_limit)
    RETURNING used_count AS "usedCount"`,
)
const giveBackUse = query<{ id: number }>(
  (p) => sql`UPDATE coupons SET used_count = used_count - 1 WHERE id = ${p.id} AND used_count > 0`,
)
const usedByStore = query<{ id: number }, { storeCode: string; used: number }>(
  (p) => sql`SELECT store_code AS "storeCode", count(*) AS used FROM coupon_redemptions
    WHERE coupon_id = ${p.id} AND reversed_at IS NULL
    GROUP BY store_code ORDER BY store_code`,
)
const issuedByDay = query<{ id: number; offset: number }, { day: number; n: number }>(
  (p) => sql`SELECT CAST((issued_at + ${p.offset}) / ${DAY_MS} AS BIGINT) AS day, count(*) AS n
    FROM member_coupons WHERE coupon_id = ${p.id} GROUP BY 1 ORDER BY 1`,
)
const usedByDay = query<{ id: number; offset: number }, { day: number; n: number }>(
  (p) => sql`SELECT CAST((created_at + ${p.offset}) / ${DAY_MS} AS BIGINT) AS day, count(*) AS n
    FROM coupon_redemptions WHERE coupon_id = ${p.id} AND reversed_at IS NULL
    GROUP BY 1 ORDER BY 1`,
)
const issuedBetween = query<{ from: number; until: number }, { n: number }>(
  (p) => sql`SELECT count(*) AS n FROM member_coupons
    WHERE issued_at >= ${p.from} AND issued_at < ${p.until}`,
)
const usedBetween = query<{ from: number; until: number }, { n: number }>(
  (p) => sql`SELECT count(*) AS n FROM coupon_redemptions
    WHERE created_at >= ${p.from} AND created_at < ${p.until} AND reversed_at IS NULL`,
)

/** Coupon definitions and their counts. */
export const coupons = {
  async insert(db: Executor, c: CouponInsert): Promise<number> {
    const row = await db.get(insert, c)
    if (!row) throw new Error('insert returned no id')
    return Number(row.id)
  },
  byId: (db: Executor, id: number) => db.get(byId, { id }),
  /** Newest first, ids below `before`. */
  page: (db: Executor, before: number, limit: number) => db.all(page, { before, limit }),
  /** Ends the coupon; false when it had ended already (or does not exist). */
  end: async (db: Executor, id: number, at: number) =>
    (await db.get(end, { id, at })) !== undefined,
  /** Counts one use; false when the coupon has ended or all its uses are taken. */
  takeUse: async (db: Executor, id: number) => (await db.get(takeUse, { id })) !== undefined,
  /** A reversed use gives its place back. */
  giveBackUse: (db: Executor, id: number) => db.run(giveBackUse, { id }),
  /** Uses (not reversed) per store. */
  usedByStore: async (db: Executor, id: number) =>
    (await db.all(usedByStore, { id })).map((r) => ({
      storeCode: r.storeCode,
      used: Number(r.used),
    })),
  /** Copies issued and uses per local day (`offset`: the zone's offset from UTC in ms). */
  async byDay(db: Executor, id: number, offset: number) {
    const [issued, used] = await Promise.all([
      db.all(issuedByDay, { id, offset }),
      db.all(usedByDay, { id, offset }),
    ])
    const days = new Map<number, { issued: number; used: number }>()
    for (const r of issued) days.set(Number(r.day), { issued: Number(r.n), used: 0 })
    for (const r of used) {
      const d = days.get(Number(r.day)) ?? { issued: 0, used: 0 }
      d.used = Number(r.n)
      days.set(Number(r.day), d)
    }
    return [...days.entries()].sort((a, b) => a[0] - b[0])
  },
  /** Copies issued in [from, until) (the dashboard). */
  issuedBetween: async (db: Executor, from: number, until: number) =>
    Number((await db.get(issuedBetween, { from, until }))?.n ?? 0),
  /** Uses (not reversed) in [from, until) (the dashboard). */
  usedBetween: async (db: Executor, from: number, until: number) =>
    Number((await db.get(usedBetween, { from, until }))?.n ?? 0),
  /** Which of `codes` are stores. */
  async knownStores(db: Executor, codes: readonly string[]): Promise<Set<string>> {
    if (codes.length === 0) return new Set()
    const rows = await db.execute<{ code: string }>(
      sql`SELECT code FROM stores WHERE code IN (${sql.join(
        codes.map((c) => sql`${c}`),
        sql`, `,
      )})`,
    )
    return new Set(rows.map((r) => r.code))
  },
}
