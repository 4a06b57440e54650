import type { Segment } from '@membercard/shared'
import { maskCardNumber } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { NotFound } from '../domain/errors.ts'
import { tokyoDay } from '../repositories/member-facts.ts'
import { savedSegments } from '../repositories/saved-segments.ts'
import { segmentMembers } from '../repositories/segments.ts'
import type { AuditActor, AuditService } from './audit.ts'

/** The console's sample shows this many members at most. */
export const SAMPLE_SIZE = 10

/** Saved segments and the console's sample of a segment's members. */
export function createSavedSegments(deps: {
  db: Database
  clock: Clock
  audit: AuditService
  expiryDays: number
}) {
  const { db, clock, audit } = deps
  const itemOf = (r: { id: number; name: string; segment: string; createdAt: number }) => ({
    id: Number(r.id),
    name: r.name,
    segment: JSON.parse(r.segment) as Segment,
    createdAt: new Date(Number(r.createdAt)).toISOString(),
  })
  return {
    async list() {
      return { items: (await savedSegments.list(db)).map(itemOf) }
    },
    async save(who: AuditActor, input: { name: string; segment: Segment }) {
      return db.transaction(async (tx) => {
        const row = await savedSegments.insert(tx, {
          name: input.name,
          segment: JSON.stringify(input.segment),
          by: who.actor,
          at: clock.now(),
        })
        await audit.record(tx, {
          ...who,
          action: 'segment.save',
          target: `segment:${row.id}`,
          detail: { name: input.name },
        })
        return itemOf(row)
      })
    },
    async remove(who: AuditActor, id: number) {
      await db.transaction(async (tx) => {
        if (!(await savedSegments.remove(tx, id)))
          throw new NotFound('No saved segment has this ID.')
        await audit.record(tx, { ...who, action: 'segment.delete', target: `segment:${id}` })
      })
    },
    /** Up to 10 matched members (card numbers masked), each marked reachable or not. */
    async sample(segment: Segment) {
      const now = clock.now()
      const rows = await segmentMembers.sample(
        db,
        segment,
        { now, today: tokyoDay(now), expiryDays: deps.expiryDays },
        SAMPLE_SIZE,
      )
      return {
        items: rows.map((r) => ({
          cardId: r.cardId,
          cardNumber: maskCardNumber(r.cardNumber),
          name: r.name,
          rank: r.rank,
          points: r.points,
          reachable: r.reachable,
        })),
      }
    },
  }
}

export type SavedSegmentsService = ReturnType<typeof createSavedSegments>
