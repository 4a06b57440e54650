import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { InvalidPeriod } from '../domain/errors.ts'
import {
  type DayStoreRow,
  dailyStats,
  noCounts,
  STAT_FIELDS,
  type StatCounts,
  type StateSums,
} from '../repositories/daily-stats.ts'
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
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits

function sum(rows: DayStoreRow[]): StatCounts {
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
      const [rows, [atPrev, atEnd, now]] = await Promise.all([
        dailyStats.range(db, prevStart, end),
        dailyStats.statesAt(db, prevEnd, end, Math.max(today, end)),
      ])
      const current = rows.filter((r) => r.day >= start)
      const before = rows.filter((r) => r.day < start)
      const byStore = new Map<string, { scans: number; awards: number; redeems: number }>()
      const byDay = new Map<
        number,
        { newLinks: number; pointsAwarded: number; pointsRedeemed: number }
      >()
      for (const r of current) {
        if (r.storeCode !== '') {
          const s = byStore.get(r.storeCode) ?? { scans: 0, awards: 0, redeems: 0 }
          s.scans += r.scans
          s.awards += r.awards
          s.redeems += r.redeems
          byStore.set(r.storeCode, s)
        }
        const d = byDay.get(r.day) ?? { newLinks: 0, pointsAwarded: 0, pointsRedeemed: 0 }
        d.newLinks += r.newLinks
        d.pointsAwarded += r.pointsAwarded
        d.pointsRedeemed += r.pointsRedeemed
        byDay.set(r.day, d)
      }
      const daily = []
      for (let d = start; d <= end; d++) {
        daily.push({
          date: calendar.format(d),
          ...(byDay.get(d) ?? { newLinks: 0, pointsAwarded: 0, pointsRedeemed: 0 }),
        })
      }
      return {
        ...figures(start, end, sum(current), atEnd, now),
        byStore: [...byStore]
          .filter(([, s]) => s.scans + s.awards + s.redeems > 0)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([storeCode, s]) => ({ storeCode, ...s })),
        daily,
        // The period before: its states are those at its end ("now" was then).
        previous: figures(prevStart, prevEnd, sum(before), atPrev, atPrev),
      }
    },
  }
}

export type KpiService = ReturnType<typeof createKpiService>
