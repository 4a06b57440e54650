import type { Executor } from '../db/seam.ts'
import { messagingSettings } from '../repositories/messaging-settings.ts'
import { PROMO_CHUNK, promoSends } from '../repositories/promo-sends.ts'

const DAY_MS = 86_400_000

/** Why members were left out of a promotion. */
export interface Exclusions {
  /** Turned promotional messages off (`/api/me/preferences`). */
  optedOut: number
  /** Blocked the account (an unfollow since their last follow). */
  blocked: number
  /** Reached the frequency cap (N promotions in the last D days). */
  frequencyCap: number
}

/** Who may receive a promotion, and who may not (and why). */
export interface Admission {
  /** LINE users who may receive it (recorded, unless a dry run). */
  admitted: string[]
  excluded: Exclusions
}

export const noExclusions = (): Exclusions => ({ optedOut: 0, blocked: 0, frequencyCap: 0 })

/** How many were excluded in all. */
export const excludedTotal = (e: Exclusions) => e.optedOut + e.blocked + e.frequencyCap

/**
 * The one gate of promotional messages (campaigns, automations, coupon notices): of `users`,
 * who may receive a promotion of `source` now — friends (no unfollow since the last follow),
 * promotions on, under the frequency cap (the console's setting; default 2 in 7 days) — and,
 * unless `dryRun`, records it for each of them in `tx`, so the cap counts it at once and the
 * same source never reaches a user twice. Admissions are serialised across instances
 * (PostgreSQL advisory lock), so two sources starting at once cannot both take a member's last
 * slot. Transactional pushes (link done, points added) do not pass here and are not counted.
 */
export async function admitPromotions(
  tx: Executor,
  o: { users: readonly string[]; source: string; now: number; dryRun?: boolean },
): Promise<Admission> {
  if (!o.dryRun) await promoSends.lock(tx)
  const settings = await messagingSettings.get(tx)
  const since = o.now - settings.capDays * DAY_MS
  const users = [...new Set(o.users)]
  const excluded = noExclusions()
  const admitted: string[] = []
  for (let i = 0; i < users.length; i += PROMO_CHUNK) {
    const chunk = users.slice(i, i + PROMO_CHUNK)
    const blocked = await promoSends.blocked(tx, chunk)
    const optedOut = await promoSends.optedOut(tx, chunk)
    const capped = await promoSends.capped(tx, chunk, since, settings.capMessages)
    const ok: string[] = []
    for (const u of chunk) {
      if (blocked.has(u)) excluded.blocked++
      else if (optedOut.has(u)) excluded.optedOut++
      else if (capped.has(u)) excluded.frequencyCap++
      else ok.push(u)
    }
    if (o.dryRun) {
      admitted.push(...ok)
      continue
    }
    // A user this source reached before (an automation run again) is not admitted twice.
    const recorded = await promoSends.record(tx, o.source, ok, o.now)
    for (const u of ok) if (recorded.has(u)) admitted.push(u)
  }
  return { admitted, excluded }
}
