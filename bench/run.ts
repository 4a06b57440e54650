// biome-ignore-all lint/style/noRestrictedGlobals: the bench entry point reads its own settings
/**
 * `pnpm bench`: the product against this machine's own ceiling, in one run.
 *
 * Starts the production server (real LINE settings pointed at a local key server, so ID
 * tokens are real ES256 tokens verified through the JWKS path) on a fresh database with
 * 100,000 imported members, and three baseline processes (bench/baselines.ts), then drives
 * each over loopback with autocannon (50 connections, a warm-up, a measured window).
 * Every figure is a ratio to its baseline, run just before and just after it (A B A).
 * Also: `pnpm cards:import` of 1,000,000 rows into SQLite and into PostgreSQL, and the card
 * screen's JS size, Lighthouse and time-to-QR (bench/front-end.ts).
 * The same server on PostgreSQL (`DATABASE_URL`, a throwaway cluster with fsync on, started
 * by the bench): the award against the same SQL sent raw through node-postgres (`pg-write`),
 * `GET /api/me` against the ceiling, and the award's throughput with 1, 2 and 3 instances on
 * the one database. Results: bench/results/latest.{json,md}.
 *
 * Settings: BENCH_SECONDS (measured window, 10), BENCH_WARMUP (3), BENCH_IMPORT_ROWS
 * (1000000), BENCH_SKIP (comma-separated) to leave parts out while iterating: `import`,
 * `import-pg`, `front-end`, `sqlite` (the server rows on SQLite), `pg` (every PostgreSQL
 * row), or one of `pg-me`, `pg-award`, `pg-scale`, `dashboard`, `dashboard-pg` (the console's
 * data rows, bench/admin-data.ts, sized by BENCH_DASHBOARD_LEDGER_ROWS and _CARDS); `segments`
 * (segment counts on BENCH_SEGMENT_MEMBERS, 1,000,000) or `segments-pg`. BENCH_ONLY=segments
 * runs only those. `console-io`: the till's award latency during a console import of 1,000,000
 * rows, and the members export afterwards (bench/console-io.ts). `coupons` (bench/coupons.ts):
 * issuing a coupon to BENCH_COUPON_MEMBERS (100,000) members and the redemption's throughput
 * against the award, on SQLite and PostgreSQL (`coupons-pg` leaves PostgreSQL out);
 * BENCH_ONLY=coupons runs only those.
 * `campaigns`: a campaign to
 * 100,000 members, its enqueue and its end-to-end send to the stand-in LINE at LINE's multicast
 * limit (bench/campaigns.ts), or `campaigns-pg`; BENCH_ONLY=campaigns runs only those.
 * BENCH_ONLY=console-io with
 * BENCH_SKIP=import,import-pg,pg,segments,dashboard,dashboard-pg runs only those (logged, no table).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import {
  createHash,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomUUID,
  sign,
} from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import autocannon from 'autocannon'
import Database from 'better-sqlite3'
import pg from 'pg'
import { startPgCluster } from '../server/test/support/pg-cluster.ts'
import { measureAdminData } from './admin-data.ts'
import { measureCampaigns } from './campaigns.ts'
import { benchCardNumber, benchPin, writeCardsCsv } from './cards-csv.ts'
import { EXPORT_MEMBERS, fillCards, measureConsoleIo, measureMembersExport } from './console-io.ts'
import { measureCoupons } from './coupons.ts'
import { type FrontEndResult, measureFrontEnd } from './front-end.ts'
import { measureSegments } from './segments.ts'

const ROOT = resolve(import.meta.dirname, '..')
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3)
const IMPORT_ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 1_000_000)
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean))
/** Only these load scenarios (comma-separated names as logged), e.g. to profile one. */
const ONLY = new Set((process.env.BENCH_ONLY ?? '').split(',').filter(Boolean))
/** A folder: the server and the baselines run with --cpu-prof and write their profiles there on exit. */
const PROFILE_DIR = process.env.BENCH_PROFILE
const MEMBERS = 100_000
const AWARD_MEMBERS = 1000
const CONNECTIONS = 50
const ISSUER = 'https://access.line.me'
const CHANNEL = '1234567890'

const work = mkdtempSync(join(tmpdir(), 'membercard-bench-'))
const children: ChildProcess[] = []
const log = (s: string) => console.log(`[bench] ${s}`)

function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  rmSync(work, { recursive: true, force: true })
}
process.on('exit', cleanup)
process.on('SIGINT', () => process.exit(130))

// ---------------------------------------------------------------- LINE keys and ID tokens

/** The bench's own "LINE": an ES256 key whose JWKS it serves; tokens signed with node:crypto. */
function lineKeys() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const kid = 'bench-key'
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid, typ: 'JWT' })).toString(
    'base64url',
  )
  const mint = (sub: string, key: KeyObject = privateKey) => {
    const now = Math.floor(Date.now() / 1000)
    const payload = Buffer.from(
      JSON.stringify({ iss: ISSUER, sub, aud: CHANNEL, iat: now, exp: now + 3600, name: 'Bench' }),
    ).toString('base64url')
    const input = `${header}.${payload}`
    const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
    return `${input}.${sig.toString('base64url')}`
  }
  return { jwk, mint }
}

const userId = (n: number) => `U${n.toString(16).padStart(32, '0')}`

// ---------------------------------------------------------------- processes

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port
      s.close(() => res(port))
    })
  })
}

async function waitFor(url: string, child: ChildProcess, out: () => string) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`process exited:\n${out()}`)
    try {
      const res = await fetch(url)
      if (res.status < 500) return
    } catch {
      // not yet listening
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`no answer from ${url}:\n${out()}`)
}

/** The process serving each base URL, for its CPU time. */
const pidOf = new Map<string, number>()

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux), or null. Unlike
 * throughput, a server's CPU time per request barely moves when other work shares the machine.
 */
function cpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null
  try {
    // Fields after the command name: utime and stime are the 12th and 13th (man 5 proc).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return null
  }
}
/** USER_HZ: 100 on every Linux this runs on (`getconf CLK_TCK`). */
const CLOCK_TICKS = 100

