import { randomInt } from 'node:crypto'
import {
  cardNumberProblem,
  luhnCheckDigit,
  type Member,
  normalizeCardNumber,
} from '@membercard/shared'
import type { Clock } from '../clock.ts'
import { isUniqueViolation } from '../db/errors.ts'
import type { Database, Executor, Tx } from '../db/seam.ts'
import {
  AlreadyLinked,
  CardAlreadyLinked,
  CardNumberInvalid,
  CardOrPinWrong,
  ConsentOutdated,
  ConsentRequired,
  NotLinked,
  PinMalformed,
} from '../domain/errors.ts'
import { cards } from '../repositories/cards.ts'
import { consents } from '../repositories/consents.ts'
import { deviceKeys } from '../repositories/device-keys.ts'
import { issuedCards } from '../repositories/issued-cards.ts'
import { linkBonuses } from '../repositories/link-bonuses.ts'
import {
  activeLinkByUser,
  activeLinkIdByUser,
  type LinkMethod,
  links,
} from '../repositories/links.ts'
import type { Secrets } from '../secrets.ts'
import { createDailyStats, type DailyStats } from './daily-stats.ts'
import { historyPage } from './history-page.ts'
import { appendToLedger } from './ledger.ts'
import { createLinkLimits } from './link-limits.ts'
import { toMember } from './member.ts'
import { createStandings, type StandingRules } from './member-standing.ts'
import { cardKey, hashPin, verifyPin } from './pin.ts'

/** A linked card as the API shows a member (services/member.ts). */
export { toMember }

/**
 * Called inside the transaction that links or unlinks (its `tx`), so what they write (the
 * LINE outbox) commits or rolls back with the link itself.
 */
export interface MembershipEvents {
  linked?(
    tx: Tx,
    e: { userId: string; cardId: number; method: LinkMethod; bonusPoints: number; at: number },
  ): Promise<void> | void
  unlinked?(tx: Tx, e: { userId: string; cardId: number; at: number }): Promise<void> | void
}

export interface MembershipDeps {
  db: Database
  clock: Clock
  secrets: Secrets
  linkBonusPoints: number
  /** The consent text's version the server shows (`CONSENT_VERSION`): the only one accepted. */
  consentVersion: string
  events?: MembershipEvents
  /** Points expire this many days after the card's last activity (0: never); see services/points.ts. */
  expiryDays?: number
  /** The dashboard's counters (default: kept in Asia/Tokyo days; the app hands its own). */
  stats?: DailyStats
  /** The rank rules the card shows (multipliers and thresholds); none when absent. */
  rankRules?: Omit<StandingRules, 'expiryDays'>
}

/** What the consent screen sends with a link or an issue request. */
export interface ConsentInput {
  version: string
  accepted: boolean
}

/** A link request: the card's number and PIN, and the consent. */
export interface LinkInput {
  cardNumber: string
  pin: string
  consent: ConsentInput
}

/** A PIN as typed (full-width digits and spaces around it allowed), or undefined. */
function normalizePin(pin: string): string | undefined {
  const ascii = pin.normalize('NFKC').trim()
  return /^\d{4}$/.test(ascii) ? ascii : undefined
}

/** The active link of `userId` as a member; throws when it vanished inside `tx`. */
async function linkedMember(tx: Executor, userId: string): Promise<Member> {
  const row = await links.activeByUser(tx, userId)
  if (!row) throw new Error('link vanished')
  return toMember(row)
}

/**
 * Membership: who a LINE user is linked to, linking with a PIN, the once-only bonus,
 * unlinking, issuing digital cards, and the customer's history.
 */
