import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { InvalidPeriod } from '../domain/errors.ts'
import { coupons } from '../repositories/coupons.ts'
import {
  type DayRow,
  dailyStats,
  noCounts,
  STAT_FIELDS,
  type StatCounts,
  type StateSums,
} from '../repositories/daily-stats.ts'
import { dayStartIn } from './audit.ts'
import type { Calendar } from './calendar.ts'

/** The longest period the dashboard answers, in days. */
export const MAX_PERIOD_DAYS = 366
/** The default period: this many days ending today. */
const DEFAULT_DAYS = 30
/** A month, for "visits per member per month" (docs/kpis.md). */
const MONTH_DAYS = 30

export interface GroupFigures {
  members: number
  visitsPerMemberPerMonth: number | null
  averagePurchaseYen: number | null
}

export interface PeriodFigures {
  period: { from: string; to: string }
  friends: number
  linkedMembers: number
  linkRate: number | null
  newLinks: number
  bonusPointsGranted: number
  pointsAwarded: number
  pointsRedeemed: number
  pointsExpired: number
  outstandingPoints: number
  activeMembers30: number
  activeMembers90: number
  linkedVsUnlinked: { linked: GroupFigures; unlinked: GroupFigures }
}

export interface Kpis extends PeriodFigures {
  byStore: { storeCode: string; scans: number; awards: number; redeems: number }[]
  daily: { date: string; newLinks: number; pointsAwarded: number; pointsRedeemed: number }[]
  previous: PeriodFigures
  /** Coupon copies issued in the period. */
  couponsIssued: number
  /** Coupon uses in the period (reversed ones not counted). */
  couponsUsed: number
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits

function sum(rows: DayRow[]): StatCounts {
  const out = noCounts()
  for (const r of rows) for (const [k] of STAT_FIELDS) out[k] += r[k]
  return out
}

/**
 * The dashboard's figures (docs/kpis.md), read from the daily counters only (never the
 * ledger): one read of the two periods' rows per day and store, and one of the states
 * ("now", at the end of the period and of the one before).
 */
export function createKpiService({
  db,
  clock,
  calendar,
}: {
  db: Database
  clock: Clock
  calendar: Calendar
}) {
  /** The period asked for: `from` and `to` as days (both included). */
  function period(from: string | undefined, to: string | undefined) {
    const today = calendar.dayOf(clock.now())
    const parse = (s: string, name: string) => {
      const d = calendar.parse(s)
      if (d === undefined) throw new InvalidPeriod(`${name}: a date as YYYY-MM-DD.`)
      return d
    }
    const end = to === undefined ? today : parse(to, 'to')
    const start = from === undefined ? end - DEFAULT_DAYS + 1 : parse(from, 'from')
    if (start > end) throw new InvalidPeriod('from must not be after to.')
    if (end - start + 1 > MAX_PERIOD_DAYS) {
      throw new InvalidPeriod(`A period is at most ${MAX_PERIOD_DAYS} days.`)
    }
    return { start, end, today }
  }

  function group(
    members: number,
    visits: number,
    purchases: number,
    yen: number,
    days: number,
  ): GroupFigures {
    return {
      members,
      visitsPerMemberPerMonth:
        members > 0 ? round(visits / members / (days / MONTH_DAYS), 2) : null,
      averagePurchaseYen: purchases > 0 ? Math.round(yen / purchases) : null,
    }
  }

  /** A period's figures: flows from its rows, states at its end (`now`: the current ones). */
  function figures(
    start: number,
    end: number,
    flows: StatCounts,
    atEnd: StateSums,
    now: StateSums,
  ): PeriodFigures {
    const days = end - start + 1
    return {
      period: { from: calendar.format(start), to: calendar.format(end) },
      friends: now.friends,
      linkedMembers: now.linkedMembers,
      linkRate: now.friends > 0 ? round(now.linkedFriends / now.friends, 4) : null,
      newLinks: flows.newLinks,
      bonusPointsGranted: flows.bonusPoints,
      pointsAwarded: flows.pointsAwarded,
      pointsRedeemed: flows.pointsRedeemed,
      pointsExpired: flows.pointsExpired,
      outstandingPoints: now.outstanding,
      activeMembers30: atEnd.active30,
      activeMembers90: atEnd.active90,
      linkedVsUnlinked: {
        linked: group(
          atEnd.linkedMembers,
          flows.visitsLinked,
          flows.purchasesLinked,
          flows.purchaseYenLinked,
          days,
        ),
        unlinked: group(
          atEnd.cards - atEnd.linkedMembers,
          flows.visitsUnlinked,
          flows.purchasesUnlinked,
          flows.purchaseYenUnlinked,
          days,
        ),
      },
    }
  }

  return {
    /** The figures of [from, to] (default: the 30 days ending today) and of the period before. */
    async kpis(from?: string, to?: string): Promise<Kpis> {
      const { start, end, today } = period(from, to)
      const days = end - start + 1
      const prevEnd = start - 1
      const prevStart = prevEnd - days + 1
      const periodStart = dayStartIn(calendar.format(start), calendar.timeZone)
      const periodEnd = dayStartIn(calendar.format(end + 1), calendar.timeZone)
      const [perDay, stores, before, [atPrev, atEnd, now], couponsIssued, couponsUsed] =
        await Promise.all([
          dailyStats.byDay(db, start, end),
          dailyStats.byStore(db, start, end),
          dailyStats.sum(db, prevStart, prevEnd),
          dailyStats.statesAt(db, prevEnd, end, Math.max(today, end)),
          // Coupon figures are read from the coupon tables' time indexes (not daily counters).
          coupons.issuedBetween(db, periodStart, periodEnd),
          coupons.usedBetween(db, periodStart, periodEnd),
        ])
      const byDay = new Map(perDay.map((d) => [d.day, d]))
      const daily = []
      for (let d = start; d <= end; d++) {
        const r = byDay.get(d)
        daily.push({
          date: calendar.format(d),
          newLinks: r?.newLinks ?? 0,
          pointsAwarded: r?.pointsAwarded ?? 0,
          pointsRedeemed: r?.pointsRedeemed ?? 0,
        })
      }
      return {
        ...figures(start, end, sum(perDay), atEnd, now),
        byStore: stores.filter((s) => s.scans + s.awards + s.redeems > 0),
        daily,
        // The period before: its states are those at its end ("now" was then).
        previous: figures(prevStart, prevEnd, before, atPrev, atPrev),
        couponsIssued,
        couponsUsed,
      }
    },
  }
}

export type KpiService = ReturnType<typeof createKpiService>