/**
 * CPU seconds used so far by a process and its children, ended or running (Linux): a
 * PostgreSQL server's backends come and go, and the server's own counters keep the ended ones.
 */
function treeCpuSeconds(pid: number): number | null {
  // Fields after the command name: ppid is the 2nd; utime, stime, cutime, cstime the 12th–15th.
  const fields = (p: string) => {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  }
  const ticks = (f: string[]) => Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])
  try {
    let total = ticks(fields(String(pid)))
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        const f = fields(entry)
        if (Number(f[1]) === pid) total += ticks(f)
      } catch {
        // ended meanwhile
      }
    }
    return total / CLOCK_TICKS
  } catch {
    return null
  }
}

/**
 * CPU seconds a PostgreSQL server has used so far: its postmaster, the postmaster's live
 * children (the backends serving connections, the WAL writer, the checkpointer, …) and the
 * children that have exited (added to the postmaster's cutime and cstime once reaped).
 */
function pgCpuSeconds(postmaster: number): number | null {
  let ticks = 0
  let found = false
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue // exited meanwhile
    }
    // After the command name: the parent's pid is the 2nd field; utime, stime, cutime and
    // cstime the 12th to 15th (man 5 proc).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const own = Number(f[11]) + Number(f[12])
    if (Number(entry) === postmaster) {
      found = true
      ticks += own + Number(f[13]) + Number(f[14])
    } else if (Number(f[1]) === postmaster) {
      ticks += own
    }
  }
  return found ? ticks / CLOCK_TICKS : null
}

/** Starts `node --import tsx <file> [args]` and waits until `probe` answers. */
async function startNode(
  file: string,
  args: string[],
  env: Record<string, string>,
  probe: (port: number) => string,
) {
  const port = await freePort()
  const flags =
    PROFILE_DIR && (file.startsWith('server/') || file === 'bench/baselines.ts')
      ? ['--cpu-prof', `--cpu-prof-dir=${resolve(PROFILE_DIR)}`]
      : []
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', file, ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...env,
      PORT: String(port),
      BENCH_PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let out = ''
  if (child.pid) pidOf.set(`http://127.0.0.1:${port}`, child.pid)
  child.stdout?.on('data', (d) => {
    out = (out + d).slice(-4000)
  })
  child.stderr?.on('data', (d) => {
    out = (out + d).slice(-4000)
  })
  const base = `http://127.0.0.1:${port}`
  await waitFor(`${base}${probe(port)}`, child, () => out)
  return {
    base,
    child,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done()
        child.once('exit', () => done())
        child.kill('SIGTERM')
      }),
  }
}

/**
 * Runs a command: wall seconds, CPU seconds (user + system, what a quiet machine's wall time
 * approaches for this single-threaded work) and the peak RSS (MB) of its largest process.
 */
function timed(cmd: string[], env: Record<string, string>, input?: string) {
  const res = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %M %U %S', ...cmd], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    input,
    maxBuffer: 64 << 20,
  })
  const m = /__TIME__ ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(res.stderr)
  if (res.status !== 0 || !m)
    throw new Error(`${cmd.join(' ')} failed:\n${res.stdout}${res.stderr}`)
  return {
    seconds: Number(m[1]),
    cpuSeconds: Number(m[3]) + Number(m[4]),
    peakRssMb: Number(m[2]) / 1024,
    stdout: res.stdout,
  }
}

/**
 * `pnpm cards:import` of `file` into PostgreSQL, as an operator of several instances runs it:
 * a throwaway cluster on this machine with fsync on (server/test/support/pg-cluster.ts), a
 * database migrated beforehand; wall and CPU seconds of the command and PostgreSQL's CPU seconds
 * (the two work at the same time, so on a quiet machine the wall time approaches the larger
 * share, not the sum), and the command's peak RSS.
 */
