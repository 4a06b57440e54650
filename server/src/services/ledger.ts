import type { LedgerType } from '@membercard/shared'
import type Database from 'better-sqlite3'

/** One entry to append. `points` is signed. */
export interface LedgerEntryInput {
  cardId: number
  type: LedgerType
  points: number
  storeCode?: string | null
  staffId?: string | null
  idempotencyKey?: string | null
  qrTokenId?: string | null
  voidsEntryId?: number | null
  purchaseAmount?: number | null
  note?: string | null
  at: number
}

/** What an append produced. */
export interface LedgerEntryResult {
  id: number
  balance: number
}

/** The balance would go below zero. */
export class InsufficientPointsError extends Error {}

/**
 * Appends to the ledger and moves the card's balance by the same amount, with prepared
 * statements. Must run inside a transaction (the caller's), so the two never differ; the
 * `points >= 0` guard in the UPDATE (and a CHECK constraint) keeps a balance non-negative.
 */
export function createLedger(sqlite: Database.Database) {
  const move = sqlite.prepare<[number, number, number, number], { points: number }>(
    `UPDATE point_cards SET points = points + ?, last_activity_at = ?
       WHERE id = ? AND points + ? >= 0 RETURNING points`,
  )
  const insert = sqlite.prepare(
    `INSERT INTO ledger (card_id, type, points, balance_after, store_code, staff_id,
       idempotency_key, qr_token_id, voids_entry_id, purchase_amount, note, created_at)
     VALUES (@cardId, @type, @points, @balance, @storeCode, @staffId, @idempotencyKey,
       @qrTokenId, @voidsEntryId, @purchaseAmount, @note, @at)`,
  )
  return {
    /** Appends one entry; throws InsufficientPointsError when the balance would go negative. */
    append(e: LedgerEntryInput): LedgerEntryResult {
      if (!sqlite.inTransaction) throw new Error('ledger.append must run inside a transaction')
      if (!Number.isSafeInteger(e.points)) throw new Error('points must be an integer')
      const row = move.get(e.points, e.at, e.cardId, e.points)
      if (!row) throw new InsufficientPointsError('insufficient points')
      const info = insert.run({
        cardId: e.cardId,
        type: e.type,
        points: e.points,
        balance: row.points,
        storeCode: e.storeCode ?? null,
        staffId: e.staffId ?? null,
        idempotencyKey: e.idempotencyKey ?? null,
        qrTokenId: e.qrTokenId ?? null,
        voidsEntryId: e.voidsEntryId ?? null,
        purchaseAmount: e.purchaseAmount ?? null,
        note: e.note ?? null,
        at: e.at,
      })
      return { id: Number(info.lastInsertRowid), balance: row.points }
    },
  }
}

export type Ledger = ReturnType<typeof createLedger>