export function createMembership({
  db,
  clock,
  secrets,
  linkBonusPoints,
  consentVersion,
  events,
  expiryDays = 0,
  stats = createDailyStats('Asia/Tokyo'),
  rankRules = { rankMultipliers: {}, rankThresholds: [] },
}: MembershipDeps) {
  /** Consent given, and to the text the server shows now (never the client's word for it). */
  function checkConsent(consent: ConsentInput, what?: string): void {
    if (consent.accepted !== true) throw new ConsentRequired(what)
    if (consent.version !== consentVersion) throw new ConsentOutdated()
  }

  const linkLimits = createLinkLimits(db)
  // `GET /api/me` and `GET /api/card/qr` on every visit: cached where the dialect can prove
  // the database has not changed (db/fresh-cache.ts, docs/decisions/017).
  const memberOfCached = db.cached({
    query: activeLinkByUser,
    params: (userId: string) => ({ userId }),
    value: (
      row,
    ): Readonly<{
      linkId: number
      cardId: number
      lastActivityAt: number | null
      member: Readonly<Member>
    }> | null =>
      row
        ? Object.freeze({
            linkId: row.linkId,
            cardId: row.cardId,
            lastActivityAt: row.lastActivityAt,
            member: Object.freeze(toMember(row)),
          })
        : null,
  })
  const standingOf = createStandings(db, clock, { expiryDays, ...rankRules })
  const activeLinkIdCached = db.cached({
    query: activeLinkIdByUser,
    params: (userId: string) => ({ userId }),
    value: (row): number | null => row?.id ?? null,
  })

  /**
   * In `tx`: links `cardId` to `userId`, records the consent, grants the bonus when neither
   * the card nor the user has ever had one, and tells `events`. Returns the bonus granted.
   */
  async function linkInTx(
    tx: Tx,
    userId: string,
    cardId: number,
    method: LinkMethod,
    consentVersion: string,
    now: number,
  ): Promise<number> {
    if (!(await links.insert(tx, { userId, cardId, method, at: now }))) {
      // The partial unique indexes refused it: say which side is taken.
      if (await links.activeByUser(tx, userId)) throw new AlreadyLinked()
      throw new CardAlreadyLinked()
    }
    await consents.record(tx, { userId, cardId, purpose: 'link', version: consentVersion, at: now })
    await stats.linked(tx, userId, cardId, now)
    const bonusPoints = await grantBonus(tx, userId, cardId, now)
    await events?.linked?.(tx, { userId, cardId, method, bonusPoints, at: now })
    return bonusPoints
  }

  /** The once-only bonus, in a savepoint: a concurrent grant elsewhere undoes only the bonus. */
  async function grantBonus(tx: Tx, userId: string, cardId: number, now: number) {
    if (linkBonusPoints <= 0 || (await linkBonuses.given(tx, cardId, userId))) return 0
    try {
      await tx.savepoint(async (sp) => {
        const entry = await appendToLedger(sp, stats, {
          cardId,
          type: 'bonus',
          points: linkBonusPoints,
          note: 'link bonus',
          at: now,
        })
        await linkBonuses.record(sp, { cardId, userId, ledgerId: entry.id, at: now })
      })
    } catch (err) {
      if (isUniqueViolation(err)) return 0
      throw err
    }
    return linkBonusPoints
  }

  const membership = {
    /** The user's linked member, or null (read through a cache: do not modify it). */
    memberOf: memberOfCached,

    /**
     * `GET /api/me`: the user's member with when the balance expires and what the rank brings
     * (services/member-standing.ts), or null when not linked.
     */
    standingOf,

    /** The id of the LINE user's active link, or null when unlinked (cached). */
    activeLinkId: activeLinkIdCached,

    /**
     * Whether linking can still bring this LINE user the bonus (once per user and once per
     * card: the card's side is known only once a card is chosen), and how many points.
     */
    async bonusFor(userId: string): Promise<{ eligible: boolean; points: number }> {
      const eligible = linkBonusPoints > 0 && !(await linkBonuses.givenToUser(db, userId))
      return { eligible, points: eligible ? linkBonusPoints : 0 }
    },

    /**
     * Checks, in this order: the number's format and check digit and the PIN's format (a typo
     * is not an attempt), consent, that the user is not linked yet, the rate limits (a right
     * PIN is refused as well while the user or the card is locked) and the PIN, checked and
     * counted in one serialized step (link-limits.ts).
     * Returns the card; links nothing. Shared by the LIFF link and the company sign-in page
     * of the Messaging API account-link flow.
     */
    async verifyCard(userId: string, input: LinkInput): Promise<{ cardId: number }> {
      const cardNumber = normalizeCardNumber(input.cardNumber)
      const problem = cardNumberProblem(cardNumber)
      if (problem) throw new CardNumberInvalid(problem)
      const pin = normalizePin(input.pin)
      if (pin === undefined) throw new PinMalformed()
      if (input.consent.accepted !== true) throw new ConsentRequired()
      checkConsent(input.consent)
      const now = clock.now()
      const key = cardKey(secrets.pinHashKey, cardNumber)
      if (await links.activeByUser(db, userId)) throw new AlreadyLinked()
      const card = await cards.byNumber(db, cardNumber)
      const pinOk = await linkLimits.attempt(userId, key, now, () => {
        if (card?.pinHash == null) {
          hashPin(secrets.pinHashKey, cardNumber, pin) // the same work either way
          return false
        }
        return verifyPin(secrets.pinHashKey, cardNumber, pin, card.pinHash)
      })
      if (!card || !pinOk) throw new CardOrPinWrong()
      return { cardId: card.id }
    },

    /**
     * Links the user to the card after `verifyCard`'s checks, in one transaction: the link,
     * the consent record, the once-only bonus and the `linked` event.
     */
    async link(
      userId: string,
      input: LinkInput,
      method: 'liff' | 'account_link' = 'liff',
    ): Promise<{ member: Member; bonusPoints: number }> {
      const { cardId } = await membership.verifyCard(userId, input)
      return db.transaction((tx) =>
        membership.linkVerifiedCard(tx, userId, cardId, method, input.consent.version),
      )
    },

    /**
     * Links a card whose PIN was checked earlier (the account-link flow: checked on the
     * sign-in page, linked on the `accountLink` event) exactly as `link` does, in `tx`.
     */
    async linkVerifiedCard(
      tx: Tx,
      userId: string,
      cardId: number,
      method: 'liff' | 'account_link',
      consentVersion: string,
    ): Promise<{ member: Member; bonusPoints: number }> {
      const bonusPoints = await linkInTx(tx, userId, cardId, method, consentVersion, clock.now())
      return { member: await linkedMember(tx, userId), bonusPoints }
    },

    /**
     * In `tx`: closes the card's active link (the console's unlink, an erasure) exactly as the
     * member's own unlink does; the LINE user it was linked to, or undefined when unlinked.
     */
    async unlinkCardInTx(tx: Tx, cardId: number, now: number): Promise<string | undefined> {
      const active = await links.activeOfCard(tx, cardId)
      if (!active) return undefined
      if ((await links.close(tx, active.lineUserId, now)) !== cardId) return undefined
      await stats.unlinked(tx, active.lineUserId, cardId, now)
      await events?.unlinked?.(tx, { userId: active.lineUserId, cardId, at: now })
      return active.lineUserId
    },

    /** Closes the user's active link. */
    unlink(userId: string): Promise<void> {
      const now = clock.now()
      return db.transaction(async (tx) => {
        // The link's offline device key goes with it (decision 067).
        const active = await links.activeByUser(tx, userId)
        if (active) await deviceKeys.revoke(tx, active.linkId)
        const cardId = await links.close(tx, userId, now)
        if (cardId === undefined) throw new NotLinked()
        await stats.unlinked(tx, userId, cardId, now)
        await events?.unlinked?.(tx, { userId, cardId, at: now })
      })
    },

    /**
     * Issues a new digital card (number prefixed 9, with a fresh 4-digit PIN so the member can
     * link it again after an unlink), links it and grants the bonus under the same rule.
     * Idempotent per (user, request key): a repeat returns the same card, without the PIN.
     */
    issueCard(
      userId: string,
      requestKey: string,
      input: { name: string; consent: ConsentInput },
    ): Promise<{
      member: Member
      bonusPoints: number
      pin: string | null
      cardNumber: string | null
    }> {
      try {
        checkConsent(input.consent, 'issue a card')
      } catch (err) {
        return Promise.reject(err)
      }
      const now = clock.now()
      const issue = () =>
        db.transaction(async (tx) => {
          let previous = await issuedCards.cardOfRequest(tx, userId, requestKey)
          const linked = await links.activeByUser(tx, userId)
          // On PostgreSQL each read sees what had committed when it began: the same request
          // committing between the two reads shows its link but not its card. Read it again.
          if (linked && previous === undefined) {
            previous = await issuedCards.cardOfRequest(tx, userId, requestKey)
          }
          if (previous !== undefined) {
            if (linked && linked.cardId === previous) {
              const bonus = await linkBonuses.pointsOfCard(tx, previous)
              return {
                member: toMember(linked),
                bonusPoints: bonus ?? 0,
                pin: null,
                cardNumber: null,
              }
            }
            throw new AlreadyLinked('This request was already used to issue a card.')
          }
          if (linked) throw new AlreadyLinked()
          let cardNumber = ''
          for (;;) {
            const body = `9${String(randomInt(0, 1e7)).padStart(7, '0')}${String(randomInt(0, 1e7)).padStart(7, '0')}`
            cardNumber = body + luhnCheckDigit(body)
            if (!(await cards.byNumber(tx, cardNumber))) break
          }
          const pin = String(randomInt(0, 10_000)).padStart(4, '0')
          const cardId = await cards.insertIssued(tx, {
            cardNumber,
            pinHash: hashPin(secrets.pinHashKey, cardNumber, pin),
            name: input.name,
            at: now,
          })
          await issuedCards.record(tx, { userId, requestKey, cardId, at: now })
          await stats.cardsCreated(tx, 1, 0, now, cardId)
          const bonusPoints = await linkInTx(
            tx,
            userId,
            cardId,
            'issued',
            input.consent.version,
            now,
          )
          return { member: await linkedMember(tx, userId), bonusPoints, pin, cardNumber }
        })
      return issue().catch((err: unknown) => {
        // The same request on another connection (PostgreSQL) recorded its request key first:
        // this insert waited for that commit and was refused. Once more, it finds that card.
        if (isUniqueViolation(err)) return issue()
        throw err
      })
    },

    /** One page of the linked card's ledger, newest first. */
    async history(userId: string, cursor: number | undefined, limit: number) {
      const linked = await links.activeByUser(db, userId)
      if (!linked) return { items: [], nextCursor: null, expiring: null }
      // The whole balance expires `expiryDays` after the last activity (the rule of points.ts).
      const expiring =
        expiryDays > 0 && linked.points > 0 && linked.lastActivityAt !== null
          ? {
              points: linked.points,
              expiresAt: new Date(linked.lastActivityAt + expiryDays * 86_400_000).toISOString(),
            }
          : null
      const page = await historyPage(db, linked.cardId, cursor ?? Number.MAX_SAFE_INTEGER, limit)
      return {
        ...page,
        /** When the current balance expires unless the member uses the card before then. */
        expiring,
      }
    },
  }
  return membership
}

export type Membership = ReturnType<typeof createMembership>

export { decodeCursor, encodeCursor } from './history-page.ts'