async function importIntoPostgres(file: string): Promise<{ row: Row; raw: unknown }> {
  const scenario = `\`pnpm cards:import\` of ${IMPORT_ROWS.toLocaleString('en')} rows into PostgreSQL`
  const goal = '≤ 60 s'
  let cluster: Awaited<ReturnType<typeof startPgCluster>> | undefined
  try {
    log('PostgreSQL: starting a throwaway cluster (fsync on)')
    cluster = await startPgCluster({ fsync: true, maxConnections: 20 })
    const env = {
      DATABASE_URL: await cluster.createDatabase('bench_import'),
      PIN_HASH_SECRET: randomBytes(32).toString('hex'),
      QR_TOKEN_SECRET: randomBytes(32).toString('hex'),
    }
    timed(['pnpm', '--silent', 'db:migrate'], env)
    const postmaster = Number(
      readFileSync(join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
    )
    const pgBefore = treeCpuSeconds(postmaster)
    log('pnpm cards:import into PostgreSQL (timed)')
    const t = timed(['pnpm', '--silent', 'cards:import', file], env)
    const pgAfter = treeCpuSeconds(postmaster)
    const pgCpu = pgBefore !== null && pgAfter !== null ? pgAfter - pgBefore : null
    return {
      row: {
        scenario,
        value: `${t.seconds.toFixed(1)} s wall (${t.cpuSeconds.toFixed(1)} s CPU; PostgreSQL ${pgCpu === null ? '?' : pgCpu.toFixed(1)} s CPU), peak RSS ${Math.round(t.peakRssMb)} MB`,
        baseline: '—',
        ratio: null,
        goal,
        met: t.seconds <= 60,
      },
      raw: { rows: IMPORT_ROWS, ...t, postgresCpuSeconds: pgCpu, stdout: t.stdout.trim() },
    }
  } catch (err) {
    // e.g. no PostgreSQL binaries on this machine: keep the other figures, say so in the table
    const reason = (err as Error).message.split('\n')[0]?.slice(0, 160)
    log(`PostgreSQL import not measured: ${reason}`)
    return {
      row: {
        scenario,
        value: `not measured: ${reason}`,
        baseline: '—',
        ratio: null,
        goal,
        met: null,
      },
      raw: { error: reason },
    }
  } finally {
    await cluster?.stop()
  }
}

// ---------------------------------------------------------------- load

interface LoadResult {
  rps: number
  p50: number
  p99: number
  requests: number
  non2xx: number
  errors: number
  /** The server's CPU time per request in the measured window (µs), when it could be read. */
  cpuUsPerRequest: number | null
  /** PostgreSQL's CPU time per request (µs), for a server on PostgreSQL. */
  dbCpuUsPerRequest?: number | null
  /**
   * Transactions PostgreSQL counted in the database per request (each statement outside a
   * transaction is one), for a server on PostgreSQL: what the baseline does not do shows here.
   */
  dbTransactionsPerRequest?: number | null
  /** The machine's 1-minute load average at the end of the measured window. */
  loadAverage: number
}

type Setup = (req: { headers?: Record<string, string>; body?: string }) => {
  headers?: Record<string, string>
  body?: string
}

interface LoadOptions {
  headers?: Record<string, string>
  /** A fixed total rate (req/s) instead of as fast as it goes: for latency below saturation. */
  overallRate?: number
  /** The postmaster of the PostgreSQL the server uses: its CPU time is measured too. */
  postmaster?: number
  /** The database's transactions so far (pg_stat_database), for transactions per request. */
  transactions?: () => Promise<number | null>
}

/**
 * Drives `url` (or several instances of one server at once, the connections shared out among
 * them) for a warm-up, then a measured window. With several URLs the throughput is their sum,
 * the latencies are the slowest instance's, and the CPU time is all of theirs.
 */
async function load(
  url: string | string[],
  method: 'GET' | 'POST',
  setupRequest?: Setup,
  opts: LoadOptions = {},
): Promise<LoadResult> {
  const urls = Array.isArray(url) ? url : [url]
  const run = (duration: number) =>
    Promise.all(
      urls.map((u, i) =>
        autocannon({
          url: u,
          connections:
            Math.floor(CONNECTIONS / urls.length) + (i < CONNECTIONS % urls.length ? 1 : 0),
          duration,
          pipelining: 1,
          timeout: 10,
          ...(opts.overallRate ? { overallRate: opts.overallRate / urls.length } : {}),
          requests: [
            { method, headers: opts.headers ?? {}, ...(setupRequest ? { setupRequest } : {}) },
          ],
        } as autocannon.Options),
      ),
    )
  await run(WARMUP)
  const pids = urls.map((u) => pidOf.get(new URL(u).origin))
  const serverCpu = () => {
    const each = pids.map(cpuSeconds)
    return each.every((x) => x !== null) ? (each as number[]).reduce((a, b) => a + b, 0) : null
  }
  const dbCpu = () => (opts.postmaster ? pgCpuSeconds(opts.postmaster) : null)
  const txBefore = (await opts.transactions?.()) ?? null
  const cpuBefore = serverCpu()
  const dbBefore = dbCpu()
  const rs = await run(SECONDS)
  const cpuAfter = serverCpu()
  const dbAfter = dbCpu()
  // Backends report their counts at most once a second: wait for the last window's.
  const txAfter = opts.transactions
    ? await new Promise((r) => setTimeout(r, 1500)).then(() => opts.transactions?.())
    : null
  const total = rs.reduce((n, r) => n + r.requests.total, 0)
  const perRequest = (before: number | null, after: number | null) =>
    before !== null && after !== null && total > 0
      ? Math.round(((after - before) * 1e6) / total)
      : null
  return {
    cpuUsPerRequest: perRequest(cpuBefore, cpuAfter),
    ...(opts.postmaster ? { dbCpuUsPerRequest: perRequest(dbBefore, dbAfter) } : {}),
    ...(opts.transactions
      ? {
          dbTransactionsPerRequest:
            txBefore !== null && txAfter != null && total > 0
              ? Math.round(((txAfter - txBefore) / total) * 100) / 100
              : null,
        }
      : {}),
    rps: Math.round(rs.reduce((n, r) => n + r.requests.average, 0)),
    p50: Math.max(...rs.map((r) => r.latency.p50)),
    p99: Math.max(...rs.map((r) => r.latency.p99)),
    requests: total,
    non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
    errors: rs.reduce((n, r) => n + r.errors + r.timeouts, 0),
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  }
}

// ---------------------------------------------------------------- the run

interface Row {
  scenario: string
  value: string
  baseline: string
  ratio: number | null
  goal: string
  met: boolean | null
  note?: string
}

/** The server's settings: the bench's "LINE" (its own key and JWKS) and the database's. */
function serverEnv(lineBase: string, database: Record<string, string>): Record<string, string> {
  return {
    ...database,
    LINE_LOGIN_CHANNEL_ID: CHANNEL,
    LIFF_ID: `${CHANNEL}-bench`,
    LINE_API_BASE: lineBase,
    LINE_ISSUER: ISSUER,
    LOG_LEVEL: 'warn',
    CARD_TOKEN_TTL_SECONDS: '3600',
    POINTS_EXPIRY_INTERVAL_MINUTES: '0',
  }
}

interface Member {
  /** The member's LINE ID token. */
  token: string
  /** A QR token of the member's card, for the till. */
  qr: string
}

/** Links the first AWARD_MEMBERS imported cards to LINE users, 8 at a time, through the API. */
async function linkMembers(base: string, mint: (sub: string) => string): Promise<Member[]> {
  const members: Member[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < AWARD_MEMBERS) {
        const i = next++
        const token = mint(userId(i + 1))
        const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
        const link = await fetch(`${base}/api/link`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({
            cardNumber: benchCardNumber(i * 97),
            pin: benchPin(i * 97),
            consent: { version: '2026-11-01', accepted: true },
          }),
        })
        if (link.status !== 201) throw new Error(`link ${i}: ${link.status} ${await link.text()}`)
        const qr = await fetch(`${base}/api/card/qr`, { headers: auth })
        members[i] = { token, qr: ((await qr.json()) as { token: string }).token }
      }
    }),
  )
  return members
}

const CLERK = ['--id', 'bench-clerk', '--store', 'S001', '--store-name', 'Bench', '--role', 'clerk']
const CLERK_PASSWORD = 'bench-clerk-password'
/** Head office's admin, for the console's import and export rows (bench/console-io.ts). */
const ADMIN = ['--id', 'bench-admin', '--role', 'admin']
const ADMIN_PASSWORD = 'bench-admin-password'

