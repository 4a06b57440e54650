// biome-ignore-all lint/style/noRestrictedGlobals: a bench module reads its own settings
/**
 * `pnpm bench` rows of campaigns (issue 15), on SQLite and on a throwaway PostgreSQL cluster
 * (fsync on), each against the real server process (`server/src/index.ts`) and the stand-in
 * LINE served over HTTP on loopback, limited as LINE limits multicast: BENCH_CAMPAIGN_RATE
 * (200) requests in any second, past which it answers 429.
 *
 * The database holds BENCH_CAMPAIGN_MEMBERS (100,000) linked friends plus 2 % more who blocked
 * the account and 1 % more who turned promotions off (generated in SQL before the server
 * starts). An operator creates a campaign to every linked member (`POST /api/admin/campaigns`,
 * send now):
 * - **enqueue**: from the request to its 201, by which time every multicast batch (≤ 500 user
 *   IDs) is in the outbox, committed with the campaign (checked in the database: the batch
 *   rows and the user IDs they hold); the server's resident memory before and its peak
 *   meanwhile (VmHWM, reset just before where the kernel allows it);
 * - **send**: from the request until the campaign reports every batch settled, the stand-in's
 *   first to last accepted multicast against the minimum at the limit (batches ÷ rate), and
 *   what the stand-in recorded: every member exactly once and no one else, the 429s, the
 *   409s (a retry key seen before).
 *
 * BENCH_SKIP `campaigns` leaves these out, `campaigns-pg` (or `pg`) the PostgreSQL rows;
 * BENCH_ONLY=campaigns runs only these.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import BetterSqlite3 from 'better-sqlite3'
import pg from 'pg'
import { openPg } from '../server/src/db/pg.ts'
import { openSqlite } from '../server/src/db/sqlite.ts'
import { createLineStandIn } from '../server/src/line/stand-in.ts'
import {
  fillCampaignMembers,
  campaignUserOf as userOf,
} from '../server/test/support/campaign-fill.ts'
import { startPgCluster } from '../server/test/support/pg-cluster.ts'
import { startServer } from '../tests/support/server.ts'

const MEMBERS = Number(process.env.BENCH_CAMPAIGN_MEMBERS ?? 100_000)
/** LINE's documented limit for multicast: 200 requests a second per channel. */
const RATE = Number(process.env.BENCH_CAMPAIGN_RATE ?? 200)
const BLOCKED = Math.floor(MEMBERS / 50)
const OPTED_OUT = Math.floor(MEMBERS / 100)
const BATCH = 500
const ENQUEUE_GOAL_S = 10
const CHANNEL = '1234567890'
const ISSUER = 'https://access.line.me'
const OPERATOR = { staffId: 'bench-operator', password: 'bench-operator-password' }

export interface CampaignBenchRow {
  scenario: string
  value: string
  baseline: string
  ratio: number | null
  goal: string
  met: boolean | null
  note?: string
}

/** Resident memory of a process now and its peak so far (MB), from /proc (Linux). */
function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 }
}

/** CPU seconds (user + system) a process has used so far, from /proc (USER_HZ 100). */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

/** Resets a process's peak RSS to its current RSS (`echo 5 > /proc/pid/clear_refs`), if allowed. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** The stand-in LINE on a loopback port, limiting multicast to RATE requests a second. */
async function standInLine() {
  const line = await createLineStandIn({
    issuer: ISSUER,
    channelId: CHANNEL,
    rateLimits: { '/v2/bot/message/multicast': RATE },
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ hostname: '127.0.0.1', port: 0, fetch: line.app.fetch }, () => resolve(s))
  })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { line, base, close: () => new Promise<void>((r) => server.close(() => r())) }
}

/** The multicast batches in the outbox and the user IDs they hold (read beside the server). */
type OutboxCount = () => Promise<{ batches: number; users: number }>

const SQLITE_COUNT = `SELECT count(*) AS batches,
  coalesce(sum(json_array_length(json_extract(payload, '$.to'))), 0) AS users
  FROM outbox WHERE kind = 'multicast'`
const PG_COUNT = `SELECT count(*) AS batches,
  coalesce(sum(json_array_length((payload::json) -> 'to')), 0) AS users
  FROM outbox WHERE kind = 'multicast'`

