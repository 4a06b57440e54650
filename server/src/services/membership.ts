import { randomInt } from 'node:crypto'
import {
  cardNumberProblem,
  luhnCheckDigit,
  type Member,
  maskCardNumber,
  normalizeCardNumber,
} from '@membercard/shared'
import { and, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/client.ts'
import { createFreshness } from '../db/fresh-cache.ts'
import {
  consents,
  issuedCards,
  ledger as ledgerTable,
  lineLinks,
  linkAttempts,
  linkBonuses,
  pointCards,
  stores,
} from '../db/schema.ts'
import { ApiError } from '../http/api-error.ts'
import type { Secrets } from '../secrets.ts'
import { createLedger } from './ledger.ts'
import { cardKey, hashPin, verifyPin } from './pin.ts'

/** Limits on failed link attempts (kept in the database so a restart does not reset them). */
export const LINK_LIMITS = {
  windowMs: 15 * 60_000,
  perCard: 5,
  perUser: 5,
  /** The global cap per LINE user across all cards. */
  perUserDayWindowMs: 24 * 60 * 60_000,
  perUserDay: 20,
} as const

/**
 * Called inside the transaction that links or unlinks, so what they write (the LINE outbox)
 * commits or rolls back with the link itself.
 */
export interface MembershipEvents {
  linked?(e: {
    userId: string
    cardId: number
    method: 'liff' | 'issued' | 'account_link'
    bonusPoints: number
    at: number
  }): void
  unlinked?(e: { userId: string; cardId: number; at: number }): void
}

export interface MembershipDeps {
  db: Db
  clock: Clock
  secrets: Secrets
  linkBonusPoints: number
  events?: MembershipEvents
  /** Points expire this many days after the card's last activity (0: never); see services/points.ts. */
  expiryDays?: number
}

/** A card row joined with its active link. */
interface ActiveLink {
  linkId: number
  cardId: number
  cardNumber: string
  name: string
  rank: string
  points: number
  lastActivityAt: number | null
}

function toMember(row: Pick<ActiveLink, 'cardNumber' | 'name' | 'rank' | 'points'>): Member {
  return {
    cardNumber: maskCardNumber(row.cardNumber),
    name: row.name,
    points: row.points,
    rank: row.rank,
  }
}

/** True when `err` is SQLite's unique-constraint failure on `index`. */
function isUniqueViolation(err: unknown, index?: string): boolean {
  if (!(err instanceof Error) || !('code' in err)) return false
  const code = (err as { code: unknown }).code
  if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return false
  return index === undefined || err.message.includes(index)
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
  events,
  expiryDays = 0,
}: MembershipDeps) {
  const sqlite = db.$client
  const ledger = createLedger(sqlite)
  const p = sql.placeholder

  /**
   * An active link joined with its card. Raw better-sqlite3 statements: `GET /api/me` and the
   * staff scan run this on every request, and drizzle's row mapping cost ~10 % of them.
   */
  const activeLinkSql = `SELECT l.id AS linkId, c.id AS cardId, c.card_number AS cardNumber,
      c.name, c.rank, c.points, c.last_activity_at AS lastActivityAt
    FROM line_links l JOIN point_cards c ON c.id = l.card_id
   WHERE l.unlinked_at IS NULL AND `
  const activeLinkByUser = sqlite.prepare<[string], ActiveLink>(
    `${activeLinkSql} l.line_user_id = ?`,
  )
  const activeLinkById = sqlite.prepare<[number], ActiveLink>(`${activeLinkSql} l.id = ?`)
  // The active link's id alone: read from the partial unique index, no join (the QR route).
  const linkIdByUser = sqlite.prepare<[string], { id: number }>(
    'SELECT id FROM line_links WHERE line_user_id = ? AND unlinked_at IS NULL',
  )

  // `GET /api/me` and `GET /api/card/qr` on every visit: cached until the database changes
  // (db/fresh-cache.ts, docs/decisions/017).
  const freshness = createFreshness(sqlite)
  const memberOfCached = freshness.cache(
    (
      userId: string,
    ): Readonly<{ linkId: number; cardId: number; member: Readonly<Member> }> | null => {
      const row = activeLinkByUser.get(userId)
      return row
        ? Object.freeze({
            linkId: row.linkId,
            cardId: row.cardId,
            member: Object.freeze(toMember(row)),
          })
        : null
    },
  )
  const activeLinkIdCached = freshness.cache(
    (userId: string): number | null => linkIdByUser.get(userId)?.id ?? null,
  )

  const cardByNumber = db
    .select()
    .from(pointCards)
    .where(eq(pointCards.cardNumber, p('cardNumber')))
    .prepare()

  const activeLinkOfCard = db
    .select({ id: lineLinks.id })
    .from(lineLinks)
    .where(and(eq(lineLinks.cardId, p('cardId')), isNull(lineLinks.unlinkedAt)))
    .prepare()

  const failuresByUser = db
    .select({
      n: sql<number>`count(*)`,
      oldest: sql<number | null>`min(${linkAttempts.createdAt})`,
    })
    .from(linkAttempts)
    .where(and(eq(linkAttempts.lineUserId, p('userId')), gt(linkAttempts.createdAt, p('since'))))
    .prepare()

  const failuresByCard = db
    .select({
      n: sql<number>`count(*)`,
      oldest: sql<number | null>`min(${linkAttempts.createdAt})`,
    })
    .from(linkAttempts)
    .where(and(eq(linkAttempts.cardKey, p('cardKey')), gt(linkAttempts.createdAt, p('since'))))
    .prepare()

  const bonusOf = db
    .select({ id: linkBonuses.id })
    .from(linkBonuses)
    .where(
      sql`${linkBonuses.cardId} = ${p('cardId')} OR ${linkBonuses.lineUserId} = ${p('userId')}`,
    )
    .prepare()

  const historyPage = db
    .select({
      id: ledgerTable.id,
      type: ledgerTable.type,
      points: ledgerTable.points,
      balance: ledgerTable.balanceAfter,
      createdAt: ledgerTable.createdAt,
      storeCode: ledgerTable.storeCode,
      storeName: stores.name,
    })
    .from(ledgerTable)
    .leftJoin(stores, eq(stores.code, ledgerTable.storeCode))
    .where(and(eq(ledgerTable.cardId, p('cardId')), lt(ledgerTable.id, p('before'))))
    .orderBy(desc(ledgerTable.id))
    .limit(p('limit'))
    .prepare()

  /** Throws 429 when the user or the card has too many recent failures. */
  function checkRateLimit(userId: string, key: string, now: number): void {
    const windows = [
      {
        row: failuresByUser.get({ userId, since: now - LINK_LIMITS.windowMs }),
        max: LINK_LIMITS.perUser,
        ms: LINK_LIMITS.windowMs,
      },
      {
        row: failuresByCard.get({ cardKey: key, since: now - LINK_LIMITS.windowMs }),
        max: LINK_LIMITS.perCard,
        ms: LINK_LIMITS.windowMs,
      },
      {
        row: failuresByUser.get({ userId, since: now - LINK_LIMITS.perUserDayWindowMs }),
        max: LINK_LIMITS.perUserDay,
        ms: LINK_LIMITS.perUserDayWindowMs,
      },
    ]
    let retryAfterMs = 0
    for (const w of windows) {
      if (w.row && w.row.n >= w.max && w.row.oldest !== null) {
        retryAfterMs = Math.max(retryAfterMs, w.row.oldest + w.ms - now)
      }
    }
    if (retryAfterMs > 0) {
      const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000))
      throw new ApiError(
        'TOO_MANY_ATTEMPTS',
        `Too many failed attempts. Try again in ${Math.ceil(seconds / 60)} minute(s).`,
        { 'Retry-After': String(seconds) },
      )
    }
  }

  /**
   * Inside a transaction: links `cardId` to `userId`, records the consent, and grants the
   * bonus when neither the card nor the user has ever had one. Returns the bonus granted.
   */
  function linkInTx(
    userId: string,
    cardId: number,
    method: 'liff' | 'issued' | 'account_link',
    consentVersion: string,
    now: number,
  ): number {
    const bonusPoints = linkAndGrantInTx(userId, cardId, method, consentVersion, now)
    events?.linked?.({ userId, cardId, method, bonusPoints, at: now })
    return bonusPoints
  }

  function linkAndGrantInTx(
    userId: string,
    cardId: number,
    method: 'liff' | 'issued' | 'account_link',
    consentVersion: string,
    now: number,
  ): number {
    if (activeLinkByUser.get(userId)) {
      throw new ApiError('ALREADY_LINKED', 'This LINE account is already linked to a card.')
    }
    if (activeLinkOfCard.get({ cardId })) {
      throw new ApiError(
        'CARD_ALREADY_LINKED',
        'This card is already linked to another LINE account.',
      )
    }
    try {
      db.insert(lineLinks).values({ lineUserId: userId, cardId, method, linkedAt: now }).run()
    } catch (err) {
      if (isUniqueViolation(err, 'line_links.line_user_id')) {
        throw new ApiError('ALREADY_LINKED', 'This LINE account is already linked to a card.')
      }
      if (isUniqueViolation(err, 'line_links.card_id')) {
        throw new ApiError(
          'CARD_ALREADY_LINKED',
          'This card is already linked to another LINE account.',
        )
      }
      throw err
    }
    db.insert(consents)
      .values({
        lineUserId: userId,
        cardId,
        purpose: 'link',
        version: consentVersion,
        grantedAt: now,
      })
      .run()
    if (linkBonusPoints <= 0 || bonusOf.get({ cardId, userId })) return 0
    // A savepoint: should another process have granted it meanwhile, the unique indexes on
    // link_bonuses refuse the second one and only the bonus is rolled back, not the link.
    try {
      sqlite.transaction(() => {
        const entry = ledger.append({
          cardId,
          type: 'bonus',
          points: linkBonusPoints,
          note: 'link bonus',
          at: now,
        })
        db.insert(linkBonuses)
          .values({ cardId, lineUserId: userId, ledgerId: entry.id, grantedAt: now })
          .run()
      })()
    } catch (err) {
      if (isUniqueViolation(err, 'link_bonuses.')) return 0
      throw err
    }
    return linkBonusPoints
  }

  const membership = {
    /** The user's linked member, or null (read through a fresh-cache: do not modify it). */
    memberOf: memberOfCached,

    /** The id of the LINE user's active link, or null when unlinked (fresh-cached). */
    activeLinkId: activeLinkIdCached,

    /** The member behind an active link (for a scanned QR token), or null when unlinked. */
    memberByLink(linkId: number): { cardId: number; member: Member } | null {
      const row = activeLinkById.get(linkId)
      return row ? { cardId: row.cardId, member: toMember(row) } : null
    },

    /**
     * Checks, in this order: the number's format and check digit (a typo is not an attempt),
     * consent, that the user is not linked yet, the rate limits, the PIN (a failure is
     * recorded). Returns the card; links nothing. Shared by the LIFF link and the company
     * sign-in page of the Messaging API account-link flow.
     */
    verifyCard(
      userId: string,
      input: { cardNumber: string; pin: string; consent: { version: string; accepted: boolean } },
    ): { cardId: number } {
      const cardNumber = normalizeCardNumber(input.cardNumber)
      const problem = cardNumberProblem(cardNumber)
      if (problem) {
        throw new ApiError(
          'CARD_NUMBER_INVALID',
          problem === 'format'
            ? 'A card number has 16 digits.'
            : 'This card number is not valid: check the digits.',
        )
      }
      if (input.consent.accepted !== true) {
        throw new ApiError('CONSENT_REQUIRED', 'Consent is required to link the card.')
      }
      const now = clock.now()
      const key = cardKey(secrets.pinHashKey, cardNumber)
      if (activeLinkByUser.get(userId)) {
        throw new ApiError('ALREADY_LINKED', 'This LINE account is already linked to a card.')
      }
      checkRateLimit(userId, key, now)
      const card = cardByNumber.get({ cardNumber })
      const pinOk =
        /^\d{4}$/.test(input.pin) &&
        card?.pinHash != null &&
        verifyPin(secrets.pinHashKey, cardNumber, input.pin, card.pinHash)
      if (!card || !pinOk) {
        if (!card) hashPin(secrets.pinHashKey, cardNumber, input.pin) // same work either way
        db.insert(linkAttempts).values({ lineUserId: userId, cardKey: key, createdAt: now }).run()
        throw new ApiError('CARD_OR_PIN_WRONG', 'The card number or the PIN is wrong.')
      }
      return { cardId: card.id }
    },

    /**
     * Links the user to the card after `verifyCard`'s checks, in one transaction: the link,
     * the consent record, the once-only bonus and the `linked` event.
     */
    link(
      userId: string,
      input: { cardNumber: string; pin: string; consent: { version: string; accepted: boolean } },
      method: 'liff' | 'account_link' = 'liff',
    ): { member: Member; bonusPoints: number } {
      const { cardId } = membership.verifyCard(userId, input)
      return membership.linkVerifiedCard(userId, cardId, method, input.consent.version)
    },

    /**
     * Links a card whose PIN was checked earlier (the account-link flow: checked on the
     * sign-in page, linked on the `accountLink` event) exactly as `link` does. Inside a
     * caller's transaction it runs as a savepoint of it.
     */
    linkVerifiedCard(
      userId: string,
      cardId: number,
      method: 'liff' | 'account_link',
      consentVersion: string,
    ): { member: Member; bonusPoints: number } {
      const now = clock.now()
      const bonusPoints = sqlite
        .transaction(() => linkInTx(userId, cardId, method, consentVersion, now))
        .immediate()
      const linked = activeLinkByUser.get(userId)
      if (!linked) throw new Error('link vanished')
      return { member: toMember(linked), bonusPoints }
    },

    /** Closes the user's active link. */
    unlink(userId: string): void {
      const now = clock.now()
      sqlite
        .transaction(() => {
          const closed = db
            .update(lineLinks)
            .set({ unlinkedAt: now })
            .where(and(eq(lineLinks.lineUserId, userId), isNull(lineLinks.unlinkedAt)))
            .returning({ cardId: lineLinks.cardId })
            .all()
          const row = closed[0]
          if (!row) throw new ApiError('NOT_LINKED', 'This LINE account is not linked.')
          events?.unlinked?.({ userId, cardId: row.cardId, at: now })
        })
        .immediate()
    },

    /**
     * Issues a new digital card (number prefixed 9, with a fresh 4-digit PIN so the member can
     * link it again after an unlink), links it and grants the bonus under the same rule.
     * Idempotent per (user, request key): a repeat returns the same card, without the PIN.
     */
    issueCard(
      userId: string,
      requestKey: string,
      input: { name: string; consent: { version: string; accepted: boolean } },
    ): { member: Member; bonusPoints: number; pin: string | null; cardNumber: string | null } {
      if (input.consent.accepted !== true) {
        throw new ApiError('CONSENT_REQUIRED', 'Consent is required to issue a card.')
      }
      const now = clock.now()
      return sqlite
        .transaction(() => {
          const previous = db
            .select({ cardId: issuedCards.cardId })
            .from(issuedCards)
            .where(and(eq(issuedCards.lineUserId, userId), eq(issuedCards.requestKey, requestKey)))
            .get()
          const linked = activeLinkByUser.get(userId)
          if (previous) {
            if (linked && linked.cardId === previous.cardId) {
              const bonus = db
                .select({ points: ledgerTable.points })
                .from(linkBonuses)
                .innerJoin(ledgerTable, eq(ledgerTable.id, linkBonuses.ledgerId))
                .where(eq(linkBonuses.cardId, previous.cardId))
                .get()
              return {
                member: toMember(linked),
                bonusPoints: bonus?.points ?? 0,
                pin: null,
                cardNumber: null,
              }
            }
            throw new ApiError('ALREADY_LINKED', 'This request was already used to issue a card.')
          }
          if (linked)
            throw new ApiError('ALREADY_LINKED', 'This LINE account is already linked to a card.')
          let cardNumber = ''
          for (;;) {
            const body = `9${String(randomInt(0, 1e7)).padStart(7, '0')}${String(randomInt(0, 1e7)).padStart(7, '0')}`
            cardNumber = body + luhnCheckDigit(body)
            if (!cardByNumber.get({ cardNumber })) break
          }
          const pin = String(randomInt(0, 10_000)).padStart(4, '0')
          const card = db
            .insert(pointCards)
            .values({
              cardNumber,
              pinHash: hashPin(secrets.pinHashKey, cardNumber, pin),
              name: input.name,
              rank: 'regular',
              source: 'issued',
              createdAt: now,
              updatedAt: now,
            })
            .returning({ id: pointCards.id })
            .get()
          db.insert(issuedCards)
            .values({ lineUserId: userId, requestKey, cardId: card.id, createdAt: now })
            .run()
          const bonusPoints = linkInTx(userId, card.id, 'issued', input.consent.version, now)
          const row = activeLinkByUser.get(userId)
          if (!row) throw new Error('link vanished')
          return { member: toMember(row), bonusPoints, pin, cardNumber }
        })
        .immediate()
    },

    /** One page of the linked card's ledger, newest first. */
    history(userId: string, cursor: number | undefined, limit: number) {
      const linked = activeLinkByUser.get(userId)
      if (!linked) return { items: [], nextCursor: null, expiring: null }
      // The whole balance expires `expiryDays` after the last activity (the rule of points.ts).
      const expiring =
        expiryDays > 0 && linked.points > 0 && linked.lastActivityAt !== null
          ? {
              points: linked.points,
              expiresAt: new Date(linked.lastActivityAt + expiryDays * 86_400_000).toISOString(),
            }
          : null
      const rows = historyPage.all({
        cardId: linked.cardId,
        before: cursor ?? Number.MAX_SAFE_INTEGER,
        limit: limit + 1,
      })
      const page = rows.slice(0, limit)
      const last = page.at(-1)
      return {
        items: page.map((r) => ({
          id: String(r.id),
          type: r.type,
          points: r.points,
          balance: r.balance,
          createdAt: new Date(r.createdAt).toISOString(),
          storeCode: r.storeCode,
          storeName: r.storeName,
        })),
        nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null,
        /** When the current balance expires unless the member uses the card before then. */
        expiring,
      }
    },
  }
  return membership
}

export type Membership = ReturnType<typeof createMembership>

/** Opaque history cursor. */
export function encodeCursor(id: number): string {
  return Buffer.from(`h:${id}`).toString('base64url')
}

/** Decodes a history cursor; undefined when it is not one. */
export function decodeCursor(cursor: string): number | undefined {
  const m = /^h:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  return m?.[1] ? Number(m[1]) : undefined
}