/** The clerk's session token. */
async function staffLogin(
  base: string,
  staffId = 'bench-clerk',
  password = CLERK_PASSWORD,
): Promise<string> {
  const login = await fetch(`${base}/api/staff/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ staffId, password }),
  })
  if (login.status !== 200) throw new Error(`staff login: ${login.status} ${await login.text()}`)
  return ((await login.json()) as { token: string }).token
}

/**
 * An award for a random one of `members`, with a new Idempotency-Key, by the till whose
 * bearer is `bearer` (the clerk's staff token, or the store's POS API key).
 */
function awardBody(members: Member[], bearer: string): Setup {
  return (req) => {
    const m = members[Math.floor(Math.random() * members.length)]!
    return {
      ...req,
      headers: {
        ...req.headers,
        authorization: `Bearer ${bearer}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({
        qrToken: m.qr,
        type: 'award',
        purchaseAmount: 100 + Math.floor(Math.random() * 20_000),
      }),
    }
  }
}

/** Cards whose balance differs from the sum of their ledger, or is negative. */
const MISMATCHES = `SELECT count(*) AS n FROM (SELECT c.id FROM point_cards c
    LEFT JOIN ledger l ON l.card_id = c.id
  GROUP BY c.id HAVING c.points <> coalesce(sum(l.points), 0) OR c.points < 0) AS m`

