import type { MeMember, Member } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Ratio } from '../config.ts'
import type { Executor } from '../db/seam.ts'
import { ledger } from '../repositories/ledger.ts'

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

const multiplierOf = (rules: StandingRules, rank: string) => {
  const m = rules.rankMultipliers[rank]
  return m ? m.num / m.den : 1
}

/**
 * The member's standing as the card shows it: when the balance expires (the rule of
 * services/points.ts: the whole balance, `expiryDays` after the last activity), the rank's
 * multiplier, and the next rank above the member's with the points earned towards it.
 */
export async function memberStanding(
  db: Executor,
  clock: Clock,
  rules: StandingRules,
  linked: { cardId: number; member: Member; lastActivityAt: number | null },
): Promise<MeMember> {
  const { member, lastActivityAt } = linked
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
        earned: await ledger.earnedSince(
          db,
          linked.cardId,
          clock.now() - RANK_PERIOD_DAYS * DAY_MS,
        ),
        multiplier: multiplierOf(rules, next.rank),
      }
    : null
  return { ...member, pointsExpireAt, rankMultiplier: multiplierOf(rules, member.rank), nextRank }
}
