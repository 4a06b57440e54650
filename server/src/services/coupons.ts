import type { Readable } from 'node:stream'
import type { Coupon, CouponCreate, CouponDetail, CouponIssue } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database, Executor } from '../db/seam.ts'
import { CouponExpired, CouponInvalid, CouponNotFound } from '../domain/coupon-errors.ts'
import { couponRedemptions } from '../repositories/coupon-redemptions.ts'
import { type CouponRow, coupons } from '../repositories/coupons.ts'
import { memberCoupons } from '../repositories/member-coupons.ts'
import { tokyoDay } from '../repositories/member-facts.ts'
import { type AuditActor, dayStartIn, recordAudit } from './audit.ts'
import { createCalendar, utcOffsetMs } from './calendar.ts'
import type { CouponNoticeSender } from './coupon-notice.ts'
import { rewardColumns, toCoupon } from './coupon-view.ts'
import { type CsvCell, csvStream } from './csv-export.ts'
import { decodeCursor, encodeCursor } from './history-page.ts'
import type { IdempotencyClaim } from './idempotency.ts'
import { admitPromotions, excludedTotal } from './promotions.ts'

const DAY_MS = 86_400_000
const PAGE = 50
/** Members issued to per transaction: a bounded write, however large the segment. */
export const ISSUE_BATCH = 1000
const EXPORT_PAGE = 1000

const DATE = /^\d{4}-\d{2}-\d{2}$/

export interface CouponsDeps {
  db: Database
  clock: Clock
  /** The till's time zone: what a date (`YYYY-MM-DD`) of a coupon means. */
  timeZone: string
  /** Days without activity after which a balance expires (the segment field). */
  expiryDays: number
  /** Queues a promotional notice of an issued coupon (absent: notices are not sent). */
  notice?: CouponNoticeSender | undefined
  issueBatch?: number
}

/**
 * Head office's coupons (issue 16): definitions (created, never edited, ended early), issuing
 * to a segment in bounded batches, usage figures and the export of uses. Every write is
 * audit-logged in its own transaction.
 */
