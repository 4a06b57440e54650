import {
  awardPoints,
  cardNumberProblem,
  type LedgerType,
  type Member,
  maskCardNumber,
  normalizeCardNumber,
  type StaffAdjustRequest,
  type StaffPointsRequest,
  type TillResult,
  type TillTransaction,
} from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { PointsRules, Ratio } from '../config.ts'
import type { Database, Tx } from '../db/seam.ts'
import {
  AlreadyVoided,
  CardNotFound,
  CardNumberInvalid,
  Forbidden,
  InsufficientPoints,
  MemberNotFound,
  NotVoidable,
  QrExpired,
  QrInvalid,
  RefundedNotVoidable,
  TransactionNotFound,
  VoidWindowPassed,
} from '../domain/errors.ts'
import { cards } from '../repositories/cards.ts'
import { ledger } from '../repositories/ledger.ts'
import { type LinkedCard, links } from '../repositories/links.ts'
import { stores } from '../repositories/stores.ts'
import { type TillCard, tillCards } from '../repositories/till-cards.ts'
import type { Secrets } from '../secrets.ts'
import { createDailyStats, type DailyStats } from './daily-stats.ts'
import type { IdempotencyClaim } from './idempotency.ts'
import { appendToLedger, type LedgerEntryInput } from './ledger.ts'
import { toMember } from './membership.ts'
import type { OfflineCodes } from './offline-code.ts'
import { checkQrToken, type QrPayload } from './qr-token.ts'
import { QR_SPEND, useQrToken } from './qr-use.ts'
import { refundInTx } from './refund.ts'
import type { StaffPrincipal } from './staff.ts'

const DAY_MS = 86_400_000

/** Till transaction types a manager may void. */
const VOIDABLE: ReadonlySet<LedgerType> = new Set(['award', 'redeem', 'adjust'])

/** A change just written to the ledger, for `onLedgerChange`. */
export interface LedgerChange {
  entryId: number
  cardId: number
  /** The LINE user the card is linked to now, if any (for a push). */
  lineUserId: string | null
  /**
   * That user's language as read with the card in this transaction (null: LINE has not told
   * us); absent when it was not read.
   */
  lineLanguage?: string | null
  type: LedgerType
  /** Signed change. */
  points: number
  /** The balance after the change. */
  balance: number
  storeCode: string | null
  storeName: string | null
  staffId: string | null
  purchaseAmount: number | null
  /** The entry a void compensates. */
  voidsEntryId: number | null
  at: number
}

/**
 * Called INSIDE the transaction that appended `change` (its `tx`): whatever it writes (an
 * outbox row) commits or rolls back together with the points. Throwing rolls the change back.
 */
export type OnLedgerChange = (tx: Tx, change: LedgerChange) => Promise<void> | void

export interface PointsServiceDeps {
  db: Database
  clock: Clock
  secrets: Secrets
  rules: PointsRules
  onLedgerChange?: OnLedgerChange | undefined
  /** The dashboard's counters (default: kept in the rules' time zone). */
  stats?: DailyStats | undefined
  /** Offline card codes (docs/decisions/067); absent: only QR tokens are accepted. */
  offlineCodes?: OfflineCodes | undefined
}

/** Points for a purchase: exactly floor(amount × rate × multiplier) (shared with the till). */
export const awardPointsFor = awardPoints

/** The multiplier of `rank` (1× for a rank the rules do not name). */
export function multiplierOf(rules: PointsRules, rank: string): Ratio {
  // Own keys only: a rank named like an Object method ("constructor") is just unknown.
  return (
    (Object.hasOwn(rules.rankMultipliers, rank) && rules.rankMultipliers[rank]) || {
      num: 1,
      den: 1,
    }
  )
}

/** The start (Unix ms) of the calendar day containing `now` in `timeZone`. */
export function startOfDay(now: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(new Date(now))
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0)
  const wallAsUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  )
  const offset = wallAsUtc - (now - (now % 1000))
  return Date.UTC(get('year'), get('month') - 1, get('day')) - offset
}

