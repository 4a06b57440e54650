import { type SQL, sql } from 'drizzle-orm'
import type { Executor } from '../db/seam.ts'

const DAY_MS = 86_400_000

/** A member an automation is due for, and the occurrence it is due for. */
export interface Candidate {
  cardId: number
  lineUserId: string
  /** What makes it once: the birthday's year, the expiry date, the lapse's last visit day. */
  occurrence: string
  /** The member coupons a `couponExpiring` reminder is about. */
  memberCouponIds?: number[]
}

type Row = { cardId: number | string; lineUserId: string; o: number | string | null }

/** Members linked now (`c` card, `l` link) matching `where`, with `o` for the occurrence. */
async function linked(db: Executor, o: SQL, where: SQL, join: SQL = sql``): Promise<Row[]> {
  return db.execute<Row>(
    sql`SELECT c.id AS "cardId", l.line_user_id AS "lineUserId", ${o} AS o
      FROM line_links l JOIN point_cards c ON c.id = l.card_id ${join}
      WHERE l.unlinked_at IS NULL AND ${where} ORDER BY c.id`,
  )
}

/** `YYYY-MM-DD` of an instant in Asia/Tokyo. */
export function tokyoDate(at: number): string {
  return new Date(at + 9 * 3_600_000).toISOString().slice(0, 10)
}

/** Who each automation kind is due for (services/automation-kinds.ts). */
export const automationCandidates = {
  /** Members born in `month` (1–12); the occurrence is `year` (once a year). */
  async birthday(db: Executor, month: number, year: number): Promise<Candidate[]> {
    const rows = await linked(
      db,
      sql`NULL`,
      sql`c.birth_date IS NOT NULL AND CAST(substr(c.birth_date, 6, 2) AS INTEGER) = ${month}`,
    )
    return rows.map((r) => ({
      cardId: Number(r.cardId),
      lineUserId: r.lineUserId,
      occurrence: String(year),
    }))
  },
  /**
   * Members whose positive balance expires (last activity + `expiryDays`) within `daysBefore`
   * days of `now` and has not expired yet; the occurrence is the expiry date (Asia/Tokyo).
   */
  async pointsExpiring(
    db: Executor,
    now: number,
    daysBefore: number,
    expiryDays: number,
  ): Promise<Candidate[]> {
    if (expiryDays <= 0) return []
    const last = sql`COALESCE(c.last_activity_at, c.created_at)`
    const rows = await linked(
      db,
      last,
      sql`c.points > 0 AND ${last} <= ${now + daysBefore * DAY_MS - expiryDays * DAY_MS}
        AND ${last} > ${now - expiryDays * DAY_MS}`,
    )
    return rows.map((r) => ({
      cardId: Number(r.cardId),
      lineUserId: r.lineUserId,
      occurrence: tokyoDate(Number(r.o) + expiryDays * DAY_MS),
    }))
  },
  /**
   * Members whose last till visit was `days` or more Asia/Tokyo days before `today` (a day
   * number); the occurrence is that last visit day (once per lapse: a new visit starts
   * another). Members who never visited have no lapse.
   */
  async winBack(db: Executor, today: number, days: number): Promise<Candidate[]> {
    const rows = await linked(
      db,
      sql`f.last_visit_day`,
      sql`f.last_visit_day <= ${today - days}`,
      sql`JOIN member_facts f ON f.card_id = c.id`,
    )
    return rows.map((r) => ({
      cardId: Number(r.cardId),
      lineUserId: r.lineUserId,
      occurrence: `day:${Number(r.o)}`,
    }))
  },
}
