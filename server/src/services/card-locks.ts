import { cardNumberProblem, normalizeCardNumber } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { CardNotFound, CardNumberInvalid } from '../domain/errors.ts'
import { type CardRow, cards } from '../repositories/cards.ts'
import type { Secrets } from '../secrets.ts'
import { createLinkLimits } from './link-limits.ts'
import { cardKey } from './pin.ts'

/** What clearing a card's lock did. */
export interface ClearedLock {
  cardId: number
  /** Until when the card was locked (Unix ms), or null when it was not. */
  wasLockedUntil: number | null
  /** Failed attempts that no longer count for the card. */
  clearedFailures: number
}

/**
 * The PIN-guessing lock of a card (link-limits.ts): whether it is locked, and clearing it —
 * an operator's act after checking the member at the store (console, `pnpm cards:unlock`).
 * Audit logging is the caller's (it knows who acted).
 */
export function createCardLocks({
  db,
  clock,
  secrets,
}: {
  db: Database
  clock: Clock
  secrets: Secrets
}) {
  const limits = createLinkLimits(db)
  const keyOf = (card: CardRow) => cardKey(secrets.pinHashKey, card.cardNumber)

  async function byId(cardId: number): Promise<CardRow> {
    const card = await cards.byId(db, cardId)
    if (!card) throw new CardNotFound()
    return card
  }

  async function clear(card: CardRow): Promise<ClearedLock> {
    const now = clock.now()
    const key = keyOf(card)
    const wasLockedUntil = await limits.cardLockedUntil(key, now)
    const clearedFailures = await limits.clearCard(key, now)
    return { cardId: card.id, wasLockedUntil, clearedFailures }
  }

  return {
    /** Until when the card is locked, or null; throws `CardNotFound`. */
    async lockOf(cardId: number): Promise<{ until: number } | null> {
      const until = await limits.cardLockedUntil(keyOf(await byId(cardId)), clock.now())
      return until === null ? null : { until }
    },
    /** Clears the lock of the card with this id; throws `CardNotFound`. */
    clear: async (cardId: number) => clear(await byId(cardId)),
    /**
     * Clears the lock of the card with this number (as printed, spaces allowed); throws
     * `CardNumberInvalid` or `CardNotFound`.
     */
    async clearByNumber(cardNumber: string): Promise<ClearedLock> {
      const normalized = normalizeCardNumber(cardNumber)
      const problem = cardNumberProblem(normalized)
      if (problem) throw new CardNumberInvalid(problem)
      const card = await cards.byNumber(db, normalized)
      if (!card) throw new CardNotFound()
      return clear(card)
    },
  }
}

export type CardLocks = ReturnType<typeof createCardLocks>
