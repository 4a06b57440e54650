import {
  awardPoints,
  cardNumberProblem,
  type LedgerType,
  maskCardNumber,
  normalizeCardNumber,
  type StaffAdjustRequest,
  type StaffPointsRequest,
  type TillResult,
  type TillTransaction,
} from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { PointsRules, Ratio } from '../config.ts'
import type { Db } from '../db/client.ts'
import { ApiError } from '../http/api-error.ts'
import type { Secrets } from '../secrets.ts'
import type { IdempotencyClaim } from './idempotency.ts'
import { createLedger, InsufficientPointsError, type LedgerEntryInput } from './ledger.ts'
import { checkQrToken } from './qr-token.ts'
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
 * Called INSIDE the transaction that appended `change` (same `db`): whatever it writes (an
 * outbox row) commits or rolls back together with the points. Throwing rolls the change back.
 */
export type OnLedgerChange = (db: Db, change: LedgerChange) => void

export interface PointsServiceDeps {
  db: Db
  clock: Clock
  secrets: Secrets
  rules: PointsRules
  onLedgerChange?: OnLedgerChange | undefined
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

interface CardRow {
  id: number
  card_number: string
  name: string
  rank: string
  points: number
}

interface EntryRow {
  id: number
  card_id: number
  type: LedgerType
  points: number
  store_code: string | null
  created_at: number
}

interface DayRow {
  id: number
  type: LedgerType
  points: number
  balance_after: number
  created_at: number
  staff_id: string | null
  card_number: string
  name: string
  purchase_amount: number | null
  note: string | null
  voids_entry_id: number | null
  voided_by: number | null
}

/**
 * The till's points operations (award, redeem, void, adjust), today's transactions, and
 * expiry. Every change is one IMMEDIATE transaction that re-reads the card, appends to the
 * ledger (which moves the balance and refuses to go negative), calls `onLedgerChange`, and
 * completes the idempotency claim: all of it commits, or none of it.
 */
export function createPointsService({
  db,
  clock,
  secrets,
  rules,
  onLedgerChange,
}: PointsServiceDeps) {
  const sqlite = db.$client
  const ledger = createLedger(sqlite)

  const linkById = sqlite.prepare<[number], { card_id: number }>(
    'SELECT card_id FROM line_links WHERE id = ? AND unlinked_at IS NULL',
  )
  const cardById = sqlite.prepare<[number], CardRow>(
    'SELECT id, card_number, name, rank, points FROM point_cards WHERE id = ?',
  )
  const cardByNumber = sqlite.prepare<[string], CardRow>(
    'SELECT id, card_number, name, rank, points FROM point_cards WHERE card_number = ?',
  )
  const linkedUser = sqlite.prepare<[number], { line_user_id: string }>(
    'SELECT line_user_id FROM line_links WHERE card_id = ? AND unlinked_at IS NULL',
  )
  const storeName = sqlite.prepare<[string], { name: string }>(
    'SELECT name FROM stores WHERE code = ?',
  )
  const entryById = sqlite.prepare<[number], EntryRow>(
    'SELECT id, card_id, type, points, store_code, created_at FROM ledger WHERE id = ?',
  )
  const voidOf = sqlite.prepare<[number], { id: number }>(
    'SELECT id FROM ledger WHERE voids_entry_id = ?',
  )
  const dayRows = sqlite.prepare<
    [string, number, number, string | null, string | null, number, number],
    DayRow
  >(
    `SELECT l.id, l.type, l.points, l.balance_after, l.created_at, l.staff_id, c.card_number,
            c.name, l.purchase_amount, l.note, l.voids_entry_id, v.id AS voided_by
       FROM ledger l
       JOIN point_cards c ON c.id = l.card_id
       LEFT JOIN ledger v ON v.voids_entry_id = l.id
      WHERE l.store_code = ? AND l.created_at >= ? AND l.created_at < ?
        AND (? IS NULL OR l.staff_id = ?) AND l.id < ?
      ORDER BY l.id DESC LIMIT ?`,
  )
  const expiryCandidates = sqlite.prepare<[number, number, number], { id: number }>(
    `SELECT id FROM point_cards
      WHERE points > 0 AND COALESCE(last_activity_at, created_at) <= ? AND id > ?
      ORDER BY id LIMIT ?`,
  )
  const expiryState = sqlite.prepare<[number], { points: number; last: number }>(
    'SELECT points, COALESCE(last_activity_at, created_at) AS last FROM point_cards WHERE id = ?',
  )

  /** Appends and notifies; maps a would-be negative balance to 422. */
  function appendInTx(
    e: LedgerEntryInput,
    insufficient = 'The balance is too low for this.',
  ): { id: number; balance: number } {
    let res: { id: number; balance: number }
    try {
      res = ledger.append(e)
    } catch (err) {
      if (err instanceof InsufficientPointsError) {
        throw new ApiError('INSUFFICIENT_POINTS', insufficient)
      }
      throw err
    }
    if (onLedgerChange) {
      onLedgerChange(db, {
        entryId: res.id,
        cardId: e.cardId,
        lineUserId: linkedUser.get(e.cardId)?.line_user_id ?? null,
        type: e.type,
        points: e.points,
        balance: res.balance,
        storeCode: e.storeCode ?? null,
        storeName: e.storeCode ? (storeName.get(e.storeCode)?.name ?? null) : null,
        staffId: e.staffId ?? null,
        purchaseAmount: e.purchaseAmount ?? null,
        voidsEntryId: e.voidsEntryId ?? null,
        at: e.at,
      })
    }
    return res
  }

  /** Checks a scanned QR token; the card behind its active link, and the token's id. */
  function resolveQr(qrToken: string, now: number): { cardId: number; tokenId: string } {
    const check = checkQrToken(secrets.qrTokenKey, qrToken, now)
    if (!check.ok) {
      if (check.reason === 'expired') {
        throw new ApiError(
          'QR_EXPIRED',
          'This QR code has expired. Ask the customer to show the card again.',
        )
      }
      throw new ApiError('QR_INVALID', 'This is not a member QR code.')
    }
    const link = linkById.get(check.payload.linkId)
    if (!link) throw new ApiError('QR_INVALID', 'This member card is no longer linked.')
    return { cardId: link.card_id, tokenId: check.payload.tokenId }
  }

  function requireManager(staff: StaffPrincipal, what: string): void {
    if (staff.role !== 'manager') {
      throw new ApiError('FORBIDDEN', `Only a manager can ${what}. Ask a manager to sign in.`)
    }
  }

  function result(claim: IdempotencyClaim, r: TillResult): TillResult {
    claim.complete(200, r)
    return r
  }

  return {
    /** Award points for a purchase, or redeem points, for the member behind a QR token. */
    transact(
      staff: StaffPrincipal,
      input: StaffPointsRequest,
      claim: IdempotencyClaim,
    ): TillResult {
      const now = clock.now()
      const { cardId, tokenId } = resolveQr(input.qrToken, now)
      return sqlite
        .transaction((): TillResult => {
          claim.enter()
          const card = cardById.get(cardId)
          if (!card) throw new Error('card vanished')
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
            const e = appendInTx({
              ...base,
              type: 'award',
              points,
              purchaseAmount: input.purchaseAmount,
            })
            return result(claim, { transactionId: String(e.id), points, balance: e.balance })
          }
          if (input.points > card.points) {
            throw new ApiError(
              'INSUFFICIENT_POINTS',
              `The member has ${card.points} points: redeem at most that many.`,
            )
          }
          const e = appendInTx({ ...base, type: 'redeem', points: -input.points })
          return result(claim, {
            transactionId: String(e.id),
            points: -input.points,
            balance: e.balance,
          })
        })
        .immediate()
    },

    /** A manager voids a transaction of their store within the window: a compensating entry. */
    void(
      staff: StaffPrincipal,
      transactionId: number,
      reason: string | undefined,
      claim: IdempotencyClaim,
    ): TillResult {
      requireManager(staff, 'void a transaction')
      const now = clock.now()
      return sqlite
        .transaction((): TillResult => {
          claim.enter()
          const entry = entryById.get(transactionId)
          if (!entry || entry.store_code !== staff.storeCode) {
            throw new ApiError('TRANSACTION_NOT_FOUND', 'No such transaction at this store.')
          }
          if (!VOIDABLE.has(entry.type)) {
            throw new ApiError('NOT_VOIDABLE', `A ${entry.type} entry cannot be voided.`)
          }
          if (voidOf.get(entry.id)) {
            throw new ApiError('ALREADY_VOIDED', 'This transaction has already been voided.')
          }
          if (now - entry.created_at > rules.voidWindowMs) {
            throw new ApiError(
              'VOID_WINDOW_PASSED',
              'This transaction is too old to void. Make an adjustment with a reason instead.',
            )
          }
          const e = appendInTx(
            {
              cardId: entry.card_id,
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
          return result(claim, {
            transactionId: String(e.id),
            points: -entry.points,
            balance: e.balance,
          })
        })
        .immediate()
    },

    /** A manager adjusts a member's points (signed) with a reason. */
    adjust(staff: StaffPrincipal, input: StaffAdjustRequest, claim: IdempotencyClaim): TillResult {
      requireManager(staff, 'adjust points')
      const now = clock.now()
      let cardId: number
      let tokenId: string | null = null
      if (input.qrToken !== undefined) {
        ;({ cardId, tokenId } = resolveQr(input.qrToken, now))
      } else {
        const number = normalizeCardNumber(input.cardNumber ?? '')
        if (cardNumberProblem(number)) {
          throw new ApiError('CARD_NUMBER_INVALID', 'Check the 16-digit card number.')
        }
        const card = cardByNumber.get(number)
        if (!card) throw new ApiError('CARD_NOT_FOUND', 'No member card has this number.')
        cardId = card.id
      }
      return sqlite
        .transaction((): TillResult => {
          claim.enter()
          const e = appendInTx(
            {
              cardId,
              type: 'adjust',
              points: input.points,
              storeCode: staff.storeCode,
              staffId: staff.staffId,
              idempotencyKey: claim.key,
              qrTokenId: tokenId,
              note: input.reason,
              at: now,
            },
            'The adjustment would make the balance negative.',
          )
          return result(claim, {
            transactionId: String(e.id),
            points: input.points,
            balance: e.balance,
          })
        })
        .immediate()
    },

    /**
     * Today's transactions of the staff member's store (or only theirs), newest first, a page
     * at a time: `before` is the previous page's `nextCursor`.
     */
    today(
      staff: StaffPrincipal,
      onlyMine: boolean,
      before?: number,
      limit = 100,
    ): { items: TillTransaction[]; nextCursor: string | null } {
      const now = clock.now()
      const start = startOfDay(now, rules.timeZone)
      const mine = onlyMine ? staff.staffId : null
      const rows = dayRows.all(
        staff.storeCode,
        start,
        start + DAY_MS,
        mine,
        mine,
        before ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      )
      const page = rows.slice(0, limit)
      const items = page.map((r) => ({
        id: String(r.id),
        type: r.type,
        points: r.points,
        balance: r.balance_after,
        createdAt: new Date(r.created_at).toISOString(),
        staffId: r.staff_id,
        cardNumber: maskCardNumber(r.card_number),
        memberName: r.name,
        purchaseAmount: r.purchase_amount,
        note: r.note,
        voidsId: r.voids_entry_id === null ? null : String(r.voids_entry_id),
        voidedBy: r.voided_by === null ? null : String(r.voided_by),
        voidable:
          staff.role === 'manager' &&
          VOIDABLE.has(r.type) &&
          r.voided_by === null &&
          now - r.created_at <= rules.voidWindowMs,
      }))
      const last = page.at(-1)
      return { items, nextCursor: rows.length > limit && last ? String(last.id) : null }
    },

    /**
     * Expires the balance of every card with no activity for `expiryDays`: one `expire` entry
     * per card, each in its own transaction that re-checks the card, so running it twice (or
     * in two processes at once) expires nothing twice. Returns what it did.
     */
    expire(now = clock.now(), batchSize = 500): { cards: number; points: number } {
      const out = { cards: 0, points: 0 }
      if (rules.expiryDays <= 0) return out
      const cutoff = now - rules.expiryDays * DAY_MS
      let after = 0
      for (;;) {
        const batch = expiryCandidates.all(cutoff, after, batchSize)
        if (batch.length === 0) break
        for (const { id } of batch) {
          after = id
          sqlite
            .transaction(() => {
              const state = expiryState.get(id)
              if (!state || state.points <= 0 || state.last > cutoff) return
              appendInTx({
                cardId: id,
                type: 'expire',
                points: -state.points,
                idempotencyKey: `expire:${id}:${state.last}`,
                note: `no activity since ${new Date(state.last).toISOString()}`,
                at: now,
              })
              out.cards += 1
              out.points += state.points
            })
            .immediate()
        }
      }
      return out
    },
  }
}

export type PointsService = ReturnType<typeof createPointsService>
