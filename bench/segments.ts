/**
 * The segment count (`POST /api/admin/segments/count`'s query, server/src/repositories/
 * segments.ts) on BENCH_SEGMENT_MEMBERS (1,000,000) linked members, on SQLite and on a
 * throwaway PostgreSQL cluster: members, links, visit facts, friends and preferences are
 * generated in SQL, then each segment below is counted three times and the slowest counts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openPg } from '../server/src/db/pg.ts'
import type { Database } from '../server/src/db/seam.ts'
import { openSqlite } from '../server/src/db/sqlite.ts'
import { tokyoDay } from '../server/src/repositories/member-facts.ts'
import { segments } from '../server/src/repositories/segments.ts'
import { startPgCluster } from '../server/test/support/pg-cluster.ts'
import { fillSegmentMembers } from '../server/test/support/segment-fill.ts'
import type { Segment } from '../shared/src/segments.ts'

const MEMBERS = Number(process.env.BENCH_SEGMENT_MEMBERS ?? 1_000_000)

export interface SegmentRow {
  scenario: string
  value: string
  baseline: string
  ratio: number | null
  goal: string
  met: boolean | null
}

const CASES: { name: string; segment: Segment }[] = [
  {
    name: 'gold/silver, no visit for 60+ days, birthday in December',
    segment: {
      all: [
        { field: 'rank', op: 'in', value: ['gold', 'silver'] },
        { field: 'lastVisitDaysAgo', op: '>=', value: 60 },
        { field: 'birthMonth', op: 'in', value: [12] },
      ],
    },
  },
  {
    name: '2+ visits in 90 days at S001/S002, or points expiring within 30 days',
    segment: {
      any: [
        {
          all: [
            { field: 'visitsInLast90Days', op: '>=', value: 2 },
            { field: 'visitedStore', op: 'in', value: ['S001', 'S002'] },
          ],
        },
        { field: 'pointsExpiringWithinDays', op: '<=', value: 30 },
      ],
    },
  },
  { name: 'every linked member', segment: { all: [] } },
]

async function measure(db: Database, label: string, log: (s: string) => void) {
  const now = Date.now()
  const t0 = Date.now()
  await fillSegmentMembers(db, MEMBERS, now)
  log(`${label}: ${MEMBERS.toLocaleString('en')} members generated in ${Date.now() - t0} ms`)
  const rows: SegmentRow[] = []
  const ctx = { now, today: tokyoDay(now), expiryDays: 365 }
  for (const c of CASES) {
    let worst = 0
    let answer = { matched: 0, reachable: 0 }
    for (let i = 0; i < 3; i++) {
      const t = performance.now()
      answer = await segments.count(db, c.segment, ctx)
      worst = Math.max(worst, performance.now() - t)
    }
    rows.push({
      scenario: `segment count on ${MEMBERS.toLocaleString('en')} members, ${label}: ${c.name}`,
      value: `${Math.round(worst)} ms (matched ${answer.matched.toLocaleString('en')}, reachable ${answer.reachable.toLocaleString('en')})`,
      baseline: '—',
      ratio: null,
      goal: '≤ 1 s',
      met: worst <= 1000,
    })
    log(`${rows.at(-1)?.scenario}: ${rows.at(-1)?.value}`)
  }
  return rows
}

/** The segment rows, SQLite then PostgreSQL (`skipPg` leaves PostgreSQL out). */
export async function measureSegments(
  log: (s: string) => void,
  skipPg: boolean,
): Promise<SegmentRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'membercard-segments-'))
  const rows: SegmentRow[] = []
  try {
    const db = openSqlite(join(dir, 'segments.db'))
    try {
      rows.push(...(await measure(db, 'SQLite', log)))
    } finally {
      await db.close()
    }
    if (!skipPg) {
      const cluster = await startPgCluster({ fsync: true, maxConnections: 20 })
      try {
        const pgDb = await openPg(await cluster.createDatabase('bench_segments'))
        try {
          rows.push(...(await measure(pgDb, 'PostgreSQL', log)))
        } finally {
          await pgDb.close()
        }
      } finally {
        await cluster.stop()
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return rows
}
