import type { LedgerType } from '@membercard/shared'
import type { Tx } from '../db/seam.ts'
import { InsufficientPoints } from '../domain/errors.ts'
import { ledger } from '../repositories/ledger.ts'
import { memberFacts } from '../repositories/member-facts.ts'
import type { DailyStats } from './daily-stats.ts'

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
  /** A till transaction made with the member's LINE card (QR): counted as a linked member's. */
  linkedCard?: boolean
  at: number
}

/** What an append produced. */
export interface LedgerEntryResult {
  id: number
  balance: number
}

/**
 * Appends to the ledger and moves the card's balance by the same amount, in the caller's
 * transaction, so the two never differ; the dashboard's daily counters (`stats`) move in the
 * same transaction. The balance guard in the UPDATE (and a CHECK
 * constraint) keeps it non-negative: `InsufficientPoints` (with `insufficient` as its message)
 * when the change would take it below zero.
 */
export async function appendToLedger(
  tx: Tx,
  stats: DailyStats,
  e: LedgerEntryInput,
  insufficient?: string,
): Promise<LedgerEntryResult> {
  // The types ask for a transaction; this refuses a database handed in anyway (a cast, plain
  // JavaScript), whose two statements could otherwise be stored one without the other.
  if (typeof (tx as Partial<Tx>).savepoint !== 'function') {
    throw new Error('appendToLedger must run inside a transaction')
  }
  if (!Number.isSafeInteger(e.points)) throw new Error('points must be an integer')
  const appended = await ledger.append(tx, {
    cardId: e.cardId,
    type: e.type,
    points: e.points,
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
  if (appended === undefined) throw new InsufficientPoints(insufficient)
  const { id, balance } = appended
  await stats.ledger(tx, e)
  // A till transaction is a visit: the segment facts move in the same transaction.
  if (isTillVisit(e)) await memberFacts.recordVisit(tx, e.cardId, e.storeCode, e.at)
  return { id, balance }
}

/** Ledger types that are a member's visit when made at a store (docs/segments.md). */
const VISIT_TYPES: ReadonlySet<LedgerType> = new Set(['award', 'redeem'])

function isTillVisit(e: LedgerEntryInput): e is LedgerEntryInput & { storeCode: string } {
  return VISIT_TYPES.has(e.type) && typeof e.storeCode === 'string' && e.storeCode !== ''
}
