// biome-ignore-all lint/style/noRestrictedGlobals: a bench module reads its own settings
/**
 * `pnpm bench` rows of the console's data (issue 14): `GET /api/admin/kpis` on a database with
 * 10 million ledger rows (SQLite and PostgreSQL), and the member search in 1 million members.
 *
 * The data is synthetic and written set-based (a recursive CTE on SQLite, generate_series on
 * PostgreSQL): cards with generated names, then ledger rows (awards, every tenth a
 * redemption) spread over a year and 10 stores; the daily counters are then filled by the
 * server's own one-time backfill (services/daily-stats-backfill.ts), whose time is reported
 * too. The KPIs and the searches are answered by the real app (createApp, an operator's
 * bearer token), in process; each figure is the median (and the slowest) of several calls.
 *
 * Settings: BENCH_DASHBOARD_LEDGER_ROWS (10000000), BENCH_DASHBOARD_CARDS (1000000),
 * BENCH_DASHBOARD_RUNS (15); BENCH_SKIP `dashboard` (SQLite) and `dashboard-pg`; with BENCH_ONLY,
 * these rows run when it names `dashboard`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { createApp } from '../server/src/app.ts'
import { systemClock } from '../server/src/clock.ts'
import { loadConfig } from '../server/src/config.ts'
import { openPg } from '../server/src/db/pg.ts'
import type { Database } from '../server/src/db/seam.ts'
import { openSqlite, type SqliteDatabase } from '../server/src/db/sqlite.ts'
import { memoryLogger } from '../server/src/logger.ts'
import { loadSecrets } from '../server/src/secrets.ts'
import { backfillDailyStats } from '../server/src/services/daily-stats-backfill.ts'
import { createStaffService } from '../server/src/services/staff.ts'
import { startPgCluster } from '../server/test/support/pg-cluster.ts'

export interface AdminDataRow {
  scenario: string
  value: string
  baseline: string
  ratio: number | null
  goal: string
  met: boolean | null
  note?: string
}

const LEDGER_ROWS = Number(process.env.BENCH_DASHBOARD_LEDGER_ROWS ?? 10_000_000)
const CARDS = Number(process.env.BENCH_DASHBOARD_CARDS ?? 1_000_000)
const RUNS = Number(process.env.BENCH_DASHBOARD_RUNS ?? 15)
const DAY = 86_400_000
const YEAR_START = Date.parse('2025-11-01T00:00:00+09:00')
const SPAN = 365 * DAY

const FAMILY = ['山田', '佐藤', '鈴木', '高橋', '田中', '伊藤', '渡辺', '中村', '小林', '加藤']
const GIVEN = ['花子', '太郎', '一郎', '美咲', '健太', '陽菜', '翔', '結衣', '大輔', '葵']
const sqlList = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ')

/** Cards and ledger rows, set-based, on SQLite (a recursive CTE of numbers). */
async function fillSqlite(db: SqliteDatabase) {
  const name = `(SELECT v FROM (SELECT column1 AS v, row_number() OVER () AS k FROM (VALUES ${FAMILY.map((f) => `('${f}')`).join(',')})) WHERE k = i % 10 + 1) || ' ' || (SELECT v FROM (SELECT column1 AS v, row_number() OVER () AS k FROM (VALUES ${GIVEN.map((g) => `('${g}')`).join(',')})) WHERE k = (i / 10) % 10 + 1)`
  db.sqlite.exec(
    `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${CARDS})
    INSERT INTO point_cards (card_number, name, points, source, created_at, updated_at)
    SELECT printf('%016d', 4000000000000000 + i), ${name}, 0, 'import', ${YEAR_START}, ${YEAR_START} FROM s`,
  )
  db.sqlite.exec(
    `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${LEDGER_ROWS})
    INSERT INTO ledger (card_id, type, points, balance_after, store_code, staff_id, qr_token_id,
      purchase_amount, created_at)
    SELECT i % ${CARDS} + 1, CASE WHEN i % 10 = 0 THEN 'redeem' ELSE 'award' END,
      CASE WHEN i % 10 = 0 THEN -1 ELSE 10 END, 0, printf('S%03d', i % 10), 'bench', 'q',
      CASE WHEN i % 10 = 0 THEN NULL ELSE 1000 END,
      ${YEAR_START} + CAST(i AS INTEGER) * ${Math.floor(SPAN / LEDGER_ROWS)}
    FROM s`,
  )
}