async function main() {
  const started = Date.now()
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    loadAverageAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
  }
  log(
    `work dir ${work}; ${machine.cores} × ${machine.cpu}; load ${machine.loadAverageAtStart.join(' ')}`,
  )
  const rows: Row[] = []
  const raw: Record<string, unknown> = {}

  // -- the import of a million rows, exactly as an operator runs it
  if (!SKIP.has('import') && (!ONLY.size || ONLY.has('import'))) {
    const big = join(work, 'cards-1m.csv')
    log(`generating ${IMPORT_ROWS} rows`)
    await writeCardsCsv(big, IMPORT_ROWS)
    log('pnpm cards:import (timed)')
    const t = timed(['pnpm', '--silent', 'cards:import', big], {
      DATABASE_PATH: join(work, 'import.db'),
    })
    raw.import = { rows: IMPORT_ROWS, ...t, stdout: t.stdout.trim() }
    rows.push({
      scenario: `\`pnpm cards:import\` of ${IMPORT_ROWS.toLocaleString('en')} rows`,
      value: `${t.seconds.toFixed(1)} s wall (${t.cpuSeconds.toFixed(1)} s CPU), peak RSS ${Math.round(t.peakRssMb)} MB`,
      baseline: '—',
      ratio: null,
      goal: '≤ 30 s, ≤ 300 MB',
      met: t.seconds <= 30 && t.peakRssMb <= 300,
    })
    log(`import into SQLite: ${rows.at(-1)?.value}`)
    rmSync(join(work, 'import.db'), { force: true })
    rmSync(join(work, 'import.db-wal'), { force: true })
    if (!SKIP.has('import-pg')) {
      const pgImport = await importIntoPostgres(big)
      raw.importPostgres = pgImport.raw
      rows.push(pgImport.row)
      log(`import into PostgreSQL: ${pgImport.row.value}`)
    }
    rmSync(big)
  }

  // -- the console's data: the dashboard on 10 M ledger rows, the member search in 1 M members
  if (!ONLY.size || ONLY.has('dashboard')) {
    try {
      const adminRows = await measureAdminData(log, SKIP)
      rows.push(...adminRows)
      raw.adminData = adminRows
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0]?.slice(0, 160)
      log(`dashboard rows not measured: ${reason}`)
      rows.push({
        scenario: '`GET /api/admin/kpis` and the member search',
        value: `not measured: ${reason}`,
        baseline: '—',
        ratio: null,
        goal: '≤ 500 ms',
        met: null,
      })
    }
  }

  // -- segment counts on 1,000,000 members (bench/segments.ts); BENCH_ONLY=segments runs only them
  if (!SKIP.has('segments') && (!ONLY.size || ONLY.has('segments'))) {
    rows.push(...(await measureSegments(log, SKIP.has('pg') || SKIP.has('segments-pg'))))
  }
  // -- a campaign to 100,000 members: enqueue, and the send at LINE's pace (bench/campaigns.ts)
  if (!SKIP.has('campaigns') && (!ONLY.size || ONLY.has('campaigns'))) {
    rows.push(...(await measureCampaigns(log, SKIP)))
  }
  if (ONLY.size && [...ONLY].every((o) => o === 'segments' || o === 'campaigns')) {
    log(`BENCH_ONLY=${[...ONLY].join(',')}: no table`)
    return
  }

  // -- coupons (bench/coupons.ts): issuing to 100,000 members; redemption vs the award (A B A)
  if (!SKIP.has('coupons') && (!ONLY.size || ONLY.has('coupons'))) {
    const couponRows = await measureCoupons(log, SKIP.has('pg') || SKIP.has('coupons-pg'))
    rows.push(...couponRows)
    if (ONLY.size === 1 && ONLY.has('coupons')) {
      log(`BENCH_ONLY=coupons: no table\n${JSON.stringify(couponRows, null, 2)}`)
      return
    }
  }

  // 100,000 members for each server's database
  const csv = join(work, 'cards-100k.csv')
  await writeCardsCsv(csv, MEMBERS)

  // -- LINE's key endpoint, served by the bench
  const keys = lineKeys()
  const jwksServer = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ keys: [keys.jwk] }))
  })
  const jwksPort = await new Promise<number>((res) =>
    jwksServer.listen(0, '127.0.0.1', () => res((jwksServer.address() as AddressInfo).port)),
  )
  const lineBase = `http://127.0.0.1:${jwksPort}`

  const ceiling = await startNode('bench/baselines.ts', ['ceiling'], {}, () => '/json')

  const results: Record<string, LoadResult> = {}
  const measure = async (name: string, f: () => Promise<LoadResult>) => {
    if (ONLY.size && !ONLY.has(name)) return
    log(`${name} …`)
    results[name] = await f()
    const r = results[name]
    log(
      `${name}: ${r.rps} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}, server CPU ${r.cpuUsPerRequest ?? '?'} µs/req${r.dbCpuUsPerRequest === undefined ? '' : `, PostgreSQL CPU ${r.dbCpuUsPerRequest ?? '?'} µs/req`}${r.dbTransactionsPerRequest === undefined ? '' : `, ${r.dbTransactionsPerRequest} transactions/req`}; load ${r.loadAverage}`,
    )
  }
  const wrapped = new Set<string>()
  const rotating = (tokens: string[], label?: string): Setup => {
    let i = 0
    return (req) => {
      if (label && i >= tokens.length) wrapped.add(label)
      const t = tokens[i++ % tokens.length]
      return { ...req, headers: { ...req.headers, authorization: `Bearer ${t}` } }
    }
  }
  const C = () => load(`${ceiling.base}/json`, 'GET')

  const mean = (...names: string[]) =>
    names.reduce((n, k) => n + (results[k]?.rps ?? 0), 0) / names.length
  /** Mean CPU µs per request of baseline runs (`db`: PostgreSQL's), or null if one is unknown. */
  const meanCpu = (names: string[], db = false) => {
    const v = names.map((k) =>
      db ? (results[k]?.dbCpuUsPerRequest ?? null) : (results[k]?.cpuUsPerRequest ?? null),
    )
    return v.every((x) => x !== null)
      ? Math.round((v as number[]).reduce((a, b) => a + b, 0) / v.length)
      : null
  }
  const pct = (a: number, b: number) => Math.round((a / b) * 1000) / 10
  const cpuNotes = (r: LoadResult, baseNames: string[], baseDb: boolean) => {
    const notes: string[] = []
    const baseCpu = meanCpu(baseNames)
    if (r.cpuUsPerRequest !== null && baseCpu !== null) {
      notes.push(
        `server CPU ${r.cpuUsPerRequest} µs/request vs ${baseCpu} (${pct(baseCpu, r.cpuUsPerRequest)} %)`,
      )
    }
    if (r.dbCpuUsPerRequest !== undefined && r.dbCpuUsPerRequest !== null) {
      const baseDbCpu = baseDb ? meanCpu(baseNames, true) : null
      notes.push(
        `PostgreSQL CPU ${r.dbCpuUsPerRequest} µs/request${baseDbCpu === null ? '' : ` vs ${baseDbCpu}`}`,
      )
    }
    if (r.dbTransactionsPerRequest != null) {
      const base = baseNames.map((b) => results[b]?.dbTransactionsPerRequest)
      const baseTx = base.every((x) => typeof x === 'number')
        ? Math.round(((base as number[]).reduce((a, b) => a + b, 0) / base.length) * 100) / 100
        : null
      notes.push(
        `PostgreSQL transactions ${r.dbTransactionsPerRequest}/request${baseTx === null ? '' : ` vs ${baseTx}`}`,
      )
    }
    return notes
  }
  /**
   * A row comparing scenario `name` with the mean of the baseline runs `baseNames`; `goalRatio`
   * null for a row that only reports. Nothing when the scenario did not run.
   */
  const row = (
    scenario: string,
    name: string,
    baseNames: string[],
    baseLabel: string,
    goalRatio: number | null,
    opts: { p99Max?: number; baseDb?: boolean } = {},
  ) => {
    const r = results[name]
    if (!r || baseNames.some((b) => !results[b])) return
    const base = mean(...baseNames)
    const ratio = pct(r.rps, base)
    const notes = [
      ...cpuNotes(r, baseNames, opts.baseDb ?? false),
      r.non2xx || r.errors ? `${r.non2xx} non-2xx, ${r.errors} errors` : undefined,
    ].filter(Boolean)
    const clean = r.non2xx === 0 && r.errors === 0
    rows.push({
      scenario,
      value: `${r.rps.toLocaleString('en')} req/s, p99 ${r.p99} ms`,
      baseline: `${baseLabel} ${Math.round(base).toLocaleString('en')} req/s`,
      ratio,
      goal:
        goalRatio === null
          ? '—'
          : `≥ ${goalRatio} %${opts.p99Max ? `, p99 ≤ ${opts.p99Max} ms` : ''}`,
      met:
        goalRatio === null
          ? null
          : ratio >= goalRatio && (!opts.p99Max || r.p99 <= opts.p99Max) && clean,
      ...(notes.length ? { note: notes.join('; ') } : {}),
    })
  }
  const mismatches: Record<string, number> = {}

  // ---------------------------------------------------------------- SQLite
  if (!SKIP.has('sqlite')) {
    // the server's database: 100,000 imported members and a clerk
    const dbPath = join(work, 'server.db')
    log('importing 100,000 members')
    timed(['pnpm', '--silent', 'cards:import', csv], { DATABASE_PATH: dbPath })
    timed(
      ['pnpm', '--silent', 'staff:add', ...CLERK],
      { DATABASE_PATH: dbPath },
      `${CLERK_PASSWORD}\n`,
    )
    // A POS API key of the clerk's store, for the award through a key (issue 17).
    const posKey = timed(
      ['pnpm', '--silent', 'apikey:create', '--store', 'S001', '--name', 'bench POS'],
      { DATABASE_PATH: dbPath },
    )
      .stdout.split('\n')[0]!
      .trim()
    const consoleIo = !SKIP.has('console-io') && (!ONLY.size || ONLY.has('console-io'))
    if (consoleIo) {
      timed(
        ['pnpm', '--silent', 'staff:add', ...ADMIN],
        { DATABASE_PATH: dbPath },
        `${ADMIN_PASSWORD}\n`,
      )
    }
    const server = await startNode(
      'server/src/index.ts',
      [],
      // The key's own rate limit (20 a second by default) would cap the key's award row.
      serverEnv(lineBase, { DATABASE_PATH: dbPath, API_KEY_RATE_PER_SECOND: '100000' }),
      () => '/healthz',
    )
    log(`server up at ${server.base}; linking ${AWARD_MEMBERS} members`)
    const members = await linkMembers(server.base, keys.mint)
    const staffToken = await staffLogin(server.base)

    // The write baseline works on a copy of this very database.
    const copy = join(work, 'baseline.db')
    const src = new Database(dbPath, { readonly: true })
    await src.backup(copy)
    src.close()

    const verify = await startNode(
      'bench/baselines.ts',
      ['verify'],
      { BENCH_JWKS: `${lineBase}/oauth2/v2.1/certs`, BENCH_ISSUER: ISSUER, BENCH_AUD: CHANNEL },
      () => '/verify',
    )
    const write = await startNode(
      'bench/baselines.ts',
      ['write'],
      { BENCH_DB: copy, BENCH_SECRETS: `${dbPath}.secrets.json` },
      () => '/nothing',
    )

    // Fresh tokens for the "new token on every request" runs, minted before the clock starts:
    // enough for the warm-up and the measured window at up to ~7,500 requests a second.
    const poolSize = 100_000
    log(`minting ${2 * poolSize} fresh ID tokens`)
    const freshPool = (offset: number) =>
      Array.from({ length: poolSize }, (_, i) => keys.mint(userId(offset + i)))
    const poolVerify = freshPool(1_000_000)
    const poolServer = freshPool(2_000_000)
    const returning = members.map((m) => m.token)

    // Each scenario runs between two runs of its baseline (A B A): the machine's load drifts,
    // and the ratio uses the mean of the two runs around it.
    const V = () => load(`${verify.base}/verify`, 'GET', rotating(poolVerify, 'verify baseline'))
    const W = () => load(`${write.base}/award`, 'POST', awardBody(members, staffToken))
    await measure('ceiling #1', C)
    await measure('me returning', () => load(`${server.base}/api/me`, 'GET', rotating(returning)))
    await measure('ceiling #2', C)
    await measure('qr returning', () =>
      load(`${server.base}/api/card/qr`, 'GET', rotating(returning)),
    )
    await measure('ceiling #3', C)
    // Latency below saturation: at a saturating load the 50 connections queue (p50 is about
    // 50 / throughput), so p99 is also measured at a fixed 30 % of the ceiling's rate.
    const steadyRate = Math.round((results['ceiling #3']?.rps ?? 3000) * 0.3)
    await measure('me returning fixed rate', () =>
      load(`${server.base}/api/me`, 'GET', rotating(returning), { overallRate: steadyRate }),
    )
    await measure('verify baseline #1', V)
    await measure('me new token', () =>
      load(`${server.base}/api/me`, 'GET', rotating(poolServer, 'me new token')),
    )
    await measure('verify baseline #2', V)
    await measure('write baseline #1', W)
    await measure('award', () =>
      load(`${server.base}/api/staff/points`, 'POST', awardBody(members, staffToken)),
    )
    await measure('write baseline #2', W)
    // The same award through the store's POS API key, between two through the staff session.
    await measure('award api key', () =>
      load(`${server.base}/api/staff/points`, 'POST', awardBody(members, posKey)),
    )
    await measure('award staff #2', () =>
      load(`${server.base}/api/staff/points`, 'POST', awardBody(members, staffToken)),
    )

    // The console's import (the till meanwhile) and export, on this server (bench/console-io.ts).
    if (consoleIo) {
      try {
        await Promise.all([verify.stop(), write.stop()])
        const ioRows = await measureConsoleIo({
          base: server.base,
          serverPid: server.child.pid ?? 0,
          adminToken: await staffLogin(server.base, 'bench-admin', ADMIN_PASSWORD),
          award: awardBody(members, staffToken),
          writeCsv: writeCardsCsv,
          csvPath: join(work, 'console-import.csv'),
          log,
        })
        rows.push(...ioRows)
        // The export from a server of its own on a database of a million members.
        const exportDb = join(work, 'export.db')
        log(`members export: writing ${EXPORT_MEMBERS.toLocaleString('en')} cards`)
        fillCards(exportDb, EXPORT_MEMBERS)
        timed(
          ['pnpm', '--silent', 'staff:add', ...ADMIN],
          { DATABASE_PATH: exportDb },
          `${ADMIN_PASSWORD}\n`,
        )
        const exporter = await startNode(
          'server/src/index.ts',
          [],
          serverEnv(lineBase, { DATABASE_PATH: exportDb }),
          () => '/healthz',
        )
        try {
          ioRows.push(
            await measureMembersExport({
              base: exporter.base,
              serverPid: exporter.child.pid ?? 0,
              adminToken: await staffLogin(exporter.base, 'bench-admin', ADMIN_PASSWORD),
              log,
            }),
          )
          rows.push(ioRows.at(-1) as Row)
        } finally {
          await exporter.stop()
        }
        raw.consoleIo = ioRows
      } catch (err) {
        const reason = (err as Error).message.split('\n')[0]?.slice(0, 160)
        log(`console import/export rows not measured: ${reason}`)
        rows.push({
          scenario: 'console import (the till meanwhile) and members export',
          value: `not measured: ${reason}`,
          baseline: '—',
          ratio: null,
          goal: '—',
          met: null,
        })
      }
    }

    // Exactness after the load: every balance still equals its ledger.
    const check = new Database(dbPath, { readonly: true })
    mismatches.SQLite = (check.prepare(MISMATCHES).get() as { n: number }).n
    check.close()
    await Promise.all([server.stop(), verify.stop(), write.stop()])

    row(
      '`GET /api/me`, returning customer',
      'me returning',
      ['ceiling #1', 'ceiling #2'],
      'ceiling',
      40,
    )
    const fixed = results['me returning fixed rate']
    if (fixed) {
      rows.push({
        scenario: `\`GET /api/me\`, returning, p99 at a fixed ${steadyRate.toLocaleString('en')} req/s (30 % of the ceiling)`,
        value: `p99 ${fixed.p99} ms (p50 ${fixed.p50} ms, ${fixed.rps.toLocaleString('en')} req/s served)`,
        baseline: '—',
        ratio: null,
        goal: 'p99 ≤ 15 ms',
        met: fixed.p99 <= 15 && fixed.non2xx === 0 && fixed.errors === 0,
      })
    }
    row(
      '`GET /api/card/qr`, returning customer',
      'qr returning',
      ['ceiling #2', 'ceiling #3'],
      'ceiling',
      35,
    )
    row(
      '`GET /api/me`, a new token every request',
      'me new token',
      ['verify baseline #1', 'verify baseline #2'],
      'verify',
      90,
    )
    row(
      '`POST /api/staff/points` award, new key, 1,000 members',
      'award',
      ['write baseline #1', 'write baseline #2'],
      'write',
      70,
    )
    row(
      '`POST /api/staff/points` award through a POS API key (`Authorization: Bearer <key>`)',
      'award api key',
      ['award', 'award staff #2'],
      'staff session',
      null,
    )
  }

  // ---------------------------------------------------------------- PostgreSQL
  const pgParts = ['pg-me', 'pg-award', 'pg-scale'].filter((p) => !SKIP.has(p))
  if (!SKIP.has('pg') && pgParts.length > 0) {
    // A throwaway cluster with fsync on (a commit waits for its WAL flush, as in production).
    log('starting PostgreSQL')
    const cluster = await startPgCluster({ fsync: true, maxConnections: 100 })
    const pgUrl = await cluster.createDatabase('bench')
    const admin = new pg.Client({ connectionString: pgUrl })
    await admin.connect()
    const { rows: backend } = await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    // The backend's parent: the postmaster, whose family's CPU time is PostgreSQL's.
    const stat = readFileSync(`/proc/${backend[0]?.pid}/stat`, 'utf8')
    const postmaster = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    // Every instance has the same keys, so a QR token or PIN hash made by one holds on all.
    const pgEnv = {
      DATABASE_URL: pgUrl,
      PIN_HASH_SECRET: randomBytes(32).toString('hex'),
      QR_TOKEN_SECRET: randomBytes(32).toString('hex'),
    }
    log('importing 100,000 members into PostgreSQL')
    raw.pgImport = timed(['pnpm', '--silent', 'cards:import', csv], pgEnv)
    timed(['pnpm', '--silent', 'staff:add', ...CLERK], pgEnv, `${CLERK_PASSWORD}\n`)
    const startPgServer = () =>
      startNode('server/src/index.ts', [], serverEnv(lineBase, pgEnv), () => '/healthz')
    let first = await startPgServer()
    log(`PostgreSQL server up at ${first.base}; linking ${AWARD_MEMBERS} members`)
    const members = await linkMembers(first.base, keys.mint)
    const staffToken = await staffLogin(first.base)

    // The pg-write baseline works on a copy of this very database (CREATE DATABASE … TEMPLATE
    // needs the original without connections: the server stops meanwhile).
    await first.stop()
    await admin.end()
    let rawUrl = ''
    for (let attempt = 1; ; attempt++) {
      try {
        rawUrl = await cluster.createDatabase('bench_raw', { template: 'bench' })
        break
      } catch (err) {
        // a connection that has just closed may still be ending
        if (attempt >= 50) throw err
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    first = await startPgServer()
    const pgWrite = await startNode(
      'bench/baselines.ts',
      ['pg-write'],
      { BENCH_PG_URL: rawUrl, BENCH_QR_KEY: pgEnv.QR_TOKEN_SECRET },
      () => '/nothing',
    )
    const returning = members.map((m) => m.token)
    // Transactions per request, from PostgreSQL's own counters of each database.
    const stats = new pg.Client({ connectionString: cluster.adminUrl })
    await stats.connect()
    const transactionsOf = (datname: string) => async () => {
      const { rows } = await stats.query<{ n: string }>(
        'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
        [datname],
      )
      return rows[0] ? Number(rows[0].n) : null
    }
    const award = (bases: string[]) => () =>
      load(
        bases.map((b) => `${b}/api/staff/points`),
        'POST',
        awardBody(members, staffToken),
        { postmaster, transactions: transactionsOf('bench') },
      )
    const PW = () =>
      load(`${pgWrite.base}/award`, 'POST', awardBody(members, staffToken), {
        postmaster,
        transactions: transactionsOf('bench_raw'),
      })
    const others: Awaited<ReturnType<typeof startPgServer>>[] = []

    if (pgParts.includes('pg-me')) {
      await measure('ceiling #4', C)
      await measure('pg me returning', () =>
        load(`${first.base}/api/me`, 'GET', rotating(returning), { postmaster }),
      )
      await measure('ceiling #5', C)
    }
    if (pgParts.includes('pg-award')) {
      await measure('pg-write baseline #1', PW)
      await measure('pg award', award([first.base]))
      await measure('pg-write baseline #2', PW)
    }
    if (pgParts.includes('pg-scale')) {
      others.push(await startPgServer(), await startPgServer())
      const [second, third] = others as [typeof first, typeof first]
      await measure('pg award ×1', award([first.base]))
      await measure('pg award ×2', award([first.base, second.base]))
      await measure('pg award ×3', award([first.base, second.base, third.base]))
      await measure('pg award ×1 again', award([first.base]))
    }

    const check = new pg.Client({ connectionString: pgUrl })
    await check.connect()
    mismatches.PostgreSQL = Number(
      (await check.query<{ n: string }>(MISMATCHES)).rows[0]?.n ?? Number.NaN,
    )
    await check.end()
    await stats.end()
    await Promise.all([first.stop(), pgWrite.stop(), ...others.map((o) => o.stop())])
    await cluster.stop()

    row(
      '`GET /api/me`, returning customer, PostgreSQL',
      'pg me returning',
      ['ceiling #4', 'ceiling #5'],
      'ceiling',
      null,
    )
    row(
      '`POST /api/staff/points` award, PostgreSQL',
      'pg award',
      ['pg-write baseline #1', 'pg-write baseline #2'],
      'pg-write',
      70,
      { baseDb: true },
    )
    const once = ['pg award ×1', 'pg award ×1 again'].map((k) => results[k])
    if (once[0] && once[1]) {
      const [a, b] = once as [LoadResult, LoadResult]
      const notes = (r: LoadResult) =>
        [
          r.cpuUsPerRequest === null ? '' : `server CPU ${r.cpuUsPerRequest} µs/request`,
          r.dbCpuUsPerRequest == null ? '' : `PostgreSQL CPU ${r.dbCpuUsPerRequest} µs/request`,
          r.non2xx || r.errors ? `${r.non2xx} non-2xx, ${r.errors} errors` : '',
        ]
          .filter(Boolean)
          .join('; ')
      rows.push({
        scenario: 'award throughput, 1 instance on one PostgreSQL',
        value: `${Math.round((a.rps + b.rps) / 2).toLocaleString('en')} req/s (runs before and after the others: ${a.rps.toLocaleString('en')}, ${b.rps.toLocaleString('en')}), p99 ${Math.max(a.p99, b.p99)} ms`,
        baseline: '—',
        ratio: null,
        goal: '—',
        met: null,
        note: notes(a),
      })
      for (const n of [2, 3]) {
        const r = results[`pg award ×${n}`]
        if (!r) continue
        rows.push({
          scenario: `award throughput, ${n} instances on one PostgreSQL`,
          value: `${r.rps.toLocaleString('en')} req/s, p99 ${r.p99} ms at the slowest instance`,
          baseline: `1 instance ${Math.round((a.rps + b.rps) / 2).toLocaleString('en')} req/s`,
          ratio: pct(r.rps, (a.rps + b.rps) / 2),
          goal: '—',
          met: null,
          note: `all instances together: ${notes(r)}`,
        })
      }
    }
  }

  await ceiling.stop()
  jwksServer.close()

  if (ONLY.size) {
    log('BENCH_ONLY: no table')
    return
  }

  let frontEnd: FrontEndResult | undefined
  if (!SKIP.has('front-end')) {
    try {
      frontEnd = await measureFrontEnd(log)
      rows.push(...frontEnd.rows)
    } catch (err) {
      // e.g. the app does not build right now: keep the server figures, say so in the table
      log(`front-end measurements failed: ${(err as Error).message.slice(0, 500)}`)
      rows.push({
        scenario: 'card screen (JS size, Lighthouse, time to QR)',
        value: `not measured: ${(err as Error).message.split('\n')[0]?.slice(0, 120)}`,
        baseline: '—',
        ratio: null,
        goal: '—',
        met: null,
      })
    }
  }

  const report = {
    date: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: { ...machine, loadAverageAtEnd: loadavg().map((n) => Math.round(n * 100) / 100) },
    settings: {
      connections: CONNECTIONS,
      warmupSeconds: WARMUP,
      measuredSeconds: SECONDS,
      members: MEMBERS,
      awardMembers: AWARD_MEMBERS,
      skipped: [...SKIP],
    },
    rows,
    load: results,
    ledgerMismatchesAfterLoad: mismatches,
    tokenPoolsWrapped: [...wrapped],
    raw: { ...raw, frontEnd: frontEnd?.raw },
    fingerprint: createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 12),
  }
  const md = toMarkdown(report)
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
  writeFileSync(join(ROOT, 'bench/results/latest.json'), `${JSON.stringify(report, null, 2)}\n`)
  writeFileSync(join(ROOT, 'bench/results/latest.md'), md)
  console.log(`\n${md}`)
  const differ = Object.entries(mismatches).filter(([, n]) => n !== 0)
  if (differ.length > 0) {
    throw new Error(`balances differ from their ledger: ${differ.map(([d, n]) => `${d} ${n}`)}`)
  }
}