interface Target {
  label: 'SQLite' | 'PostgreSQL'
  /** The server's database settings. */
  env: Record<string, string>
  /** The SQLite data folder (the server's `DATABASE_PATH` is `membercard.db` in it). */
  dataDir?: string
  outboxCount: OutboxCount
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const mb = (n: number) => `${Math.round(n)} MB`

/** One campaign to every member, through the real server, on `target`. */
async function measure(target: Target, log: (s: string) => void): Promise<CampaignBenchRow[]> {
  const stand = await standInLine()
  const server = await startServer({
    ...(target.dataDir ? { dataDir: target.dataDir } : {}),
    timeoutMs: 60_000,
    env: {
      ...target.env,
      LINE_LOGIN_CHANNEL_ID: CHANNEL,
      LIFF_ID: `${CHANNEL}-bench`,
      LINE_API_BASE: stand.base,
      LINE_ISSUER: ISSUER,
      LINE_MESSAGING_ACCESS_TOKEN: 'bench-access-token',
      LOG_LEVEL: 'info',
      POINTS_EXPIRY_INTERVAL_MINUTES: '0',
    },
  })
  try {
    const pid = server.process.pid as number
    const login = await fetch(`${server.url}/api/staff/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(OPERATOR),
    })
    if (login.status !== 200) throw new Error(`operator login: ${login.status}`)
    const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` }
    const before = memoryOf(pid)
    const peakReset = resetPeak(pid)
    const before0 = await target.outboxCount()

    const cpu0 = cpuOf(pid)
    const t0 = performance.now()
    const created = await fetch(`${server.url}/api/admin/campaigns`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({
        name: 'ベンチ 今月のおすすめ',
        segment: { all: [] },
        messages: [{ type: 'text', text: '今月のおすすめ 🎁 ポイント2倍デー開催中！' }],
      }),
    })
    const enqueueMs = performance.now() - t0
    const enqueueCpu = cpuOf(pid) - cpu0
    const enqueuePeak = memoryOf(pid)
    const queued = await target.outboxCount()
    if (created.status !== 201) {
      throw new Error(`campaign: ${created.status} ${await created.text()}`)
    }
    const campaign = (await created.json()) as { id: number; recipients: number; excluded: number }
    const batches = queued.batches - before0.batches
    const queuedUsers = queued.users - before0.users
    const expectedBatches = Math.ceil(MEMBERS / BATCH)
    log(
      `${target.label}: enqueue of ${campaign.recipients.toLocaleString('en')} recipients (${campaign.excluded} excluded) in ${seconds(enqueueMs)}: ${batches} batches, ${queuedUsers.toLocaleString('en')} user IDs in the outbox at the 201`,
    )
    resetPeak(pid)

    // Wait until every batch is settled (sent or failed), polling the campaign.
    let status = ''
    let report = { sent: 0, failed: 0 }
    const deadline = Date.now() + 15 * 60_000
    while (Date.now() < deadline) {
      const res = await fetch(`${server.url}/api/admin/campaigns/${campaign.id}`, { headers: auth })
      const c = (await res.json()) as { status: string; sent: number; failed: number }
      status = c.status
      report = c
      if (status !== 'sending') break
      await new Promise((r) => setTimeout(r, 50))
    }
    const totalMs = performance.now() - t0
    const sendCpu = cpuOf(pid) - cpu0 - enqueueCpu
    const sendPeak = memoryOf(pid)

    // What LINE (the stand-in) received.
    const multicasts = stand.line.calls.filter((c) => c.path === '/v2/bot/message/multicast')
    const firstAt = multicasts[0]?.at ?? 0
    const lastAt = multicasts.at(-1)?.at ?? 0
    const deliveries = stand.line.deliveries
    // Every member once (none missed, none twice), and no one else (the blocked, the opted out).
    let twice = 0
    let missed = 0
    for (let i = 1; i <= MEMBERS; i++) {
      const n = deliveries.get(userOf(i)) ?? 0
      if (n === 0) missed++
      else if (n > 1) twice++
    }
    const strangers = deliveries.size - (MEMBERS - missed)
    const exact = missed === 0 && twice === 0 && strangers === 0
    const limited = stand.line.rateLimited()
    const conflicts = stand.line.rejected.length
    const minimumMs = ((multicasts.length - 1) / RATE) * 1000
    const sendingMs = lastAt - firstAt
    log(
      `${target.label}: campaign ${status} (sent ${report.sent}, failed ${report.failed}) ${seconds(totalMs)} after the POST; LINE got ${multicasts.length} multicasts in ${seconds(sendingMs)} (minimum ${seconds(minimumMs)} at ${RATE}/s), ${deliveries.size} users, ${missed} missed, ${twice} more than once, ${strangers} not members; ${limited} × 429, ${conflicts} × 409`,
    )

    const noteMemory = peakReset
      ? ''
      : ' (the peak is since the server started: clear_refs not allowed)'
    const enqueueOk =
      created.status === 201 &&
      campaign.recipients === MEMBERS &&
      batches === expectedBatches &&
      queuedUsers === MEMBERS
    const sendOk = exact && status === 'sent' && report.sent === MEMBERS && report.failed === 0
    const rows: CampaignBenchRow[] = [
      {
        scenario: `campaign enqueue: \`POST /api/admin/campaigns\` to ${MEMBERS.toLocaleString('en')} reachable members (+ ${(BLOCKED + OPTED_OUT).toLocaleString('en')} blocked or opted out) → ${expectedBatches} multicast batches in the outbox, ${target.label}`,
        value: `${seconds(enqueueMs)} to the 201 (server CPU ${enqueueCpu.toFixed(1)} s; ${batches} batches, ${queuedUsers.toLocaleString('en')} user IDs committed), server RSS ${mb(before.rssMb)} before, peak ${mb(enqueuePeak.peakMb)}${noteMemory}`,
        baseline: '—',
        ratio: null,
        goal: `≤ ${ENQUEUE_GOAL_S} s, every batch queued`,
        met: enqueueOk && enqueueMs <= ENQUEUE_GOAL_S * 1000,
      },
      {
        scenario: `campaign send end to end: ${MEMBERS.toLocaleString('en')} members through the outbox worker to the stand-in LINE over HTTP, limited to ${RATE} multicast requests/s, ${target.label}`,
        value: `${seconds(totalMs)} from the POST to the last batch settled (${status}: sent ${report.sent.toLocaleString('en')}, failed ${report.failed}); LINE got ${multicasts.length} multicasts in ${seconds(sendingMs)}, minimum at ${RATE}/s ${seconds(minimumMs)}; ${deliveries.size.toLocaleString('en')} users, each ${exact ? 'exactly once' : `NOT exactly once (${missed} missed, ${twice} repeated, ${strangers} others)`}; ${limited} × 429, ${conflicts} × 409; server CPU ${sendCpu.toFixed(1)} s while sending, peak RSS ${mb(sendPeak.peakMb)}`,
        baseline: '—',
        ratio: null,
        goal: 'every member exactly once, no 429, sending ≤ 2 × the minimum + 1 s',
        met: sendOk && limited === 0 && sendingMs <= 2 * minimumMs + 1000,
      },
    ]
    for (const r of rows) log(`${r.scenario}: ${r.value}`)
    return rows
  } finally {
    await server.stop()
    await stand.close()
    if (!target.dataDir) rmSync(server.dataDir, { recursive: true, force: true })
  }
}

