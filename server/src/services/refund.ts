import { refundPointsDue, type TillResult } from '@membercard/shared'
import type { Tx } from '../db/seam.ts'
import { AlreadyVoided, RefundExceedsPurchase, TransactionNotFound } from '../domain/errors.ts'
import { cards } from '../repositories/cards.ts'
import { ledger } from '../repositories/ledger.ts'
import type { LedgerEntryInput, LedgerEntryResult } from './ledger.ts'
import type { StaffPrincipal } from './staff.ts'

export interface RefundInput {
  transactionId: number
  refundAmount: number
  idempotencyKey: string
  at: number
}

/**
 * In `tx`: refunds (part of) the purchase behind award `transactionId` of the staff member's
 * store. Under the member's card lock (so two refunds of one award on two instances run one
 * after the other and the second sees the first), it checks the refunds so far against the
 * purchase, takes back the points due as far as the balance allows, and records the rest as
 * the refund's shortfall for head office (the balance never goes negative).
 */
export async function refundInTx(
  tx: Tx,
  staff: StaffPrincipal,
  input: RefundInput,
  append: (tx: Tx, e: LedgerEntryInput) => Promise<LedgerEntryResult>,
): Promise<TillResult> {
  const award = await ledger.byId(tx, input.transactionId)
  // Another store's entry, or one that is not a purchase's award: nothing here to refund.
  if (
    award?.type !== 'award' ||
    award.storeCode !== staff.storeCode ||
    award.purchaseAmount === null ||
    award.purchaseAmount <= 0
  ) {
    throw new TransactionNotFound()
  }
  await cards.lock(tx, award.cardId)
  if ((await ledger.voidOf(tx, award.id)) !== undefined) throw new AlreadyVoided()
  const before = (await ledger.refundedOf(tx, award.id)).amount
  const remaining = award.purchaseAmount - before
  if (input.refundAmount > remaining) throw new RefundExceedsPurchase(remaining)
  const due = refundPointsDue(award.points, award.purchaseAmount, before, input.refundAmount)
  const balance = (await cards.byId(tx, award.cardId))?.points ?? 0
  const taken = Math.min(due, balance)
  const points = taken === 0 ? 0 : -taken
  const e = await append(tx, {
    cardId: award.cardId,
    type: 'refund',
    points,
    storeCode: staff.storeCode,
    staffId: staff.staffId,
    idempotencyKey: input.idempotencyKey,
    refundsEntryId: award.id,
    refundAmount: input.refundAmount,
    refundShortfall: due - taken,
    at: input.at,
  })
  return { transactionId: String(e.id), points, balance: e.balance }
}