export function createCoupons(deps: CouponsDeps) {
  const { db, clock, timeZone } = deps
  const calendar = createCalendar(timeZone)
  const batch = deps.issueBatch ?? ISSUE_BATCH

  /** A coupon's date or time as an instant; a date's end is the start of the next day. */
  function instant(s: string, edge: 'start' | 'end'): number {
    if (!DATE.test(s)) return Date.parse(s)
    if (edge === 'start') return dayStartIn(s, timeZone)
    const next = new Date(Date.parse(`${s}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10)
    return dayStartIn(next, timeZone)
  }

  /** The end of a copy issued at `at`: the coupon's, or N local days after issue if sooner. */
  function copyEnd(c: CouponRow, at: number): number {
    const n = c.validDaysAfterIssue === null ? null : Number(c.validDaysAfterIssue)
    if (n === null) return Number(c.endsAt)
    const end = dayStartIn(calendar.format(calendar.dayOf(at) + n + 1), timeZone)
    return Math.min(end, Number(c.endsAt))
  }

  async function byId(ex: Executor, id: number): Promise<CouponRow> {
    const row = await coupons.byId(ex, id)
    if (!row) throw new CouponNotFound()
    return row
  }

  async function checkDefinition(input: CouponCreate, now: number) {
    const startsAt = instant(input.validFrom, 'start')
    const endsAt = instant(input.validUntil, 'end')
    if (endsAt <= startsAt) throw new CouponInvalid('validUntil: must be after validFrom.')
    if (endsAt <= now) throw new CouponInvalid('validUntil: this time has already passed.')
    const stores = input.storeCodes ? [...new Set(input.storeCodes)] : null
    if (stores) {
      const known = await coupons.knownStores(db, stores)
      const unknown = stores.filter((s) => !known.has(s))
      if (unknown.length > 0) throw new CouponInvalid(`storeCodes: no store ${unknown.join(', ')}.`)
    }
    if (input.followUpCouponId !== undefined) {
      if (!(await coupons.byId(db, input.followUpCouponId))) {
        throw new CouponInvalid('followUpCouponId: no such coupon.')
      }
    }
    return { startsAt, endsAt, stores }
  }

  return {
    copyEnd,

    /** Creates a coupon definition (never edited afterwards, only ended). */
    async create(actor: AuditActor, input: CouponCreate): Promise<Coupon> {
      const now = clock.now()
      const { startsAt, endsAt, stores } = await checkDefinition(input, now)
      return db.transaction(async (tx) => {
        const id = await coupons.insert(tx, {
          title: input.title,
          description: input.description ?? null,
          imageUrl: input.imageUrl ?? null,
          ...rewardColumns(input.reward),
          validFrom: input.validFrom,
          validUntil: input.validUntil,
          startsAt,
          endsAt,
          validDaysAfterIssue: input.validDaysAfterIssue ?? null,
          perMemberLimit: input.perMemberLimit ?? 1,
          totalLimit: input.totalLimit ?? null,
          minPurchaseYen: input.minPurchaseYen ?? null,
          storeCodes: stores ? JSON.stringify(stores) : null,
          followUpCouponId: input.followUpCouponId ?? null,
          createdBy: actor.actor,
          createdAt: now,
        })
        await recordAudit(tx, clock, {
          ...actor,
          action: 'coupon.create',
          target: `coupon:${id}`,
          detail: { title: input.title, reward: input.reward },
        })
        return toCoupon(await byId(tx, id), now)
      })
    },

    /** Coupons newest first, a page at a time. */
    async list(cursor?: string): Promise<{ items: Coupon[]; nextCursor: string | null }> {
      const before =
        cursor === undefined || cursor === ''
          ? Number.MAX_SAFE_INTEGER
          : (decodeCursor(cursor) ?? Number.MAX_SAFE_INTEGER)
      const rows = await coupons.page(db, before, PAGE + 1)
      const now = clock.now()
      const page = rows.slice(0, PAGE)
      const last = page.at(-1)
      return {
        items: page.map((r) => toCoupon(r, now)),
        nextCursor: rows.length > PAGE && last ? encodeCursor(Number(last.id)) : null,
      }
    },

    /** A coupon with its usage: rate, per store and per day (the till's time zone). */
    async detail(id: number): Promise<CouponDetail> {
      const now = clock.now()
      const row = await byId(db, id)
      const [byStore, days] = await Promise.all([
        coupons.usedByStore(db, id),
        coupons.byDay(db, id, utcOffsetMs(timeZone, now)),
      ])
      const coupon = toCoupon(row, now)
      return {
        ...coupon,
        usageRate:
          coupon.issued > 0 ? Math.round((coupon.used / coupon.issued) * 10_000) / 10_000 : null,
        byStore,
        byDay: days.map(([day, n]) => ({ date: calendar.format(day), ...n })),
      }
    },

    /** Ends a coupon early: no copy of it can be used from now on. */
    async end(actor: AuditActor, id: number): Promise<Coupon> {
      const now = clock.now()
      return db.transaction(async (tx) => {
        await byId(tx, id)
        if (await coupons.end(tx, id, now)) {
          await recordAudit(tx, clock, { ...actor, action: 'coupon.end', target: `coupon:${id}` })
        }
        return toCoupon(await byId(tx, id), now)
      })
    },

    /**
     * Issues copy 1 to every member the segment matches now who holds none, a batch per
     * transaction; with `notify`, queues a promotional notice to each newly issued member the
     * promotions gate admits (`admitPromotions`: a friend, promotions on, under the frequency
     * cap; recorded in promo_sends as `coupon-notice:<id>`). The Idempotency-Key
     * is claimed with the audit entry: a repeat gets the first answer; a retry after a failure
     * issues only what is missing (the unique copy index).
     */
    async issue(
      actor: AuditActor,
      id: number,
      input: CouponIssue,
      claim: IdempotencyClaim,
    ): Promise<{ issued: number; skipped: number }> {
      const now = clock.now()
      const coupon = await byId(db, id)
      if (coupon.endedAt !== null || now >= Number(coupon.endsAt)) {
        throw new CouponExpired('This coupon has ended: it can no longer be issued.')
      }
      const validUntil = copyEnd(coupon, now)
      const x = { now, today: tokyoDay(now), expiryDays: deps.expiryDays }
      const notice = input.notify === true ? deps.notice : undefined
      let after = 0
      let matched = 0
      let issued = 0
      let notified = 0
      let notNotified = 0
      for (;;) {
        const page = await memberCoupons.segmentPage(db, input.segment, x, after, batch)
        const last = page.at(-1)
        if (!last) break
        after = Number(last.cardId)
        matched += page.length
        const done = await db.transaction(async (tx) => {
          const got = await memberCoupons.issueFirst(tx, {
            couponId: id,
            cardIds: page.map((m) => Number(m.cardId)),
            source: 'segment',
            at: now,
            validUntil,
          })
          let sent = 0
          let held = 0
          if (notice && got.length > 0) {
            const fresh = new Set(got)
            // The promotions gate: friends with promotions on, under the frequency cap; the
            // notice is recorded there (promo_sends), so it counts toward the cap at once.
            const admission = await admitPromotions(tx, {
              users: page.filter((m) => fresh.has(Number(m.cardId))).map((m) => m.lineUserId),
              source: `coupon-notice:${id}`,
              now,
            })
            held = excludedTotal(admission.excluded)
            for (const userId of admission.admitted) {
              const n = {
                userId,
                couponId: id,
                title: coupon.title,
                message: input.message,
                at: now,
              }
              if (await notice(tx, n)) sent++
            }
          }
          return { issued: got.length, sent, held }
        })
        issued += done.issued
        notified += done.sent
        notNotified += done.held
        if (page.length < batch) break
      }
      const result = { issued, skipped: matched - issued }
      return db.transaction(async (tx) => {
        await claim.enter(tx)
        await recordAudit(tx, clock, {
          ...actor,
          action: 'coupon.issue',
          target: `coupon:${id}`,
          detail: {
            segment: input.segment,
            ...result,
            notify: input.notify === true,
            notified,
            notNotified,
          },
        })
        await claim.complete(tx, 200, result)
        return result
      })
    },

    /**
     * In the caller's `tx` (an automation's run, a campaign): gives `cardId` a copy of coupon
     * `couponId` unless it holds a usable one (so a yearly birthday coupon comes again next
     * year); the new copy's id, or undefined (held, ended or unknown). WAVE3-API
     * `params.couponId` of the automations is wired to this.
     */
    async issueToCard(
      tx: Executor,
      couponId: number,
      cardId: number,
      source: 'automation' | 'campaign',
      now = clock.now(),
    ): Promise<number | undefined> {
      const c = await coupons.byId(tx, couponId)
      if (!c || c.endedAt !== null || now >= Number(c.endsAt)) return undefined
      return memberCoupons.issueNext(tx, {
        couponId,
        cardId,
        source,
        at: now,
        validUntil: copyEnd(c, now),
        limit: Number(c.perMemberLimit),
      })
    },

    /** Copies issued and uses made in [from, until) (the dashboard). */
    async counts(from: number, until: number) {
      const [issued, used] = await Promise.all([
        coupons.issuedBetween(db, from, until),
        coupons.usedBetween(db, from, until),
      ])
      return { couponsIssued: issued, couponsUsed: used }
    },

    /** The coupon uses of the days `from`..`to` as CSV (admin; audit-logged first). */
    async exportUses(actor: AuditActor, period: { from: string; to: string }): Promise<Readable> {
      const start = instant(period.from, 'start')
      const until = instant(period.to, 'end')
      await db.transaction((tx) =>
        recordAudit(tx, clock, { ...actor, action: 'export.coupons', detail: { ...period } }),
      )
      const local = new Intl.DateTimeFormat('sv-SE', {
        timeZone,
        dateStyle: 'short',
        timeStyle: 'medium',
        hourCycle: 'h23',
      })
      const time = (ms: number | null): CsvCell => (ms === null ? null : local.format(Number(ms)))
      async function* rows(): AsyncGenerator<CsvCell[]> {
        let after = 0
        for (;;) {
          const page = await couponRedemptions.exportPage(db, {
            from: start,
            until,
            after,
            limit: EXPORT_PAGE,
          })
          for (const r of page) {
            yield [
              Number(r.id),
              time(r.createdAt),
              Number(r.couponId),
              r.title,
              r.cardNumber,
              r.storeCode,
              r.staffId,
              r.purchaseAmount === null ? null : Number(r.purchaseAmount),
              r.points === null ? null : Number(r.points),
              time(r.reversedAt),
              r.reversedBy,
            ]
          }
          const last = page.at(-1)
          if (!last || page.length < EXPORT_PAGE) return
          after = Number(last.id)
        }
      }
      return csvStream(
        [
          'redemption_id',
          'used_at',
          'coupon_id',
          'coupon_title',
          'card_number',
          'store_code',
          'staff_id',
          'purchase_amount',
          'bonus_points',
          'reversed_at',
          'reversed_by',
        ],
        rows(),
      )
    },
  }
}

export type CouponsService = ReturnType<typeof createCoupons>
