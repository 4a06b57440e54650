// biome-ignore-all lint/style/noRestrictedGlobals: a bench entry point reads its own settings
/**
 * The same scenarios on servers built from different checkouts, measured in short interleaved
 * slices (A B C A B C ...; the order rotates each round) and compared pair by pair: on a
 * shared machine the load drifts within seconds, so a pair measured seconds apart is a fairer
 * comparison than two `pnpm bench` runs minutes apart.
 *
 * Usage: `npx tsx bench/ab-trees.ts` from the worktree root, with
 * TREES=label=/path/to/checkout,label2=/path (each checkout installed), SCENARIOS
 * (me,qr,new,award), ROUNDS (8), SLICE (3 s). Prints per scenario and checkout the median
 * req/s and server CPU µs/request, and the median paired ratio to the first checkout.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { benchCardNumber, benchPin, writeCardsCsv } from './cards-csv.ts'

const ISSUER = 'https://access.line.me'
const CHANNEL = '1234567890'
const MEMBERS = Number(process.env.MEMBERS ?? 100_000)
const LINKED = 1000
const ROUNDS = Number(process.env.ROUNDS ?? 8)
const SLICE = Number(process.env.SLICE ?? 3)
const SCENARIOS = (process.env.SCENARIOS ?? 'me,qr,new,award').split(',')
const trees = (process.env.TREES ?? '').split(',').map((t) => {
  const [label, path] = t.split('=')
  if (!label || !path) throw new Error('TREES=label=/path,label=/path')
  return { label, path }
})

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
const work = mkdtempSync(join(tmpdir(), 'ab-trees-'))
const procs: ChildProcess[] = []
process.on('exit', () => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL')
  rmSync(work, { recursive: true, force: true })
})

const csv = join(work, 'cards.csv')
await writeCardsCsv(csv, MEMBERS)

const cpu = (pid: number) => {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) * 10_000
}

interface Target {
  label: string
  base: string
  pid: number
  members: { token: string; qr: string }[]
  staffToken: string
}

let nextPort = 4800 + Math.floor(Math.random() * 1000)
async function start(label: string, path: string): Promise<Target> {
  const dbPath = join(work, `${label}.db`)
  const env = { ...process.env, DATABASE_PATH: dbPath }
  for (const cmd of [
    ['pnpm', '--silent', 'cards:import', csv],
    [
      'pnpm',
      '--silent',
      'staff:add',
      '--id',
      'clerk',
      '--store',
      'S001',
      '--store-name',
      'Bench',
      '--role',
      'clerk',
    ],
  ]) {
    const r = spawnSync(cmd[0]!, cmd.slice(1), {
      cwd: path,
      env,
      input: 'clerk-password\n',
      encoding: 'utf8',
    })
    if (r.status !== 0) throw new Error(`${label}: ${cmd.join(' ')}: ${r.stdout}${r.stderr}`)
  }
  const port = nextPort++
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/index.ts'], {
    cwd: path,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_PATH: dbPath,
      LINE_LOGIN_CHANNEL_ID: CHANNEL,
      LIFF_ID: `${CHANNEL}-b`,
      LINE_API_BASE: lineBase,
      LINE_ISSUER: ISSUER,
      LOG_LEVEL: 'warn',
      CARD_TOKEN_TTL_SECONDS: '3600',
      POINTS_EXPIRY_INTERVAL_MINUTES: '0',
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  procs.push(child)
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).status < 500) break
    } catch {}
    if (i > 600) throw new Error(`${label} did not start`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const members: { token: string; qr: string }[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < LINKED) {
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
        if (link.status !== 201) throw new Error(`link ${i}: ${link.status}`)
        const qr = await fetch(`${base}/api/card/qr`, { headers: auth })
        members[i] = { token, qr: ((await qr.json()) as { token: string }).token }
      }
    }),
  )
  const login = await fetch(`${base}/api/staff/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ staffId: 'clerk', password: 'clerk-password' }),
  })
  const staffToken = ((await login.json()) as { token: string }).token
  return { label, base, pid: child.pid!, members, staffToken }
}

const targets: Target[] = []
for (const t of trees) targets.push(await start(t.label, t.path))
let fresh = 3_000_000

type Setup = (req: { headers?: Record<string, string>; body?: string }) => {
  headers?: Record<string, string>
  body?: string
}
function scenario(name: string, t: Target): { path: string; method: string; setup: Setup } {
  let i = 0
  const returning: Setup = (req) => ({
    ...req,
    headers: { ...req.headers, authorization: `Bearer ${t.members[i++ % LINKED]!.token}` },
  })
  if (name === 'me') return { path: '/api/me', method: 'GET', setup: returning }
  if (name === 'qr') return { path: '/api/card/qr', method: 'GET', setup: returning }
  if (name === 'new') {
    const tokens = Array.from({ length: 8000 * (SLICE + 1) }, () => mint(userId(fresh++)))
    return {
      path: '/api/me',
      method: 'GET',
      setup: (req) => ({
        ...req,
        headers: { ...req.headers, authorization: `Bearer ${tokens[i++ % tokens.length]}` },
      }),
    }
  }
  return {
    path: '/api/staff/points',
    method: 'POST',
    setup: (req) => {
      const m = t.members[Math.floor(Math.random() * LINKED)]!
      return {
        ...req,
        headers: {
          ...req.headers,
          authorization: `Bearer ${t.staffToken}`,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify({
          qrToken: m.qr,
          type: 'award',
          purchaseAmount: 100 + Math.floor(Math.random() * 20_000),
        }),
      }
    },
  }
}

const med = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const summary: Record<string, unknown> = {}
for (const name of SCENARIOS) {
  const res = new Map<string, { rps: number; cpu: number; load: number }[]>()
  for (let round = 0; round < ROUNDS; round++) {
    const order = targets.map((_, k) => targets[(k + round) % targets.length]!)
    for (const t of order) {
      const s = scenario(name, t)
      const opts = {
        url: `${t.base}${s.path}`,
        connections: 50,
        pipelining: 1,
        requests: [{ method: s.method, setupRequest: s.setup }],
      }
      await autocannon({ ...opts, duration: 1 } as autocannon.Options)
      const c0 = cpu(t.pid)
      const r = await autocannon({ ...opts, duration: SLICE } as autocannon.Options)
      const c1 = cpu(t.pid)
      if (r.non2xx + r.errors + r.timeouts > 0) {
        throw new Error(`${t.label} ${name}: ${r.non2xx} non-2xx, ${r.errors} errors`)
      }
      const list = res.get(t.label) ?? []
      list.push({
        rps: r.requests.average,
        cpu: (c1 - c0) / r.requests.total,
        load: loadavg()[0] ?? 0,
      })
      res.set(t.label, list)
    }
    console.log(
      `${name} round ${round + 1}: ${[...res].map(([l, x]) => `${l} ${Math.round(x.at(-1)!.rps)}/${x.at(-1)!.cpu.toFixed(0)}µs`).join('  ')}  load ${loadavg()[0]?.toFixed(2)}`,
    )
  }
  const first = res.get(targets[0]!.label)!
  const out: Record<string, unknown> = {}
  for (const [label, l] of res) {
    const rr = l.map((x, k) => x.rps / first[k]!.rps)
    const cr = l.map((x, k) => first[k]!.cpu / x.cpu)
    out[label] = {
      rps: Math.round(med(l.map((x) => x.rps))),
      cpuUs: Math.round(med(l.map((x) => x.cpu))),
      pairedRps: Math.round(med(rr) * 1000) / 10,
      pairedRpsRange: [Math.min(...rr), Math.max(...rr)].map((x) => Math.round(x * 1000) / 10),
      pairedCpu: Math.round(med(cr) * 1000) / 10,
      load: [Math.min(...l.map((x) => x.load)), Math.max(...l.map((x) => x.load))].map(
        (x) => Math.round(x * 100) / 100,
      ),
    }
  }
  summary[name] = out
  console.log(`${name}: ${JSON.stringify(out)}`)
}
console.log(JSON.stringify(summary))
jwksServer.close()
process.exit(0)
