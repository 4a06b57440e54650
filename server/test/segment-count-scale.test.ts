import type { Segment } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { tokyoDay } from '../src/repositories/member-facts.ts'
import { segments } from '../src/repositories/segments.ts'
import { fillSegmentMembers } from './support/segment-fill.ts'
import { ON_POSTGRES, openTestDatabase } from './support.ts'

const MEMBERS = 40_000
const db = await openTestDatabase()
const now = Date.UTC(2026, 10, 23, 3, 0, 0)
await fillSegmentMembers(db, MEMBERS, now)

/** The segment of the bench that timed out on PostgreSQL with a million members. */
const segment: Segment = {
  any: [
    {
      all: [
        { field: 'visitsInLast90Days', op: '>=', value: 2 },
        { field: 'visitedStore', op: 'in', value: ['S001', 'S002'] },
      ],
    },
    { field: 'pointsExpiringWithinDays', op: '<=', value: 30 },
  ],
}

/** The same count by hand, from the fill's formulas (server/test/support/segment-fill.ts). */
function byHand() {
  let matched = 0
  let reachable = 0
  for (let i = 1; i <= MEMBERS; i++) {
    const visitOffsets = new Set(
      i % 5 === 0 ? [] : [0, 7, 31].map((step) => (i * (step + 1) + step) % 400),
    )
    const recentVisits = [...visitOffsets].filter((d) => d < 90).length
    const store = i % 5 === 0 ? null : `S00${i % 6}`
    const visited = recentVisits >= 2 && (store === 'S001' || store === 'S002')
    const expiring = i % 5000 > 0 && i % 700 >= 335 // last activity 335+ days ago, 365-day expiry
    if (!visited && !expiring) continue
    matched++
    if (i % 20 !== 0 && i % 33 !== 0) reachable++
  }
  return { matched, reachable }
}

describe('a segment count over many members', () => {
  it('counts visit and store conditions under `any` exactly, without scanning the visits once per member', async () => {
    const answer = await db.transaction(async (tx) => {
      if (ON_POSTGRES) {
        // Subquery results that outgrow work_mem are what a million members give at the
        // default; the smallest work_mem gives the same plans here. The old `card IN (store
        // visits)` then scanned the store visits once per member, far past this timeout.
        await tx.execute(sql`SET LOCAL work_mem = '64kB'`)
        await tx.execute(sql`SET LOCAL statement_timeout = '5s'`)
      }
      // As is: `count` would raise work_mem for its own transaction.
      return segments.countAsIs(tx, segment, { now, today: tokyoDay(now), expiryDays: 365 })
    })
    expect(answer).toEqual(byHand())
    expect(answer.matched).toBeGreaterThan(1000)
  }, 120_000)

  it('gives the same count with its own settings, which stay inside its transaction', async () => {
    const answer = await segments.count(db, segment, { now, today: tokyoDay(now), expiryDays: 365 })
    expect(answer).toEqual(byHand())
    if (ON_POSTGRES) {
      // Every connection of the pool is back at the server's settings (SET LOCAL, never SET).
      const shown = await Promise.all(
        Array.from({ length: 4 }, () =>
          db.transaction(async (tx) => {
            const [jit] = await tx.execute<{ jit: string }>(sql`SHOW jit`)
            const [mem] = await tx.execute<{ work_mem: string }>(sql`SHOW work_mem`)
            return `${jit?.jit} ${mem?.work_mem}`
          }),
        ),
      )
      expect(new Set(shown)).toEqual(new Set(['on 4MB']))
    }
  }, 120_000)
})