/** The campaign rows: SQLite, then PostgreSQL (unless `skip` has `campaigns-pg` or `pg`). */
export async function measureCampaigns(
  log: (s: string) => void,
  skip: Set<string>,
): Promise<CampaignBenchRow[]> {
  const rows: CampaignBenchRow[] = []
  const now = Date.now()
  const dataDir = mkdtempSync(join(tmpdir(), 'membercard-campaigns-'))
  try {
    const path = join(dataDir, 'membercard.db')
    const db = openSqlite(path)
    try {
      await fillCampaignMembers(db, {
        members: MEMBERS,
        blocked: BLOCKED,
        optedOut: OPTED_OUT,
        now,
        operator: OPERATOR,
      })
    } finally {
      await db.close()
    }
    const reader = new BetterSqlite3(path, { readonly: true })
    try {
      rows.push(
        ...(await measure(
          {
            label: 'SQLite',
            env: {},
            dataDir,
            outboxCount: async () => {
              const r = reader.prepare(SQLITE_COUNT).get() as { batches: number; users: number }
              return { batches: Number(r.batches), users: Number(r.users) }
            },
          },
          log,
        )),
      )
    } finally {
      reader.close()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
  if (skip.has('campaigns-pg') || skip.has('pg')) return rows
  const cluster = await startPgCluster({ fsync: true, maxConnections: 30 })
  try {
    const url = await cluster.createDatabase('bench_campaigns')
    const db = await openPg(url)
    try {
      await fillCampaignMembers(db, {
        members: MEMBERS,
        blocked: BLOCKED,
        optedOut: OPTED_OUT,
        now,
        operator: OPERATOR,
      })
    } finally {
      await db.close()
    }
    const reader = new pg.Client({ connectionString: url })
    await reader.connect()
    try {
      rows.push(
        ...(await measure(
          {
            label: 'PostgreSQL',
            env: {
              DATABASE_URL: url,
              PIN_HASH_SECRET: randomBytes(32).toString('hex'),
              QR_TOKEN_SECRET: randomBytes(32).toString('hex'),
            },
            outboxCount: async () => {
              const { rows: r } = await reader.query<{ batches: string; users: string }>(PG_COUNT)
              return { batches: Number(r[0]?.batches), users: Number(r[0]?.users) }
            },
          },
          log,
        )),
      )
    } finally {
      await reader.end()
    }
  } finally {
    await cluster.stop()
  }
  return rows
}
