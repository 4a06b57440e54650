import type { LedgerType } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'
import { cards } from './cards.ts'

/** One entry to append. `points` is signed; `balance` is the card's balance after it. */
export interface LedgerInsert {
  cardId: number
  type: LedgerType
  points: number
  balance: number
  storeCode: string | null
  staffId: string | null
  idempotencyKey: string | null
  qrTokenId: string | null
  voidsEntryId: number | null
  purchaseAmount: number | null
  refundsEntryId?: number | null
  refundAmount?: number | null
  refundShortfall?: number | null
  note: string | null
  at: number
}

/** An entry as the till's void reads it. */
export interface LedgerEntry {
  id: number
  cardId: number
  type: LedgerType
  points: number
  storeCode: string | null
  purchaseAmount: number | null
  createdAt: number
}

/** A row of the till's list of today's transactions. */
export interface DayRow {
  id: number
  type: LedgerType
  points: number
  balance: number
  createdAt: number
  staffId: string | null
  cardNumber: string
  name: string
  purchaseAmount: number | null
  note: string | null
  voidsEntryId: number | null
  voidedBy: number | null
  refundsEntryId: number | null
  /** An award's refunded yen so far. */
  refunded: number
  refundShortfall: number | null
}

/** A row of the member's history. */
export interface HistoryRow {
  id: number
  type: LedgerType
  points: number
  balance: number
  createdAt: number
  storeCode: string | null
  storeName: string | null
}

const insert = query<LedgerInsert, { id: number }>(
  (p) => sql`INSERT INTO ledger (card_id, type, points, balance_after, store_code, staff_id,
      idempotency_key, qr_token_id, voids_entry_id, purchase_amount, refunds_entry_id,
      refund_amount, refund_shortfall, note, created_at)
    VALUES (${p.cardId}, ${p.type}, ${p.points}, ${p.balance}, ${p.storeCode}, ${p.staffId},
      ${p.idempotencyKey}, ${p.qrTokenId}, ${p.voidsEntryId}, ${p.purchaseAmount},
      ${p.refundsEntryId ?? null}, ${p.refundAmount ?? null}, ${p.refundShortfall ?? null},
      ${p.note}, ${p.at})
    RETURNING id`,
)
/**
 * PostgreSQL: the balance moves and the entry is appended in one statement (one round trip
 * instead of two, docs/decisions/076): the guarded UPDATE of the card (never below zero) feeds
 * the INSERT, which inserts nothing when the guard refused. The parameters of the SELECT list
 * take the types of the ledger's columns, as in a VALUES list.
 */
