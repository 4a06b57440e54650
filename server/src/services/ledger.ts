import type { LedgerType } from '@membercard/shared'
import type { Tx } from '../db/seam.ts'
import { InsufficientPoints } from '../domain/errors.ts'
import { cards } from '../repositories/cards.ts'
import { ledger } from '../repositories/ledger.ts'

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
  refundsEntryId?: number | null
  refundAmount?: number | null
  refundShortfall?: number | null
  note?: string | null
  at: number
}

/** What an append produced. */
export interface LedgerEntryResult {
  id: number
  balance: number
}

/**
 * Appends to the ledger and moves the card's balance by the same amount, in the caller's
 * transaction, so the two never differ. The balance guard in the UPDATE (and a CHECK
 * constraint) keeps it non-negative: `InsufficientPoints` (with `insufficient` as its message)
 * when the change would take it below zero.
 */
export async function appendToLedger(
  tx: Tx,
  e: LedgerEntryInput,
  insufficient?: string,
): Promise<LedgerEntryResult> {
  // The types ask for a transaction; this refuses a database handed in anyway (a cast, plain
  // JavaScript), whose two statements could otherwise be stored one without the other.
  if (typeof (tx as Partial<Tx>).savepoint !== 'function') {
    throw new Error('appendToLedger must run inside a transaction')
  }
  if (!Number.isSafeInteger(e.points)) throw new Error('points must be an integer')
  const balance = await cards.moveBalance(tx, e.cardId, e.points, e.at)
  if (balance === undefined) throw new InsufficientPoints(insufficient)
  const id = await ledger.insert(tx, {
    cardId: e.cardId,
    type: e.type,
    points: e.points,
    balance,
    storeCode: e.storeCode ?? null,
    staffId: e.staffId ?? null,
    idempotencyKey: e.idempotencyKey ?? null,
    qrTokenId: e.qrTokenId ?? null,
    voidsEntryId: e.voidsEntryId ?? null,
    purchaseAmount: e.purchaseAmount ?? null,
    refundsEntryId: e.refundsEntryId ?? null,
    refundAmount: e.refundAmount ?? null,
    refundShortfall: e.refundShortfall ?? null,
    note: e.note ?? null,
    at: e.at,
  })
  return { id, balance }
}
