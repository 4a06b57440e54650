// biome-ignore-all lint/style/noRestrictedGlobals: a bench part reads its own settings
/**
 * Issue 16's `pnpm bench` rows (bench/run.ts, skip name `coupons`; `coupons-pg` leaves out
 * PostgreSQL; BENCH_ONLY=coupons runs only these), on SQLite and on a throwaway PostgreSQL
 * cluster (fsync on), each through the real server (`server/src/index.ts`):
 *
 * - **Issuing** a coupon to a segment of BENCH_COUPON_MEMBERS (100,000) linked members
 *   (`POST /api/admin/coupons/{id}/issue`, segment "every linked member", an admin's bearer
 *   token): wall time of the one request, and the copies it issued.
 * - **Redemption throughput** at the till (`POST /api/staff/coupons/redeem`, a clerk's
 *   session, a bonus-points coupon): every request a new Idempotency-Key and a new QR token of
 *   the next member (one coupon per QR token, decision 002), 50 connections, against the award
 *   (`POST /api/staff/points`) on the same server with the same kind of fresh tokens, run just
 *   before and just after it (A B A). Afterwards, ledger = balance on every card and the
 *   coupon's use count equals its uses.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import autocannon from 'autocannon'
import BetterSqlite from 'better-sqlite3'
import pg from 'pg'
import { openPg } from '../server/src/db/pg.ts'
import type { Database } from '../server/src/db/seam.ts'
import { openSqlite } from '../server/src/db/sqlite.ts'
import { issueQrToken } from '../server/src/services/qr-token.ts'
import { startPgCluster } from '../server/test/support/pg-cluster.ts'
import { fillSegmentMembers } from '../server/test/support/segment-fill.ts'

const ROOT = resolve(import.meta.dirname, '..')
const MEMBERS = Number(process.env.BENCH_COUPON_MEMBERS ?? 100_000)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3)
const CONNECTIONS = 50
/** Tokens minted per load run: enough for the warm-up and the window at ~5,000 requests/s. */
const POOL = Number(process.env.BENCH_COUPON_POOL ?? 70_000)
/** Goals: issuing to 100,000 members within 10 s; a use at half an award's throughput. */
const ISSUE_GOAL_S = 10
const REDEEM_GOAL_PCT = 50
const ADMIN_PASSWORD = 'bench-admin-password'
const CLERK_PASSWORD = 'bench-clerk-password'

export interface CouponRow {
  scenario: string
  value: string
  baseline: string
  ratio: number | null
  goal: string
  met: boolean | null
  note?: string
}

interface Load {
  rps: number
  p99: number
  non2xx: number
  errors: number
  requests: number
  loadAverage: number
}

type Setup = (req: { headers?: Record<string, string> }) => Record<string, unknown>

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port
      s.close(() => res(port))
    })
  })
}

/**
 * The bench's "LINE": answers every call with `{}` (pushes, profiles) at once, so the outbox
 * of the till's point notices drains without a network (as bench/run.ts's key server does).
 */
async function lineStandIn() {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end('{}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

/** The production server on `env`'s database, once `/healthz` answers. */
async function startServer(env: Record<string, string>) {
  const port = await freePort()
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server/src/index.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'warn',
      POINTS_EXPIRY_INTERVAL_MINUTES: '0',
      CARD_TOKEN_TTL_SECONDS: '3600',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.on('data', (d) => {
    out = (out + d).slice(-4000)
  })
  child.stderr?.on('data', (d) => {
    out = (out + d).slice(-4000)
  })
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${out}`)
    if (i > 1200) throw new Error(`server did not start:\n${out}`)
    try {
      if ((await fetch(`${base}/healthz`)).status < 500) break
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    base,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done()
        child.once('exit', () => done())
        child.kill('SIGTERM')
      }),
  }
}

/** `pnpm staff:add` (the password on stdin), as an operator runs it. */
function staffAdd(args: string[], password: string, env: Record<string, string>) {
  const r = spawnSync('pnpm', ['--silent', 'staff:add', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    input: `${password}\n`,
    encoding: 'utf8',
  })
  if (r.status !== 0) throw new Error(`staff:add ${args.join(' ')}: ${r.stderr || r.stdout}`)
}

async function login(base: string, staffId: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/staff/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ staffId, password }),
  })
  if (res.status !== 200) throw new Error(`login ${staffId}: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { token: string }).token
}

async function post(base: string, path: string, token: string, body: unknown, key?: string) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: JSON.stringify(body),
  })
  const json = (await res.json()) as Record<string, unknown>
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

