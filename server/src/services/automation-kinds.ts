import { z } from 'zod'
import type { Executor, Tx } from '../db/seam.ts'
import { automationCandidates, type Candidate } from '../repositories/automation-candidates.ts'
import { couponExpiringTargets, markCouponReminded } from './coupon-expiring.ts'

/** What a kind's candidates are computed from. */
export interface DueContext {
  now: number
  /** Today's Asia/Tokyo day number. */
  today: number
  /** Today in Asia/Tokyo: year and month (1–12). */
  year: number
  month: number
  /** Days without activity after which a balance expires (0 = never). */
  expiryDays: number
}

/** One kind of automated message: its parameters and who it is due for today. */
export interface AutomationKind {
  /** The params' schema (strict); every kind may carry `couponId` (number | null). */
  params: z.ZodType<Record<string, unknown>>
  defaults: Record<string, unknown>
  candidates(ex: Executor, params: Record<string, unknown>, x: DueContext): Promise<Candidate[]>
  /** In the run's transaction, for the members messaged (after the promotions gate). */
  onSent?(tx: Tx, sent: readonly Candidate[], now: number): Promise<void>
}

const couponId = z.number().int().positive().nullable().optional()
const days = (what: string) =>
  z
    .number({ error: `${what} must be a number of days` })
    .int(`${what} must be a whole number of days`)
    .min(1, `${what} must be 1 or more`)
    .max(3650, `${what} must be at most 3650`)

/**
 * A member's usable copies ending within `daysBefore` days and not reminded of yet: one
 * candidate per card (one message however many copies), the occurrence its first copy.
 */
async function couponExpiring(ex: Executor, daysBefore: number, now: number) {
  const byCard = new Map<number, Candidate & { memberCouponIds: number[] }>()
  for await (const page of couponExpiringTargets(ex, now, daysBefore)) {
    for (const r of page) {
      const cardId = Number(r.cardId)
      const id = Number(r.memberCouponId)
      const c = byCard.get(cardId)
      if (c) c.memberCouponIds.push(id)
      else {
        byCard.set(cardId, {
          cardId,
          lineUserId: r.lineUserId,
          occurrence: `copy:${id}`,
          memberCouponIds: [id],
        })
      }
    }
  }
  return [...byCard.values()].sort((a, b) => a.cardId - b.cardId)
}

/**
 * The kinds (the contract's; add one here and it is configurable, runs daily and is recorded
 * like the others).
 */
export const AUTOMATION_KINDS: Record<string, AutomationKind> = {
  /** In the member's birth month, once a year (the first daily run of the month that can). */
  birthday: {
    params: z.strictObject({ couponId }),
    defaults: {},
    candidates: (ex, _p, x) => automationCandidates.birthday(ex, x.month, x.year),
  },
  /** `daysBefore` days before the balance expires; once per expiry date. */
  pointsExpiring: {
    params: z.strictObject({ daysBefore: days('daysBefore'), couponId }),
    defaults: { daysBefore: 7 },
    candidates: (ex, p, x) =>
      automationCandidates.pointsExpiring(ex, x.now, Number(p.daysBefore), x.expiryDays),
  },
  /** After `daysWithoutVisit` days without a visit; once per lapse. */
  winBack: {
    params: z.strictObject({ daysWithoutVisit: days('daysWithoutVisit'), couponId }),
    defaults: { daysWithoutVisit: 60 },
    candidates: (ex, p, x) => automationCandidates.winBack(ex, x.today, Number(p.daysWithoutVisit)),
  },
  /**
   * `daysBefore` days before a member's coupon ends (usable, not ended); once per member
   * coupon: every copy a reminder is about is marked reminded (coupon_reminders) in the run.
   */
  couponExpiring: {
    params: z.strictObject({ daysBefore: days('daysBefore'), couponId }),
    defaults: { daysBefore: 3 },
    candidates: (ex, p, x) => couponExpiring(ex, Number(p.daysBefore), x.now),
    async onSent(tx, sent, now) {
      for (const c of sent) {
        for (const id of c.memberCouponIds ?? []) await markCouponReminded(tx, id, now)
      }
    },
  },
}

export const isAutomationKind = (kind: string) => Object.hasOwn(AUTOMATION_KINDS, kind)
