import type { MeMember } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Ratio } from '../config.ts'
import type { Database } from '../db/seam.ts'
import { type ActiveStanding, activeStandingByUser, links } from '../repositories/links.ts'
import { toMember } from './member.ts'

const DAY_MS = 86_400_000
/** Rank progress counts the points earned within this many days. */
export const RANK_PERIOD_DAYS = 365

export interface StandingRules {
  /** Days of inactivity after which the balance expires; 0 = never. */
  expiryDays: number
  rankMultipliers: Record<string, Ratio>
  /** The points to earn within the period for each higher rank, lowest first. */
  rankThresholds: { rank: string; points: number }[]
}

/** A member's standing, and the window its rank progress was counted in. */
interface Standing {
  member: Readonly<MeMember>
  /** The window's start. */
  since: number
  /** The oldest entry counted, or null: the figure holds while the window has not passed it. */
  oldest: number | null
}

const multiplierOf = (rules: StandingRules, rank: string) => {
  const m = rules.rankMultipliers[rank]
  return m ? m.num / m.den : 1
}

/**
 * The member's standing as the card shows it: when the balance expires (the rule of
 * services/points.ts: the whole balance, `expiryDays` after the last activity), the rank's
 * multiplier, and the next rank above the member's with the points earned towards it.
 */
export function memberStanding(rules: StandingRules, row: ActiveStanding): Standing {
  const member = toMember(row)
  const { lastActivityAt } = row
  const pointsExpireAt =
    rules.expiryDays > 0 && member.points > 0 && lastActivityAt !== null
      ? new Date(lastActivityAt + rules.expiryDays * DAY_MS).toISOString()
      : null
  const current = rules.rankThresholds.find((t) => t.rank === member.rank)?.points ?? 0
  const next = rules.rankThresholds.find((t) => t.points > current && t.rank !== member.rank)
  const nextRank = next
    ? {
        rank: next.rank,
        threshold: next.points,
        earned: Math.max(0, Number(row.earned ?? 0)),
        multiplier: multiplierOf(rules, next.rank),
      }
    : null
  return {
    member: Object.freeze({
      ...member,
      pointsExpireAt,
      rankMultiplier: multiplierOf(rules, member.rank),
      nextRank,
    }),
    since: Number(row.since),
    oldest: row.oldest === null ? null : Number(row.oldest),
  }
}

/**
 * `GET /api/me`'s member: the standing of a LINE user's linked card, or null when unlinked.
 * Read through a cache where the dialect can keep one (db/fresh-cache.ts): a kept standing is
 * exact until the database changes, which empties the cache, or until the oldest entry its
 * rank progress counted leaves the rank period, when it is read again.
 */
export function createStandings(db: Database, clock: Clock, rules: StandingRules) {
  const sinceNow = () => clock.now() - RANK_PERIOD_DAYS * DAY_MS
  const cached = db.cached({
    query: activeStandingByUser,
    params: (userId: string) => ({ userId, since: sinceNow() }),
    value: (row): Standing | null => (row ? memberStanding(rules, row) : null),
  })
  return async (userId: string): Promise<Readonly<MeMember> | null> => {
    const kept = await cached.batched(userId)
    if (!kept) return null
    const since = sinceNow()
    if (since >= kept.since && (kept.oldest === null || since <= kept.oldest)) return kept.member
    const row = await links.activeStandingByUser(db, userId, since)
    return row ? memberStanding(rules, row).member : null
  }
}