/** A warm-up, then the measured window, 50 connections, each request from `setup`. */
async function load(url: string, setup: Setup): Promise<Load> {
  const run = (duration: number) =>
    autocannon({
      url,
      connections: CONNECTIONS,
      duration,
      pipelining: 1,
      timeout: 10,
      requests: [{ method: 'POST', setupRequest: setup }],
    } as autocannon.Options)
  await run(WARMUP)
  const r = await run(SECONDS)
  return {
    rps: Math.round(r.requests.average),
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    requests: r.requests.total,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  }
}

/**
 * Requests from a pool of (member, fresh QR token) pairs, one pair per request in member
 * order: a token is never sent twice within one pool.
 */
function pooled(
  pairs: { link: number; copy: number }[],
  key: Buffer,
  clerk: string,
  body: (qrToken: string, copy: number) => unknown,
): { setup: Setup; wrapped: () => boolean } {
  const exp = Math.floor(Date.now() / 1000) + 3600
  const pool = Array.from({ length: POOL }, (_, i) => {
    const p = pairs[i % pairs.length] as { link: number; copy: number }
    return { token: issueQrToken(key, p.link, exp), copy: p.copy }
  })
  let i = 0
  return {
    setup: (req) => {
      const p = pool[i++ % pool.length] as { token: string; copy: number }
      return {
        ...req,
        headers: {
          ...req.headers,
          authorization: `Bearer ${clerk}`,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify(body(p.token, p.copy)),
      }
    },
    wrapped: () => i > pool.length,
  }
}

/** Cards whose balance differs from their ledger's sum (or is negative). */
const MISMATCHES = `SELECT count(*) AS n FROM (SELECT c.id FROM point_cards c
    LEFT JOIN ledger l ON l.card_id = c.id
  GROUP BY c.id HAVING c.points <> coalesce(sum(l.points), 0) OR c.points < 0) AS m`

/** A statement beside the server: `$1` placeholders, each used once and in order. */
type Read = <R>(text: string, params: number[]) => Promise<R[]>
const sqliteRead =
  (path: string): Read =>
  async <R>(text: string, params: number[]) => {
    const db = new BetterSqlite(path)
    db.pragma('busy_timeout = 10000')
    try {
      const st = db.prepare(text.replace(/\$\d+/g, '?'))
      if (st.reader) return st.all(...params) as R[]
      st.run(...params)
      return []
    } finally {
      db.close()
    }
  }
const pgRead =
  (url: string): Read =>
  async <R>(text: string, params: number[]) => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      return (await client.query(text, params)).rows as R[]
    } finally {
      await client.end()
    }
  }

