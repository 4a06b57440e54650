import { cardNumberProblem, normalizeCardNumber } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { CardNotFound, CardNumberInvalid } from '../domain/errors.ts'
import { type CardRow, cards } from '../repositories/cards.ts'
import { linkAttempts } from '../repositories/link-attempts.ts'
import type { Secrets } from '../secrets.ts'
import { type AuditActor, recordAudit } from './audit.ts'
import { waitFor } from './backoff.ts'
import { createLinkLimits, LINK_LIMITS } from './link-limits.ts'
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
 * an operator's act after checking the member at the store (console, `pnpm cards:unlock`),
 * recorded in the audit trail (`member.clearLock`, who acted) in the transaction that clears.
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

  async function clear(by: AuditActor, card: CardRow): Promise<ClearedLock> {
    const key = keyOf(card)
    return db.transaction(async (tx) => {
      const now = clock.now()
      const failures = await linkAttempts.byCardSince(tx, key, now - LINK_LIMITS.card.windowMs)
      const wait = waitFor(LINK_LIMITS.card, failures, now)
      const wasLockedUntil = wait > 0 ? now + wait : null
      const clearedFailures = await linkAttempts.clearCard(tx, key, now)
      await recordAudit(tx, clock, {
        ...by,
        action: 'member.clearLock',
        target: String(card.id),
        detail: {
          failuresCleared: clearedFailures,
          wasLockedUntil: wasLockedUntil === null ? null : new Date(wasLockedUntil).toISOString(),
        },
      })
      return { cardId: card.id, wasLockedUntil, clearedFailures }
    })
  }

  return {
    /** Until when the card is locked, or null; throws `CardNotFound`. */
    async lockOf(cardId: number): Promise<{ until: number } | null> {
      const until = await limits.cardLockedUntil(keyOf(await byId(cardId)), clock.now())
      return until === null ? null : { until }
    },
    /** Clears the lock of the card with this id, audit-logged; throws `CardNotFound`. */
    clear: async (by: AuditActor, cardId: number) => clear(by, await byId(cardId)),
    /**
     * Clears the lock of the card with this number (as printed, spaces allowed); throws
     * `CardNumberInvalid` or `CardNotFound`.
     */
    async clearByNumber(by: AuditActor, cardNumber: string): Promise<ClearedLock> {
      const normalized = normalizeCardNumber(cardNumber)
      const problem = cardNumberProblem(normalized)
      if (problem) throw new CardNumberInvalid(problem)
      const card = await cards.byNumber(db, normalized)
      if (!card) throw new CardNotFound()
      return clear(by, card)
    },
  }
}

export type CardLocks = ReturnType<typeof createCardLocks>
