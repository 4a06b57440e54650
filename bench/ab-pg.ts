// biome-ignore-all lint/style/noRestrictedGlobals: a bench entry point reads its own settings
/**
 * The till's award on PostgreSQL against the `pg-write` baseline (bench/baselines.ts), in short
 * interleaved slices (baseline, server, baseline, server, ...; the order rotates each round)
 * compared pair by pair. `pnpm bench` runs this scenario once (A B A, 10 s each); on a shared
 * machine the CPU a database round trip costs moves by half between two windows of one run, and
 * the median of paired slices moves much less.
 *
 * Usage: `npx tsx bench/ab-pg.ts` from the worktree root. TREES=label=/path,... also runs the
 * servers of other checkouts (each installed, same migrations) on the same database, for an
 * A/B of a change; ROUNDS (10), SLICE (3 s). Prints per target the median req/s, server and
 * PostgreSQL CPU µs per request, and the median paired ratio to the baseline.
 * PG_STATEMENTS=1 also loads pg_stat_statements and prints, per database, the statements
 * with their calls and execution time per award (`bench`: the servers, `bench_raw`: the
 * baseline).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import autocannon from 'autocannon'
import pg from 'pg'
import { startPgCluster } from '../server/test/support/pg-cluster.ts'
import { benchCardNumber, benchPin, writeCardsCsv } from './cards-csv.ts'

const ROOT = resolve(import.meta.dirname, '..')
const ISSUER = 'https://access.line.me'
const CHANNEL = '1234567890'
const MEMBERS = Number(process.env.MEMBERS ?? 100_000)
const LINKED = 1000
const ROUNDS = Number(process.env.ROUNDS ?? 10)
const SLICE = Number(process.env.SLICE ?? 3)
const trees = [
  { label: 'server', path: ROOT },
  ...(process.env.TREES ?? '')
    .split(',')
    .filter(Boolean)
    .map((t) => {
      const [label, path] = t.split('=')
      if (!label || !path) throw new Error('TREES=label=/path,label=/path')
      return { label, path }
    }),
]

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k', alg: 'ES256', use: 'sig' }
const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k', typ: 'JWT' })).toString(
  'base64url',
)
const mint = (sub: string) => {
  const now = Math.floor(Date.now() / 1000)
  const payload = Buffer.from(
    JSON.stringify({ iss: ISSUER, sub, aud: CHANNEL, iat: now, exp: now + 3600, name: 'Bench' }),
  ).toString('base64url')
  const input = `${header}.${payload}`
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
}
const userId = (n: number) => `U${n.toString(16).padStart(32, '0')}`
const jwksServer = createServer((_q, r) => {
  r.setHeader('content-type', 'application/json')
  r.end(JSON.stringify({ keys: [jwk] }))
})
await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r))
const lineBase = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`
const work = mkdtempSync(join(tmpdir(), 'ab-pg-'))
const procs: ChildProcess[] = []
process.on('exit', () => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL')
  rmSync(work, { recursive: true, force: true })
})

const ticks = (pid: number) => {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return s.slice(s.lastIndexOf(')') + 2).split(' ')
}
/** CPU µs used so far by a process. */
const cpu = (pid: number) => {
  const f = ticks(pid)
  return (Number(f[11]) + Number(f[12])) * 10_000
}
/** CPU µs used so far by PostgreSQL: the postmaster, its children, and its reaped children. */
const pgCpu = (postmaster: number) => {
  let us = 0
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    let f: string[]
    try {
      f = ticks(Number(e))
    } catch {
      continue
    }
    const own = Number(f[11]) + Number(f[12])
    if (Number(e) === postmaster) us += (own + Number(f[13]) + Number(f[14])) * 10_000
    else if (Number(f[1]) === postmaster) us += own * 10_000
  }
  return us
}

let nextPort = 5800 + Math.floor(Math.random() * 1000)
async function startNode(cwd: string, file: string, args: string[], env: Record<string, string>) {
  const port = nextPort++
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...env,
      PORT: String(port),
      BENCH_PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  procs.push(child)
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    try {
      await fetch(`${base}/healthz`)
      break
    } catch {}
    if (child.exitCode !== null || i > 600) throw new Error(`${file} did not start`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    base,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done()
        child.once('exit', () => done())
        child.kill('SIGTERM')
      }),
  }
}