async function one(
  label: 'SQLite' | 'PostgreSQL',
  open: () => Promise<Database>,
  read: Read,
  database: Record<string, string>,
  log: (s: string) => void,
): Promise<CouponRow[]> {
  const rows: CouponRow[] = []
  const secrets = {
    PIN_HASH_SECRET: randomBytes(32).toString('hex'),
    QR_TOKEN_SECRET: randomBytes(32).toString('hex'),
  }
  const env = { ...database, ...secrets }
  const db = await open()
  const t0 = Date.now()
  try {
    await fillSegmentMembers(db, MEMBERS, Date.now())
  } finally {
    await db.close()
  }
  // The generated balances have no ledger entries: start every card at 0, so ledger = balance.
  await read('UPDATE point_cards SET points = 0', [])
  log(`${label}: ${MEMBERS.toLocaleString('en')} linked members in ${Date.now() - t0} ms`)
  staffAdd(['--id', 'bench-admin', '--role', 'admin'], ADMIN_PASSWORD, env)
  staffAdd(
    ['--id', 'bench-clerk', '--store', 'S001', '--store-name', 'Bench', '--role', 'clerk'],
    CLERK_PASSWORD,
    env,
  )
  const line = await lineStandIn()
  const server = await startServer({
    ...env,
    LINE_LOGIN_CHANNEL_ID: '1234567890',
    LIFF_ID: '1234567890-bench',
    LINE_API_BASE: line.base,
    LINE_ISSUER: 'https://access.line.me',
  })
  try {
    const admin = await login(server.base, 'bench-admin', ADMIN_PASSWORD)
    const day = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10)
    const coupon = await post(server.base, '/api/admin/coupons', admin, {
      title: 'Bench 10 pt',
      reward: { type: 'bonusPoints', points: 10 },
      validFrom: day(-1),
      validUntil: day(30),
      perMemberLimit: 100,
    })
    const t = performance.now()
    const issued = await post(
      server.base,
      `/api/admin/coupons/${coupon.id}/issue`,
      admin,
      { segment: { all: [] } },
      randomUUID(),
    )
    const seconds = (performance.now() - t) / 1000
    rows.push({
      scenario: `\`POST /api/admin/coupons/{id}/issue\` to a segment of ${MEMBERS.toLocaleString('en')} linked members, ${label}`,
      value: `${seconds.toFixed(1)} s (issued ${Number(issued.issued).toLocaleString('en')}, skipped ${issued.skipped})`,
      baseline: '—',
      ratio: null,
      goal: `≤ ${ISSUE_GOAL_S} s`,
      met: seconds <= ISSUE_GOAL_S && issued.issued === MEMBERS,
    })
    log(`${rows.at(-1)?.scenario}: ${rows.at(-1)?.value}; load ${loadavg()[0]?.toFixed(2)}`)

    // The members' copies and links, read beside the running server.
    const pairs = (
      await read<{ link: number; copy: number }>(
        `SELECT l.id AS link, m.id AS copy FROM member_coupons m
          JOIN line_links l ON l.card_id = m.card_id AND l.unlinked_at IS NULL
          WHERE m.coupon_id = $1 ORDER BY m.card_id`,
        [Number(coupon.id)],
      )
    ).map((p) => ({ link: Number(p.link), copy: Number(p.copy) }))
    const clerk = await login(server.base, 'bench-clerk', CLERK_PASSWORD)
    const key = Buffer.from(secrets.QR_TOKEN_SECRET, 'hex')
    const award = (qrToken: string) => ({
      qrToken,
      type: 'award',
      purchaseAmount: 100 + Math.floor(Math.random() * 20_000),
    })
    const redeem = (qrToken: string, memberCouponId: number) => ({ qrToken, memberCouponId })
    // Each run its own slice of the members, so the uses spread over distinct members.
    const slice = (n: number) => pairs.slice((n * pairs.length) / 3, ((n + 1) * pairs.length) / 3)
    const runs: [string, Load, boolean][] = []
    // One of each first: a refusal here stops the bench with the server's answer.
    for (const [path, body] of [
      ['/api/staff/points', award],
      ['/api/staff/coupons/redeem', redeem],
    ] as const) {
      const probe = pooled(pairs.slice(-1), key, clerk, body).setup({ headers: {} }) as {
        headers: Record<string, string>
        body: string
      }
      await post(server.base, path, clerk, JSON.parse(probe.body), probe.headers['idempotency-key'])
    }
    for (const [name, n, body, path] of [
      ['award #1', 0, award, '/api/staff/points'],
      ['coupon redeem', 1, redeem, '/api/staff/coupons/redeem'],
      ['award #2', 2, award, '/api/staff/points'],
    ] as const) {
      const p = pooled(slice(n), key, clerk, body)
      const r = await load(`${server.base}${path}`, p.setup)
      runs.push([name, r, p.wrapped()])
      log(
        `${label} ${name}: ${r.rps} req/s, p99 ${r.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}${p.wrapped() ? ', TOKEN POOL WRAPPED' : ''}; load ${r.loadAverage}`,
      )
    }
    const [a1, b, a2] = runs.map(([, r]) => r) as [Load, Load, Load]
    const base = (a1.rps + a2.rps) / 2
    const ratio = Math.round((b.rps / base) * 1000) / 10
    const mismatches = Number((await read<{ n: number }>(MISMATCHES, []))[0]?.n ?? -1)
    const countOff = Number(
      (
        await read<{ n: number }>(
          `SELECT c.used_count - (SELECT count(*) FROM coupon_redemptions r
            WHERE r.coupon_id = c.id AND r.reversed_at IS NULL) AS n
          FROM coupons c WHERE c.id = $1`,
          [Number(coupon.id)],
        )
      )[0]?.n ?? -1,
    )
    const clean = runs.every(([, r, wrapped]) => r.non2xx === 0 && r.errors === 0 && !wrapped)
    rows.push({
      scenario: `\`POST /api/staff/coupons/redeem\` bonus-points coupon, new QR token and key per use, distinct members, ${label}`,
      value: `${b.rps.toLocaleString('en')} req/s, p99 ${b.p99} ms`,
      baseline: `award (same server, fresh tokens) ${Math.round(base).toLocaleString('en')} req/s (${a1.rps} / ${a2.rps})`,
      ratio,
      goal: `≥ ${REDEEM_GOAL_PCT} %`,
      met: ratio >= REDEEM_GOAL_PCT && clean && mismatches === 0 && countOff === 0,
      note: `load ${a1.loadAverage} / ${b.loadAverage} / ${a2.loadAverage}; ${b.requests.toLocaleString('en')} uses in the window; ledger ≠ balance on ${mismatches} cards; used_count − uses = ${countOff}${clean ? '' : `; non-2xx ${runs.map(([, r]) => r.non2xx).join('/')}, errors ${runs.map(([, r]) => r.errors).join('/')}`}`,
    })
    log(`${rows.at(-1)?.scenario}: ${rows.at(-1)?.value} = ${ratio} % (${rows.at(-1)?.note})`)
  } finally {
    await server.stop()
    await line.close()
  }
  return rows
}

/** The coupon rows, SQLite then PostgreSQL (`skipPg` leaves PostgreSQL out). */
export async function measureCoupons(
  log: (s: string) => void,
  skipPg: boolean,
): Promise<CouponRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'membercard-coupons-'))
  const rows: CouponRow[] = []
  try {
    const path = join(dir, 'coupons.db')
    const sqlite = () => Promise.resolve(openSqlite(path))
    rows.push(...(await one('SQLite', sqlite, sqliteRead(path), { DATABASE_PATH: path }, log)))
    if (!skipPg) {
      const cluster = await startPgCluster({ fsync: true, maxConnections: 60 })
      try {
        const url = await cluster.createDatabase('bench_coupons')
        rows.push(
          ...(await one('PostgreSQL', () => openPg(url), pgRead(url), { DATABASE_URL: url }, log)),
        )
      } finally {
        await cluster.stop()
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return rows
}

// `npx tsx bench/coupons.ts`: the rows alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await measureCoupons(
    (s) => console.log(`[coupons] ${s}`),
    process.env.BENCH_SKIP?.includes('coupons-pg') ?? false,
  )
  console.log(JSON.stringify(rows, null, 2))
}
