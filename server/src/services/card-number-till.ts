import {
  cardNumberProblem,
  type Member,
  normalizeCardNumber,
  type StaffCardAward,
  type TillResult,
} from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { CardNotFound, CardNumberInvalid, TooManyAttempts } from '../domain/errors.ts'
import { rateWindows } from '../repositories/rate-windows.ts'
import { tillCards } from '../repositories/till-cards.ts'
import { recordAudit } from './audit.ts'
import type { IdempotencyClaim } from './idempotency.ts'
import { toMember } from './membership.ts'
import type { PointsService } from './points.ts'
import type { StaffPrincipal } from './staff.ts'

/**
 * How many card-number requests (look-ups and awards, found or not) a till may make
 * (decision 092): per staff session, and per store across all its tills. A clerk serves a
 * phone-less customer with two (a look-up, then the award); an enumeration of card numbers
 * needs thousands.
 */
export const CARD_NUMBER_LIMITS = {
  session: { limit: 30, windowMs: 10 * 60_000 },
  store: { limit: 120, windowMs: 60 * 60_000 },
} as const

const ADVICE = 'Scan the member QR code, or ask a manager.'

/** A card number as typed: normalised, or `CardNumberInvalid` (not counted as an attempt). */
function checkedNumber(input: string): string {
  const digits = normalizeCardNumber(input)
  const problem = cardNumberProblem(digits)
  if (problem) throw new CardNumberInvalid(problem)
  return digits
}

/**
 * The till's card-number path (decision 092): a customer without a phone hands over the
 * plastic card; its number identifies the member for an award only (redeeming and coupons
 * need the member's QR or short code). Every request counts against the session's and the
 * store's limits before the card is read, and is recorded in the audit trail with the card's
 * last 4 digits (never the full number): `till.cardLookup`, `till.cardLookupFailed`,
 * `till.cardAward`.
 */
export function createCardNumberTill({
  db,
  clock,
  points,
}: {
  db: Database
  clock: Clock
  points: PointsService
}) {
  /** Takes one request of the session's and the store's windows, or `TooManyAttempts`. */
  async function take(staff: StaffPrincipal): Promise<void> {
    const now = clock.now()
    const windows = [
      { key: `card-number:session:${staff.tokenHash}`, ...CARD_NUMBER_LIMITS.session },
      { key: `card-number:store:${staff.storeCode}`, ...CARD_NUMBER_LIMITS.store },
    ]
    const refused = await db.transaction(async (tx) => {
      for (const w of windows) {
        const window = now - (now % w.windowMs)
        const ok = await rateWindows.take(tx, { key: w.key, window, n: 1, limit: w.limit })
        if (!ok) return window + w.windowMs
      }
      return null
    })
    // A refusal by the store's window keeps the session's count: the request was tried.
    if (refused !== null) {
      throw new TooManyAttempts(Math.max(1, Math.ceil((refused - now) / 1000)), ADVICE)
    }
  }

  return {
    /** The member of the card with this number: name, rank, balance, and whether linked. */
    async lookup(
      staff: StaffPrincipal,
      cardNumber: string,
      address: string,
    ): Promise<{ member: Member; linked: boolean }> {
      const digits = checkedNumber(cardNumber)
      await take(staff)
      const last4 = digits.slice(-4)
      const found = await db.transaction(async (tx) => {
        const card = await tillCards.byNumber(tx, digits)
        await recordAudit(tx, clock, {
          actor: staff.staffId,
          action: card ? 'till.cardLookup' : 'till.cardLookupFailed',
          target: card ? `card:${card.cardId}` : null,
          address,
          detail: { storeCode: staff.storeCode, last4 },
        })
        return card
      })
      if (!found) throw new CardNotFound()
      return { member: toMember(found), linked: found.lineUserId !== null }
    },

    /** Awards points for a purchase to the card with this number (Idempotency-Key: `claim`). */
    async award(
      staff: StaffPrincipal,
      input: StaffCardAward,
      claim: IdempotencyClaim,
      address: string,
    ): Promise<TillResult> {
      const digits = checkedNumber(input.cardNumber)
      await take(staff)
      return points.awardByCard(
        staff,
        { cardNumber: digits, purchaseAmount: input.purchaseAmount },
        claim,
        (tx, card, r) =>
          recordAudit(tx, clock, {
            actor: staff.staffId,
            action: 'till.cardAward',
            target: `card:${card.cardId}`,
            address,
            detail: {
              storeCode: staff.storeCode,
              last4: digits.slice(-4),
              transactionId: r.transactionId,
              purchaseAmount: input.purchaseAmount,
              points: r.points,
            },
          }),
      )
    },
  }
}

export type CardNumberTill = ReturnType<typeof createCardNumberTill>