function toMarkdown(r: {
  date: string
  durationSeconds: number
  machine: {
    cpu: string
    cores: number
    memoryGb: number
    node: string
    loadAverageAtStart: number[]
    loadAverageAtEnd: number[]
  }
  settings: { connections: number; warmupSeconds: number; measuredSeconds: number }
  rows: Row[]
  ledgerMismatchesAfterLoad: Record<string, number>
  tokenPoolsWrapped: string[]
}): string {
  const lines = [
    `# pnpm bench — ${r.date}`,
    '',
    `Machine: ${r.machine.cores} × ${r.machine.cpu}, ${r.machine.memoryGb} GB, Node ${r.machine.node}; load average ${r.machine.loadAverageAtStart.join(' ')} at the start, ${r.machine.loadAverageAtEnd.join(' ')} at the end. ${r.settings.connections} connections, ${r.settings.warmupSeconds} s warm-up, ${r.settings.measuredSeconds} s measured; each scenario ran between two runs of its baseline and is compared with their mean. Took ${r.durationSeconds} s.`,
    '',
    '| scenario | result | baseline (same run) | ratio | goal | met |',
    '| --- | --- | --- | --- | --- | --- |',
    ...r.rows.map(
      (x) =>
        `| ${x.scenario} | ${x.value}${x.note ? ` (${x.note})` : ''} | ${x.baseline} | ${x.ratio === null ? '—' : `${x.ratio} %`} | ${x.goal} | ${x.met === null ? 'n/a' : x.met ? 'yes' : '**no**'} |`,
    ),
    '',
    "Server CPU per request: user + system time of the serving process over the measured window (from /proc), divided by the requests answered; the percentage is the baseline's CPU per request over the scenario's. It moves less than throughput when other work shares the machine.",
    '',
    ...(r.rows.some((x) => x.scenario.includes('PostgreSQL'))
      ? [
          "PostgreSQL rows: a throwaway PostgreSQL cluster on the same machine (fsync and synchronous_commit on, shared_buffers 64 MB), the server's pool of 10 connections per instance; PostgreSQL CPU is its postmaster's and all its children's. With several instances the 50 connections are shared out among them; the load generator, the instances and PostgreSQL all share the machine's cores.",
          '',
        ]
      : []),
    ...Object.entries(r.ledgerMismatchesAfterLoad).map(
      ([db, n]) =>
        `Balances equal to their ledger after the load, ${db}: ${n === 0 ? 'all' : `${n} differ`}.`,
    ),
    r.tokenPoolsWrapped.length
      ? `Token pools ran out and started over (a token came back only after 100,000 others, long gone from the server's 10,000-token cache): ${r.tokenPoolsWrapped.join(', ')}.`
      : '',
    '',
  ]
  return lines.join('\n')
}

await main()