const moveAndInsert = query<Omit<LedgerInsert, 'balance'>, { id: number; balance: number }>(
  (p) => sql`WITH moved AS (
      UPDATE point_cards SET points = points + ${p.points}, last_activity_at = ${p.at}
      WHERE id = ${p.cardId} AND points + ${p.points} >= 0 RETURNING points
    )
    INSERT INTO ledger (card_id, type, points, balance_after, store_code, staff_id,
      idempotency_key, qr_token_id, voids_entry_id, purchase_amount, refunds_entry_id,
      refund_amount, refund_shortfall, note, created_at)
    SELECT ${p.cardId}, ${p.type}, ${p.points}, moved.points, ${p.storeCode}, ${p.staffId},
      ${p.idempotencyKey}, ${p.qrTokenId}, ${p.voidsEntryId}, ${p.purchaseAmount},
      ${p.refundsEntryId ?? null}, ${p.refundAmount ?? null}, ${p.refundShortfall ?? null},
      ${p.note}, ${p.at}
    FROM moved
    RETURNING id, balance_after AS balance`,
)
const byId = query<{ id: number }, LedgerEntry>(
  (p) => sql`SELECT id, card_id AS "cardId", type, points, store_code AS "storeCode",
      purchase_amount AS "purchaseAmount", created_at AS "createdAt"
    FROM ledger WHERE id = ${p.id}`,
)
const voidOf = query<{ id: number }, { id: number }>(
  (p) => sql`SELECT id FROM ledger WHERE voids_entry_id = ${p.id}`,
)
const refundedOf = query<{ id: number }, { amount: number; count: number }>(
  (p) => sql`SELECT COALESCE(SUM(refund_amount), 0) AS amount, COUNT(*) AS count
    FROM ledger WHERE refunds_entry_id = ${p.id}`,
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
  DayRow
>(
  (p) => sql`SELECT l.id, l.type, l.points, l.balance_after AS balance, l.created_at AS "createdAt",
      l.staff_id AS "staffId", c.card_number AS "cardNumber", c.name,
      l.purchase_amount AS "purchaseAmount", l.note, l.voids_entry_id AS "voidsEntryId",
      v.id AS "voidedBy", l.refunds_entry_id AS "refundsEntryId",
      l.refund_shortfall AS "refundShortfall",
      (SELECT COALESCE(SUM(r.refund_amount), 0) FROM ledger r WHERE r.refunds_entry_id = l.id)
        AS refunded
    FROM ledger l
    JOIN point_cards c ON c.id = l.card_id
    LEFT JOIN ledger v ON v.voids_entry_id = l.id
    WHERE l.store_code = ${p.storeCode} AND l.created_at >= ${p.from} AND l.created_at < ${p.to}
      AND (CAST(${p.staffId} AS TEXT) IS NULL OR l.staff_id = ${p.staffId}) AND l.id < ${p.before}
    ORDER BY l.id DESC LIMIT ${p.limit}`,
)
const history = query<{ cardId: number; before: number; limit: number }, HistoryRow>(
  (p) => sql`SELECT l.id, l.type, l.points, l.balance_after AS balance,
      l.created_at AS "createdAt", l.store_code AS "storeCode", s.name AS "storeName"
    FROM ledger l LEFT JOIN stores s ON s.code = l.store_code
    WHERE l.card_id = ${p.cardId} AND l.id < ${p.before}
    ORDER BY l.id DESC LIMIT ${p.limit}`,
)
/** Points earned (awards and bonuses, less voided awards) by a card since a time. */

/** The append-only points ledger (the database refuses updates and deletes). */
export const ledger = {
  /** Appends one entry; its id. */
  async insert(db: Executor, e: LedgerInsert): Promise<number> {
    const row = await db.get(insert, e)
    if (!row) throw new Error('insert returned no id')
    return row.id
  },
  /**
   * Moves the card's balance by `e.points` (never below zero) and appends the entry with the
   * balance after it, in the caller's transaction: the new entry's id and that balance, or
   * undefined (nothing written) when the balance would go negative. One statement on
   * PostgreSQL; on SQLite (no writes in a WITH) the card's UPDATE, then the INSERT.
   */
  async append(
    db: Executor,
    e: Omit<LedgerInsert, 'balance'>,
  ): Promise<{ id: number; balance: number } | undefined> {
    if (db.dialect === 'postgres') return db.get(moveAndInsert, e)
    const balance = await cards.moveBalance(db, e.cardId, e.points, e.at)
    if (balance === undefined) return undefined
    return { id: await ledger.insert(db, { ...e, balance }), balance }
  },
  byId: (db: Executor, id: number) => db.get(byId, { id }),
  /** The id of the entry that voids `id`, if any. */
  voidOf: async (db: Executor, id: number) => (await db.get(voidOf, { id }))?.id,
  /** The yen refunded so far against award `id`, and how many refunds. */
  refundedOf: async (db: Executor, id: number) => {
    const row = await db.get(refundedOf, { id })
    return { amount: Number(row?.amount ?? 0), count: Number(row?.count ?? 0) }
  },
  /** A store's entries in [from, to), newest first, optionally of one staff member. */
  day: (
    db: Executor,
    f: {
      storeCode: string
      from: number
      to: number
      staffId: string | null
      before: number
      limit: number
    },
  ) => db.all(day, f),
  /** Points the card earned since `since` (awards and bonuses, less voided awards). */
  /** A card's entries before `before`, newest first. */
  history: (db: Executor, cardId: number, before: number, limit: number) =>
    db.all(history, { cardId, before, limit }),
}
