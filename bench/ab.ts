// biome-ignore-all lint/style/noRestrictedGlobals: a bench entry point reads its own settings
/**
 * `GET /api/me` with a new token every request against the verify baseline, measured in short
 * interleaved slices (baseline, server, baseline, server, ...) and compared pair by pair: on a
 * shared machine the load drifts within seconds, and `pnpm bench`'s single A B A run of this
 * scenario moved by ±8 points from run to run; the median of paired ratios moves by ~1.
 *
 * Usage: `npx tsx bench/ab.ts` (ROUNDS=8, SLICE=3 seconds). `AB=head,head+NAME` also runs a
 * second server started with the environment variable NAME=1, for an experiment behind a flag.
 * Each server has its own fresh database; every request is a new user's new token (unlinked).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { generateKeyPairSync, sign } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'

const ISSUER = 'https://access.line.me'
const CHANNEL = '1234567890'
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k', alg: 'ES256', use: 'sig' }
const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k', typ: 'JWT' })).toString(
  'base64url',
)
let serial = 5_000_000
const mint = () => {
  const now = Math.floor(Date.now() / 1000)
  const sub = `U${(serial++).toString(16).padStart(32, '0')}`
  const payload = Buffer.from(
    JSON.stringify({ iss: ISSUER, sub, aud: CHANNEL, iat: now, exp: now + 3600, name: 'Bench' }),
  ).toString('base64url')
  const input = `${header}.${payload}`
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
}
const jwksServer = createServer((_q, r) => {
  r.setHeader('content-type', 'application/json')
  r.end(JSON.stringify({ keys: [jwk] }))
})
await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r))
const lineBase = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`
const work = mkdtempSync(join(tmpdir(), 'ab-'))
let nextPort = 4700
const procs: ChildProcess[] = []
async function start(
  name: string,
  file: string,
  args: string[],
  env: Record<string, string>,
  probe: string,
) {
  const port = nextPort++
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: '/work/main',
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
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}${probe}`)).status < 500) break
    } catch {}
    await new Promise((r) => setTimeout(r, 100))
  }
  return { name, url: `http://127.0.0.1:${port}`, pid: child.pid! }
}
const cpu = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) * 10_000
}
const variants = (process.env.AB ?? 'head').split(',')
const targets = [
  await start(
    'verify',
    'bench/baselines.ts',
    ['verify'],
    { BENCH_JWKS: `${lineBase}/oauth2/v2.1/certs`, BENCH_ISSUER: ISSUER, BENCH_AUD: CHANNEL },
    '/verify',
  ),
]
for (const v of variants) {
  const env: Record<string, string> = {
    DATABASE_PATH: join(work, `${v}.db`),
    LINE_LOGIN_CHANNEL_ID: CHANNEL,
    LIFF_ID: `${CHANNEL}-b`,
    LINE_API_BASE: lineBase,
    LINE_ISSUER: ISSUER,
    LOG_LEVEL: 'warn',
    POINTS_EXPIRY_INTERVAL_MINUTES: '0',
  }
  for (const kv of v.split('+').slice(1)) env[kv] = '1'
  targets.push(await start(v, 'server/src/index.ts', [], env, '/healthz'))
}
const ROUNDS = Number(process.env.ROUNDS ?? 8)
const SLICE = Number(process.env.SLICE ?? 3)
const res = new Map<string, { rps: number; cpu: number }[]>()
for (let round = 0; round < ROUNDS; round++) {
  for (const t of targets) {
    const tokens = Array.from({ length: 9000 * (SLICE + 1) }, mint)
    let i = 0
    const path = t.name === 'verify' ? '/verify' : '/api/me'
    const opts = {
      url: `${t.url}${path}`,
      connections: 50,
      pipelining: 1,
      requests: [
        {
          method: 'GET',
          setupRequest: (req: { headers?: Record<string, string> }) => ({
            ...req,
            headers: { ...req.headers, authorization: `Bearer ${tokens[i++ % tokens.length]}` },
          }),
        },
      ],
    }
    await autocannon({ ...opts, duration: 1 } as autocannon.Options)
    const c0 = cpu(t.pid)
    const r = await autocannon({ ...opts, duration: SLICE } as autocannon.Options)
    const c1 = cpu(t.pid)
    const list = res.get(t.name) ?? []
    if (r.non2xx + r.errors + r.timeouts > 0) {
      throw new Error(`${t.name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`)
    }
    list.push({ rps: r.requests.average, cpu: (c1 - c0) / r.requests.total })
    res.set(t.name, list)
  }
  const line = [...res]
    .map(([n, l]) => `${n} ${Math.round(l.at(-1)!.rps)}/${l.at(-1)!.cpu.toFixed(0)}µs`)
    .join('  ')
  console.log(`round ${round + 1}: ${line}`)
}
const med = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y)
  return s[Math.floor(s.length / 2)]!
}
const v = res.get('verify')!
for (const [n, l] of res) {
  if (n === 'verify') continue
  const rr = l.map((x, k) => x.rps / v[k]!.rps)
  const cr = l.map((x, k) => v[k]!.cpu / x.cpu)
  console.log(
    `${n}: median paired rps ratio ${(100 * med(rr)).toFixed(1)} %, cpu ratio ${(100 * med(cr)).toFixed(1)} % (cpu ${med(l.map((x) => x.cpu)).toFixed(0)} vs ${med(v.map((x) => x.cpu)).toFixed(0)} µs)`,
  )
}
for (const p of procs) p.kill()
jwksServer.close()
process.exit(0)