/**
 * The till's points operations (award, redeem, void, adjust), today's transactions, and
 * expiry. Every change is one transaction that claims its Idempotency-Key, re-reads the card,
 * appends to the ledger (which moves the balance and refuses to go negative), calls
 * `onLedgerChange`, and completes the claim: all of it commits, or none of it.
 */
export function createPointsService({
  db,
  clock,
  secrets,
  rules,
  onLedgerChange,
  stats = createDailyStats(rules.timeZone),
  offlineCodes,
}: PointsServiceDeps) {
  /**
   * Appends and notifies, in `tx`. `known` holds what the caller has already read (the card's
   * LINE user and their language in this transaction, the store's name with the session), so
   * it is not read again.
   */
  async function appendInTx(
    tx: Tx,
    e: LedgerEntryInput,
    insufficient?: string,
    known: {
      lineUserId?: string | null
      lineLanguage?: string | null
      storeName?: string | null
    } = {},
  ) {
    const res = await appendToLedger(tx, stats, e, insufficient)
    if (onLedgerChange) {
      await onLedgerChange(tx, {
        entryId: res.id,
        cardId: e.cardId,
        lineUserId:
          known.lineUserId !== undefined
            ? known.lineUserId
            : ((await links.activeOfCard(tx, e.cardId))?.lineUserId ?? null),
        ...(known.lineLanguage !== undefined ? { lineLanguage: known.lineLanguage } : {}),
        type: e.type,
        points: e.points,
        balance: res.balance,
        storeCode: e.storeCode ?? null,
        storeName: !e.storeCode
          ? null
          : known.storeName !== undefined
            ? known.storeName
            : await stores.nameOf(tx, e.storeCode),
        staffId: e.staffId ?? null,
        purchaseAmount: e.purchaseAmount ?? null,
        voidsEntryId: e.voidsEntryId ?? null,
        at: e.at,
      })
    }
    return res
  }

  /**
   * Checks a scanned QR token's signature and time, or an offline code (decision 067); its
   * link, token id and expiry.
   */
  async function checkQr(qrToken: string, now: number): Promise<QrPayload> {
    const offline = await offlineCodes?.resolve(qrToken)
    if (offline) return offline
    const check = checkQrToken(secrets.qrTokenKey, qrToken, now)
    if (!check.ok) throw check.reason === 'expired' ? new QrExpired() : new QrInvalid()
    return check.payload
  }

  /** In `tx`: the token used at the staff member's store (QR_ALREADY_USED otherwise). */
  function useAtStore(
    tx: Tx,
    staff: StaffPrincipal,
    qr: QrPayload,
    spend: (typeof QR_SPEND)[keyof typeof QR_SPEND],
    scan = false,
  ) {
    return useQrToken(tx, {
      tokenId: qr.tokenId,
      expiresAtSec: qr.expiresAt,
      storeCode: staff.storeCode,
      // An offline code may be scanned again at its store, but serves one transaction only.
      spend: qr.offline && !scan ? spend | QR_SPEND.offline : spend,
    })
  }

  /** The card behind a checked QR token's link, with its LINE user, in `tx`. */
  async function cardOfLink(tx: Tx, linkId: number): Promise<LinkedCard> {
    const card = await links.cardOfActive(tx, linkId)
    if (card === undefined) throw new QrInvalid('This member card is no longer linked.')
    return card
  }

  function requireManager(staff: StaffPrincipal, what: string): void {
    if (staff.role !== 'manager') {
      throw new Forbidden(`Only a manager can ${what}. Ask a manager to sign in.`)
    }
  }

  async function result(tx: Tx, claim: IdempotencyClaim, r: TillResult): Promise<TillResult> {
    await claim.complete(tx, 200, r)
    return r
  }

  return {
    /**
     * The till's steps for its other operations (coupons, services/coupon-till.ts): the QR
     * check, its use at the staff member's store, the card behind it, and the ledger append
     * with the till's notifications, exactly as `transact` takes them.
     */
    till: { checkQr, useAtStore, cardOfLink, append: appendInTx },

    /**
     * A till scanned a member's QR token: checks it and binds it to the staff member's store
     * (QR_ALREADY_USED when another store has used it). Returns the member and the token's
     * expiry (Unix seconds).
     */
    async scan(
      staff: StaffPrincipal,
      qrToken: string,
    ): Promise<{ member: Member; expiresAt: number; cardId: number }> {
      const qr = await checkQr(qrToken, clock.now())
      return db.transaction(async (tx) => {
        await useAtStore(tx, staff, qr, QR_SPEND.none, true)
        const row = await links.activeById(tx, qr.linkId)
        // Thrown inside: the binding rolls back with it (a refused scan writes nothing).
        if (!row) throw new QrInvalid('This member card is no longer linked.')
        await stats.scanned(tx, staff.storeCode, qr.linkId, clock.now())
        return { member: toMember(row), expiresAt: qr.expiresAt, cardId: row.cardId }
      })
    },

    /**
     * Award points for a purchase, or redeem points, for the member behind a QR token. The
     * token must not have been used at another store; a redemption spends it (once). A refund
     * needs no token: the award it names identifies the member (see refund.ts).
     */
    async transact(
      staff: StaffPrincipal,
      input: StaffPointsRequest,
      claim: IdempotencyClaim,
    ): Promise<TillResult> {
      const now = clock.now()
      if (input.type === 'refund') {
        const refund = {
          transactionId: Number(input.transactionId),
          refundAmount: input.refundAmount,
          idempotencyKey: claim.key,
          at: now,
        }
        return db.transaction(async (tx) => {
          await claim.enter(tx)
          return result(tx, claim, await refundInTx(tx, staff, refund, appendInTx))
        })
      }
      const qr = await checkQr(input.qrToken, now)
      const { linkId, tokenId } = qr
      return db.transaction(async (tx): Promise<TillResult> => {
        await claim.enter(tx)
        await useAtStore(tx, staff, qr, input.type === 'award' ? QR_SPEND.none : QR_SPEND.points)
        const card = await cardOfLink(tx, linkId)
        const cardId = card.cardId
        // The session's store name was read with the session: no second read of the store.
        const known = {
          lineUserId: card.lineUserId,
          lineLanguage: card.lineLanguage,
          storeName: staff.storeName,
        }
        const base = {
          cardId,
          storeCode: staff.storeCode,
          staffId: staff.staffId,
          idempotencyKey: claim.key,
          qrTokenId: tokenId,
          at: now,
        }
        if (input.type === 'award') {
          const points = awardPointsFor(
            input.purchaseAmount,
            rules.rate,
            multiplierOf(rules, card.rank),
          )
          const e = await appendInTx(
            tx,
            {
              ...base,
              type: 'award',
              points,
              purchaseAmount: input.purchaseAmount,
              linkedCard: true,
            },
            undefined,
            known,
          )
          return result(tx, claim, { transactionId: String(e.id), points, balance: e.balance })
        }
        const insufficient = `The member has ${card.points} points: redeem at most that many.`
        if (input.points > card.points) throw new InsufficientPoints(insufficient)
        const e = await appendInTx(
          tx,
          { ...base, type: 'redeem', points: -input.points, linkedCard: true },
          insufficient,
          known,
        )
        return result(tx, claim, {
          transactionId: String(e.id),
          points: -input.points,
          balance: e.balance,
        })
      })
    },

    /**
     * Award points for a purchase to the card with this (normalised, checked) number, with no
     * QR token: the plastic card of a customer without a phone (decision 092). An erased card
     * is not found; `within` runs in the same transaction (the audit entry).
     */
    async awardByCard(
      staff: StaffPrincipal,
      input: { cardNumber: string; purchaseAmount: number },
      claim: IdempotencyClaim,
      within?: (tx: Tx, card: TillCard, r: TillResult) => Promise<unknown>,
    ): Promise<TillResult> {
      const now = clock.now()
      return db.transaction(async (tx): Promise<TillResult> => {
        await claim.enter(tx)
        const card = await tillCards.byNumber(tx, input.cardNumber)
        if (!card) throw new CardNotFound()
        const points = awardPointsFor(
          input.purchaseAmount,
          rules.rate,
          multiplierOf(rules, card.rank),
        )
        const e = await appendInTx(
          tx,
          {
            cardId: card.cardId,
            type: 'award',
            points,
            storeCode: staff.storeCode,
            staffId: staff.staffId,
            idempotencyKey: claim.key,
            purchaseAmount: input.purchaseAmount,
            linkedCard: card.lineUserId !== null,
            at: now,
          },
          undefined,
          {
            lineUserId: card.lineUserId,
            lineLanguage: card.lineLanguage,
            storeName: staff.storeName,
          },
        )
        const r = { transactionId: String(e.id), points, balance: e.balance }
        await within?.(tx, card, r)
        return result(tx, claim, r)
      })
    },

    /** A manager voids a transaction of their store within the window: a compensating entry. */
    async void(
      staff: StaffPrincipal,
      transactionId: number,
      reason: string | undefined,
      claim: IdempotencyClaim,
    ): Promise<TillResult> {
      requireManager(staff, 'void a transaction')
      const now = clock.now()
      return db.transaction(async (tx): Promise<TillResult> => {
        await claim.enter(tx)
        const entry = await ledger.byId(tx, transactionId)
        if (!entry || entry.storeCode !== staff.storeCode) throw new TransactionNotFound()
        if (!VOIDABLE.has(entry.type)) throw new NotVoidable(entry.type)
        // A void of the same entry racing this one (PostgreSQL) commits first, and is seen.
        await cards.lock(tx, entry.cardId)
        if ((await ledger.voidOf(tx, entry.id)) !== undefined) throw new AlreadyVoided()
        if ((await ledger.refundedOf(tx, entry.id)).count > 0) throw new RefundedNotVoidable()
        if (now - entry.createdAt > rules.voidWindowMs) throw new VoidWindowPassed()
        const e = await appendInTx(
          tx,
          {
            cardId: entry.cardId,
            type: 'void',
            points: -entry.points,
            storeCode: staff.storeCode,
            staffId: staff.staffId,
            idempotencyKey: claim.key,
            voidsEntryId: entry.id,
            note: reason ?? null,
            at: now,
          },
          'The member has already used these points, so the award cannot be voided. Make an adjustment instead.',
        )
        return result(tx, claim, {
          transactionId: String(e.id),
          points: -entry.points,
          balance: e.balance,
        })
      })
    },

    /** A manager adjusts a member's points (signed) with a reason. */
    async adjust(
      staff: StaffPrincipal,
      input: StaffAdjustRequest,
      claim: IdempotencyClaim,
    ): Promise<TillResult> {
      requireManager(staff, 'adjust points')
      const now = clock.now()
      let qr: QrPayload | null = null
      let cardNumber: string | null = null
      if (input.qrToken !== undefined) {
        qr = await checkQr(input.qrToken, now)
      } else {
        cardNumber = normalizeCardNumber(input.cardNumber ?? '')
        const problem = cardNumberProblem(cardNumber)
        if (problem) throw new CardNumberInvalid(problem)
      }
      return db.transaction(async (tx): Promise<TillResult> => {
        await claim.enter(tx)
        let cardId: number
        if (qr) {
          await useAtStore(tx, staff, qr, QR_SPEND.none)
          cardId = (await cardOfLink(tx, qr.linkId)).cardId
        } else {
          const card = await cards.byNumber(tx, cardNumber ?? '')
          if (!card) throw new CardNotFound()
          cardId = card.id
        }
        const e = await appendInTx(
          tx,
          {
            cardId,
            type: 'adjust',
            points: input.points,
            storeCode: staff.storeCode,
            staffId: staff.staffId,
            idempotencyKey: claim.key,
            qrTokenId: qr?.tokenId ?? null,
            note: input.reason,
            at: now,
          },
          'The adjustment would make the balance negative.',
        )
        return result(tx, claim, {
          transactionId: String(e.id),
          points: input.points,
          balance: e.balance,
        })
      })
    },

    /**
     * Head office adjusts a card's points (signed) with a reason, from the console: an `adjust`
     * entry with no store, under the same Idempotency-Key machinery as the till; `within` runs
     * in the same transaction (the audit entry).
     */
    async adjustCard(
      staffId: string,
      cardId: number,
      input: { points: number; reason: string },
      claim: IdempotencyClaim,
      within?: (tx: Tx, r: TillResult) => Promise<unknown>,
    ): Promise<TillResult> {
      const now = clock.now()
      return db.transaction(async (tx): Promise<TillResult> => {
        await claim.enter(tx)
        if (!(await cards.byId(tx, cardId))) throw new MemberNotFound()
        const e = await appendInTx(
          tx,
          {
            cardId,
            type: 'adjust',
            points: input.points,
            staffId,
            idempotencyKey: claim.key,
            note: input.reason,
            at: now,
          },
          'The adjustment would make the balance negative.',
        )
        const r = { transactionId: String(e.id), points: input.points, balance: e.balance }
        await within?.(tx, r)
        return result(tx, claim, r)
      })
    },

    /**
     * Today's transactions of the staff member's store (or only theirs), newest first, a page
     * at a time: `before` is the previous page's `nextCursor`.
     */
    async today(
      staff: StaffPrincipal,
      onlyMine: boolean,
      before?: number,
      limit = 100,
    ): Promise<{ items: TillTransaction[]; nextCursor: string | null }> {
      const now = clock.now()
      const start = startOfDay(now, rules.timeZone)
      const rows = await ledger.day(db, {
        storeCode: staff.storeCode,
        from: start,
        to: start + DAY_MS,
        staffId: onlyMine ? staff.staffId : null,
        before: before ?? Number.MAX_SAFE_INTEGER,
        limit: limit + 1,
      })
      const page = rows.slice(0, limit)
      const items = page.map((r) => ({
        id: String(r.id),
        type: r.type,
        points: r.points,
        balance: r.balance,
        createdAt: new Date(r.createdAt).toISOString(),
        staffId: r.staffId,
        cardNumber: maskCardNumber(r.cardNumber),
        memberName: r.name,
        purchaseAmount: r.purchaseAmount,
        note: r.note,
        voidsId: r.voidsEntryId === null ? null : String(r.voidsEntryId),
        voidedBy: r.voidedBy === null ? null : String(r.voidedBy),
        voidable:
          staff.role === 'manager' &&
          VOIDABLE.has(r.type) &&
          r.voidedBy === null &&
          Number(r.refunded) === 0 &&
          now - r.createdAt <= rules.voidWindowMs,
        refundsId: r.refundsEntryId === null ? null : String(r.refundsEntryId),
        refundedAmount: r.type === 'award' ? Number(r.refunded) : null,
        refundable:
          r.type === 'award' && r.voidedBy === null && (r.purchaseAmount ?? 0) > Number(r.refunded),
      }))
      const last = page.at(-1)
      return { items, nextCursor: rows.length > limit && last ? String(last.id) : null }
    },

    /**
     * Expires the balance of every card with no activity for `expiryDays`: one `expire` entry
     * per card, each in its own transaction that re-checks the card under the balance's row
     * lock, so running it twice (or on two instances at once) expires nothing twice, and an
     * award committed meanwhile keeps the card active. Returns what it did.
     */
    async expire(now = clock.now(), batchSize = 500): Promise<{ cards: number; points: number }> {
      const out = { cards: 0, points: 0 }
      if (rules.expiryDays <= 0) return out
      const cutoff = now - rules.expiryDays * DAY_MS
      let after = 0
      for (;;) {
        const batch = await cards.expiryCandidates(db, cutoff, after, batchSize)
        if (batch.length === 0) break
        for (const { id } of batch) {
          after = id
          const expired = await db.transaction(async (tx) => {
            const state = await cards.expiryState(tx, id, true)
            if (!state || state.points <= 0 || state.last > cutoff) return 0
            await appendInTx(tx, {
              cardId: id,
              type: 'expire',
              points: -state.points,
              idempotencyKey: `expire:${id}:${state.last}`,
              note: `no activity since ${new Date(state.last).toISOString()}`,
              at: now,
            })
            return state.points
          })
          if (expired > 0) {
            out.cards += 1
            out.points += expired
          }
        }
      }
      return out
    },
  }
}

export type PointsService = ReturnType<typeof createPointsService>