/** The same on PostgreSQL (generate_series). */
async function fillPostgres(url: string) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query(
    `INSERT INTO point_cards (card_number, name, points, source, created_at, updated_at)
    SELECT lpad((4000000000000000 + i)::text, 16, '0'),
      (ARRAY[${sqlList(FAMILY)}])[i % 10 + 1] || ' ' || (ARRAY[${sqlList(GIVEN)}])[(i / 10) % 10 + 1],
      0, 'import', ${YEAR_START}, ${YEAR_START}
    FROM generate_series(1, ${CARDS}) AS i`,
  )
  await client.query(
    `INSERT INTO ledger (card_id, type, points, balance_after, store_code, staff_id,
      qr_token_id, purchase_amount, created_at)
    SELECT (SELECT min(id) FROM point_cards) + i % ${CARDS},
      CASE WHEN i % 10 = 0 THEN 'redeem' ELSE 'award' END,
      CASE WHEN i % 10 = 0 THEN -1 ELSE 10 END, 0, 'S' || lpad((i % 10)::text, 3, '0'), 'bench', 'q',
      CASE WHEN i % 10 = 0 THEN NULL ELSE 1000 END,
      ${YEAR_START}::bigint + i::bigint * ${Math.floor(SPAN / LEDGER_ROWS)}
    FROM generate_series(1, ${LEDGER_ROWS}) AS i`,
  )
  await client.query('ANALYZE')
  await client.end()
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`

/** Median and slowest of RUNS calls (after one warm-up call). */
async function timeCalls(f: () => Promise<void>) {
  await f()
  const times: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now()
    await f()
    times.push(performance.now() - t)
  }
  return { median: median(times), max: Math.max(...times) }
}

/** The app on `db` and an operator's bearer headers. */
async function appWith(db: Database) {
  const config = loadConfig({
    DATABASE_PATH: ':memory:',
    SECRETS_PATH: ':memory:',
    LOG_LEVEL: 'silent',
    POINTS_EXPIRY_INTERVAL_MINUTES: '0',
  })
  const secrets = loadSecrets(':memory:')
  const app = createApp({ db, clock: systemClock, config, secrets, logger: memoryLogger() })
  const password = 'bench-operator-password'
  await createStaffService({ db, clock: systemClock, secrets }).upsert({
    staffId: 'bench-operator',
    role: 'operator',
    password,
  })
  const login = await app.request('/api/staff/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ staffId: 'bench-operator', password }),
  })
  const { token } = (await login.json()) as { token: string }
  const headers = { Authorization: `Bearer ${token}` }
  const get = async (path: string) => {
    const res = await app.request(path, { headers })
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return res.json() as Promise<{ items?: unknown[] }>
  }
  return { get }
}

/** The dashboard (both periods) and the searches on one database. */
async function measure(
  dialect: 'SQLite' | 'PostgreSQL',
  db: Database,
  /** SQLite: the database; PostgreSQL: its URL. */
  target: SqliteDatabase | string,
  log: (s: string) => void,
  withSearch: boolean,
): Promise<AdminDataRow[]> {
  const rows: AdminDataRow[] = []
  const size = `${LEDGER_ROWS.toLocaleString('en')} ledger rows, ${CARDS.toLocaleString('en')} cards`
  log(`${dialect}: writing ${size}`)
  let t = performance.now()
  await (typeof target === 'string' ? fillPostgres(target) : fillSqlite(target))
  const fillSeconds = (performance.now() - t) / 1000
  t = performance.now()
  if (!(await backfillDailyStats(db, 'Asia/Tokyo', YEAR_START + SPAN))) {
    throw new Error('the backfill did not run')
  }
  const backfillSeconds = (performance.now() - t) / 1000
  log(
    `${dialect}: data in ${fillSeconds.toFixed(1)} s, counters backfilled in ${backfillSeconds.toFixed(1)} s`,
  )
  const { get } = await appWith(db)
  for (const [label, query] of [
    ['30 days', '?from=2026-10-01&to=2026-10-30'],
    ['366 days', '?from=2025-10-30&to=2026-10-30'],
  ] as const) {
    const r = await timeCalls(async () => {
      await get(`/api/admin/kpis${query}`)
    })
    rows.push({
      scenario: `\`GET /api/admin/kpis\`, ${label}, ${dialect}, ${size}`,
      value: `median ${ms(r.median)}, slowest ${ms(r.max)} of ${RUNS}`,
      baseline: '—',
      ratio: null,
      goal: '≤ 500 ms',
      met: r.max <= 500,
      note: `the counters filled from the ledger by the start-up backfill in ${backfillSeconds.toFixed(1)} s`,
    })
    log(`${rows.at(-1)?.scenario}: ${rows.at(-1)?.value}`)
  }
  if (!withSearch) return rows
  const searches: [string, string][] = [
    ['a full card number', String(4000000000000000 + Math.floor(CARDS / 2)).padStart(16, '0')],
    ['the last 4 digits', '0777'],
    ['part of a name (3 characters)', '田 花'],
    ['a name that matches nothing', 'Smith'],
    ['the start of a name (2 characters)', '佐藤'],
  ]
  for (const [label, q] of searches) {
    let hits = 0
    const r = await timeCalls(async () => {
      hits = (await get(`/api/admin/members?q=${encodeURIComponent(q)}`)).items?.length ?? 0
    })
    rows.push({
      scenario: `member search in ${CARDS.toLocaleString('en')} members, ${label}, ${dialect}`,
      value: `median ${ms(r.median)}, slowest ${ms(r.max)} of ${RUNS} (${hits} on the first page)`,
      baseline: '—',
      ratio: null,
      goal: '≤ 100 ms',
      met: r.max <= 100,
    })
    log(`${rows.at(-1)?.scenario}: ${rows.at(-1)?.value}`)
  }
  return rows
}

/** The console's data rows: SQLite, then PostgreSQL (a throwaway cluster, fsync on). */
export async function measureAdminData(
  log: (s: string) => void,
  skip: Set<string>,
): Promise<AdminDataRow[]> {
  const rows: AdminDataRow[] = []
  if (!skip.has('dashboard')) {
    const dir = mkdtempSync(join(tmpdir(), 'membercard-dashboard-'))
    const path = join(dir, 'dashboard.db')
    const db = openSqlite(path)
    try {
      rows.push(...(await measure('SQLite', db, db, log, true)))
    } finally {
      await db.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  if (!skip.has('dashboard-pg')) {
    const cluster = await startPgCluster({ fsync: true, maxConnections: 20 })
    try {
      const url = await cluster.createDatabase('bench_dashboard')
      const db = await openPg(url)
      try {
        rows.push(...(await measure('PostgreSQL', db, url, log, true)))
      } finally {
        await db.close()
      }
    } finally {
      await cluster.stop()
    }
  }
  return rows
}
