import type { Preferences, Segment } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { tokyoDay } from '../repositories/member-facts.ts'
import { memberPreferences } from '../repositories/member-preferences.ts'
import { segments } from '../repositories/segments.ts'

/** Segment counts (docs/segments.md) and the member's promotions preference. */
export function createSegments(deps: { db: Database; clock: Clock; expiryDays: number }) {
  const { db, clock } = deps
  return {
    /** `{matched, reachable}` of a validated segment, now. */
    count(segment: Segment) {
      const now = clock.now()
      return segments.count(db, segment, { now, today: tokyoDay(now), expiryDays: deps.expiryDays })
    },
    async preferences(lineUserId: string): Promise<Preferences> {
      return { promotions: await memberPreferences.promotions(db, lineUserId) }
    },
    async setPreferences(lineUserId: string, p: Preferences): Promise<Preferences> {
      await memberPreferences.setPromotions(db, lineUserId, p.promotions, clock.now())
      return { promotions: p.promotions }
    },
  }
}
export type SegmentsService = ReturnType<typeof createSegments>
