// biome-ignore-all lint/style/noRestrictedGlobals: a bench module reads its own settings
/**
 * `pnpm bench` rows of the segment count (issue 15) on BENCH_SEGMENT_MEMBERS (1,000,000)
 * linked members, on SQLite and on a throwaway PostgreSQL cluster (fsync on).
 *
 * The members (ranks, birthdays, balances and their last activity, visit days, stores, friends,
 * blocked users and opt-outs) are generated in SQL (server/test/support/segment-fill.ts). Each
 * count is asked exactly as the console asks it: `POST /api/admin/segments/count` of the real
 * app (createApp, in process, an operator's bearer token), which validates the segment, counts
 * `matched` and `reachable` and answers JSON. Each segment: one warm-up call, then
 * BENCH_SEGMENT_RUNS (7) calls; the row gives their median and the slowest, and the goal
 * (≤ 1 s) is judged on the median. It also gives the CPU time of a count (the bench process,
 * which runs the app and SQLite, plus on PostgreSQL the cluster's processes, from /proc): the
 * queries are single-threaded, so on a machine shared with other work the wall time exceeds
 * it, and on a quiet one approaches it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../server/src/app.ts'
import type { Clock } from '../server/src/clock.ts'
import { loadConfig } from '../server/src/config.ts'
import { openPg } from '../server/src/db/pg.ts'
import type { Database } from '../server/src/db/seam.ts'
import { openSqlite } from '../server/src/db/sqlite.ts'
import { memoryLogger } from '../server/src/logger.ts'
import { loadSecrets } from '../server/src/secrets.ts'
import { createStaffService } from '../server/src/services/staff.ts'
import { startPgCluster } from '../server/test/support/pg-cluster.ts'
import { fillSegmentMembers } from '../server/test/support/segment-fill.ts'
import type { Segment } from '../shared/src/segments.ts'

const MEMBERS = Number(process.env.BENCH_SEGMENT_MEMBERS ?? 1_000_000)
const RUNS = Number(process.env.BENCH_SEGMENT_RUNS ?? 7)
const GOAL_MS = 1000

export interface SegmentRow {
  scenario: string
  value: string
  baseline: string
  ratio: number | null
  goal: string
  met: boolean | null
}

/** This month in Asia/Tokyo (1–12): the birthday segment's month. */
function tokyoMonth(now: number): number {
  return Number(
    new Intl.DateTimeFormat('en', { timeZone: 'Asia/Tokyo', month: 'numeric' }).format(now),
  )
}

/** The segments an operator builds most (issue 15's examples), and the widest one. */
function cases(now: number): { name: string; segment: Segment }[] {
  return [
    {
      name: 'gold members whose points expire within 30 days',
      segment: {
        all: [
          { field: 'rank', op: 'in', value: ['gold'] },
          { field: 'pointsExpiringWithinDays', op: '<=', value: 30 },
        ],
      },
    },
    {
      name: 'no visit for 60 days',
      segment: { all: [{ field: 'lastVisitDaysAgo', op: '>=', value: 60 }] },
    },
    {
      name: "this month's birthdays",
      segment: { all: [{ field: 'birthMonth', op: 'in', value: [tokyoMonth(now)] }] },
    },
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
}

/** The real app on `db` (its clock fixed at `now`, the fill's) and an operator's count call. */
async function consoleCount(db: Database, now: number) {
  const config = loadConfig({
    DATABASE_PATH: ':memory:',
    SECRETS_PATH: ':memory:',
    LOG_LEVEL: 'silent',
    POINTS_EXPIRY_DAYS: '365',
    POINTS_EXPIRY_INTERVAL_MINUTES: '0',
  })
  const secrets = loadSecrets(':memory:')
  const clock: Clock = { now: () => now }
  const app = createApp({ db, clock, config, secrets, logger: memoryLogger() })
  const password = 'bench-operator-password'
  await createStaffService({ db, clock, secrets }).upsert({
    staffId: 'bench-operator',
    role: 'operator',
    password,
  })
  const login = await app.request('/api/staff/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ staffId: 'bench-operator', password }),
  })
  if (login.status !== 200) throw new Error(`operator login: ${login.status}`)
  const { token } = (await login.json()) as { token: string }
  return async (segment: Segment) => {
    const res = await app.request('/api/admin/segments/count', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ segment }),
    })
    if (res.status !== 200) throw new Error(`segment count: ${res.status} ${await res.text()}`)
    return (await res.json()) as { matched: number; reachable: number }
  }
}

/** CPU seconds of a PostgreSQL cluster: its postmaster (with reaped children) and live children. */
function pgCpuSeconds(postmaster: number): number {
  let ticks = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue // exited meanwhile
    }
    // After the command name: ppid is the 2nd field; utime, stime, cutime, cstime the 12th–15th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(entry) === postmaster) {
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])
    } else if (Number(f[1]) === postmaster) {
      ticks += Number(f[11]) + Number(f[12])
    }
  }
  return ticks / 100 // USER_HZ
}

/** CPU seconds used so far: this process, and the PostgreSQL cluster when there is one. */
function cpuSeconds(postmaster: number | null): number {
  const own = process.cpuUsage()
  return (own.user + own.system) / 1e6 + (postmaster === null ? 0 : pgCpuSeconds(postmaster))
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2
}

async function measure(
  db: Database,
  label: string,
  log: (s: string) => void,
  postmaster: number | null = null,
) {
  const now = Date.now()
  const t0 = performance.now()
  await fillSegmentMembers(db, MEMBERS, now)
  log(
    `${label}: ${MEMBERS.toLocaleString('en')} members generated in ${Math.round(performance.now() - t0)} ms`,
  )
  const count = await consoleCount(db, now)
  const rows: SegmentRow[] = []
  for (const c of cases(now)) {
    let answer = await count(c.segment)
    const times: number[] = []
    const cpu0 = cpuSeconds(postmaster)
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now()
      answer = await count(c.segment)
      times.push(performance.now() - t)
    }
    const cpuMs = ((cpuSeconds(postmaster) - cpu0) / RUNS) * 1000
    const mid = median(times)
    rows.push({
      scenario: `segment count (\`POST /api/admin/segments/count\`) on ${MEMBERS.toLocaleString('en')} members, ${label}: ${c.name}`,
      value: `median ${Math.round(mid)} ms, slowest ${Math.round(Math.max(...times))} ms of ${RUNS}, CPU ${Math.round(cpuMs)} ms a count${postmaster === null ? '' : " with PostgreSQL's"} (matched ${answer.matched.toLocaleString('en')}, reachable ${answer.reachable.toLocaleString('en')})`,
      baseline: '—',
      ratio: null,
      goal: '≤ 1 s (median)',
      met: mid <= GOAL_MS,
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
          const postmaster = Number(
            readFileSync(join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
          )
          rows.push(...(await measure(pgDb, 'PostgreSQL', log, postmaster)))
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