const STATEMENTS = process.env.PG_STATEMENTS === '1'
const cluster = await startPgCluster({ fsync: true, maxConnections: 100 })
if (STATEMENTS) {
  const c = new pg.Client({ connectionString: cluster.adminUrl })
  await c.connect()
  await c.query("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
  await c.end()
  await cluster.stopServer()
  await cluster.startServer()
}
const url = await cluster.createDatabase('bench')
if (STATEMENTS) {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  await c.query('CREATE EXTENSION pg_stat_statements')
  await c.end()
}
const admin = new pg.Client({ connectionString: url })
await admin.connect()
const backend = (await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
const postmaster = Number(ticks(backend)[1])
await admin.end()
const env = {
  DATABASE_URL: url,
  PIN_HASH_SECRET: randomBytes(32).toString('hex'),
  QR_TOKEN_SECRET: randomBytes(32).toString('hex'),
}
const serverEnv = {
  ...env,
  LINE_LOGIN_CHANNEL_ID: CHANNEL,
  LIFF_ID: `${CHANNEL}-b`,
  LINE_API_BASE: lineBase,
  LINE_ISSUER: ISSUER,
  LOG_LEVEL: 'warn',
  CARD_TOKEN_TTL_SECONDS: '3600',
  POINTS_EXPIRY_INTERVAL_MINUTES: '0',
}
const csv = join(work, 'cards.csv')
await writeCardsCsv(csv, MEMBERS)
for (const cmd of [
  ['pnpm', '--silent', 'cards:import', csv],
  ['pnpm', '--silent', 'staff:add', '--id', 'clerk', '--store', 'S001', '--role', 'clerk'],
]) {
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    input: 'clerk-password\n',
    encoding: 'utf8',
  })
  if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stdout}${r.stderr}`)
}
const setup = await startNode(ROOT, 'server/src/index.ts', [], serverEnv)
const members: { qr: string }[] = []
let next = 0
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < LINKED) {
      const i = next++
      const auth = { authorization: `Bearer ${mint(userId(i + 1))}` }
      const link = await fetch(`${setup.base}/api/link`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          cardNumber: benchCardNumber(i * 97),
          pin: benchPin(i * 97),
          consent: { version: '2026-11-01', accepted: true },
        }),
      })
      if (link.status !== 201) throw new Error(`link ${i}: ${link.status}`)
      const qr = await fetch(`${setup.base}/api/card/qr`, { headers: auth })
      members[i] = { qr: ((await qr.json()) as { token: string }).token }
    }
  }),
)
const login = await fetch(`${setup.base}/api/staff/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ staffId: 'clerk', password: 'clerk-password' }),
})
const staffToken = ((await login.json()) as { token: string }).token
await setup.stop()
let rawUrl = ''
for (let attempt = 1; ; attempt++) {
  try {
    rawUrl = await cluster.createDatabase('bench_raw', { template: 'bench' })
    break
  } catch (err) {
    if (attempt >= 50) throw err
    await new Promise((r) => setTimeout(r, 100))
  }
}

if (STATEMENTS) {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  await c.query('SELECT pg_stat_statements_reset()')
  await c.end()
}
const targets = [
  {
    label: 'pg-write',
    path: '/award',
    ...(await startNode(ROOT, 'bench/baselines.ts', ['pg-write'], {
      BENCH_PG_URL: rawUrl,
      BENCH_QR_KEY: env.QR_TOKEN_SECRET,
    })),
  },
]
for (const t of trees) {
  targets.push({
    label: t.label,
    path: '/api/staff/points',
    ...(await startNode(t.path, 'server/src/index.ts', [], serverEnv)),
  })
}

const award = (req: { headers?: Record<string, string> }) => {
  const m = members[Math.floor(Math.random() * LINKED)]!
  return {
    ...req,
    headers: {
      ...req.headers,
      authorization: `Bearer ${staffToken}`,
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
const res = new Map<string, { rps: number; cpu: number; db: number; load: number }[]>()
for (let round = 0; round < ROUNDS; round++) {
  const order = targets.map((_, k) => targets[(k + round) % targets.length]!)
  for (const t of order) {
    const opts = {
      url: `${t.base}${t.path}`,
      connections: 50,
      pipelining: 1,
      requests: [{ method: 'POST', setupRequest: award }],
    }
    await autocannon({ ...opts, duration: 1 } as autocannon.Options)
    const c0 = cpu(t.pid)
    const d0 = pgCpu(postmaster)
    const r = await autocannon({ ...opts, duration: SLICE } as autocannon.Options)
    const c1 = cpu(t.pid)
    const d1 = pgCpu(postmaster)
    if (r.non2xx + r.errors + r.timeouts > 0) {
      throw new Error(`${t.label}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`)
    }
    const list = res.get(t.label) ?? []
    list.push({
      rps: r.requests.average,
      cpu: (c1 - c0) / r.requests.total,
      db: (d1 - d0) / r.requests.total,
      load: loadavg()[0] ?? 0,
    })
    res.set(t.label, list)
  }
  console.log(
    `round ${round + 1}: ${[...res].map(([l, x]) => `${l} ${Math.round(x.at(-1)!.rps)} req/s ${x.at(-1)!.cpu.toFixed(0)}+${x.at(-1)!.db.toFixed(0)} µs`).join('  ')}; load ${loadavg()[0]?.toFixed(2)}`,
  )
}
const med = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const base = res.get('pg-write')!
const summary: Record<string, unknown> = {}
for (const [label, l] of res) {
  const paired = l.map((x, k) => x.rps / base[k]!.rps)
  summary[label] = {
    rps: Math.round(med(l.map((x) => x.rps))),
    serverCpuUs: Math.round(med(l.map((x) => x.cpu))),
    postgresCpuUs: Math.round(med(l.map((x) => x.db))),
    pairedRatio: Math.round(med(paired) * 1000) / 10,
    pairedRange: [Math.min(...paired), Math.max(...paired)].map((x) => Math.round(x * 1000) / 10),
    load: [Math.min(...l.map((x) => x.load)), Math.max(...l.map((x) => x.load))].map(
      (x) => Math.round(x * 100) / 100,
    ),
  }
}
console.log(JSON.stringify(summary, null, 1))
if (STATEMENTS) {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  for (const db of ['bench', 'bench_raw']) {
    const awards = Number(
      (
        await c.query(
          `SELECT sum(calls) AS n FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = $1 AND query LIKE 'INSERT INTO ledger%'`,
          [db],
        )
      ).rows[0]?.n ?? 1,
    )
    const { rows } = await c.query(
      `SELECT calls, total_exec_time AS ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS q
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = $1 ORDER BY total_exec_time DESC LIMIT 20`,
      [db],
    )
    console.log(`\n${db}: ${awards} awards; per award: calls, exec µs, statement`)
    for (const r of rows) {
      console.log(
        `  ${(Number(r.calls) / awards).toFixed(2)} ${((Number(r.ms) * 1000) / awards).toFixed(0).padStart(5)}  ${r.q}`,
      )
    }
  }
  await c.end()
}
await Promise.all(targets.map((t) => t.stop()))
await cluster.stop()
jwksServer.close()
process.exit(0)
