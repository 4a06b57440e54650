import { randomUUID } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_RECORDED } from '../../server/src/line/stand-in.ts'
import { ROOT, type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import {
  call,
  idTokenFor,
  type LinkedMember,
  linkMember,
  randomSub,
  rssKiB,
  staffToken,
} from './helpers.ts'

/** Steady phase length; two minutes unless STEADY_SECONDS says otherwise (for a quick try). */
const STEADY_MS = Number(process.env.STEADY_SECONDS ?? 120) * 1000
/** The unmeasured slice of the same mix before the first snapshot. */
const WARMUP_MS = 20_000
/** New LINE users per second in the steady phase: more over the run than the token cache holds. */
const NEW_USERS_PER_S = 100
/** Entries the ID-token cache keeps (server/src/line/id-token.ts). */
const TOKEN_CACHE = 10_000

/**
 * Takes a heap snapshot of the server (it runs a full GC first), returns the live heap bytes.
 * The server was started with --heapsnapshot-signal=SIGUSR2.
 */
async function liveHeapBytes(server: RunningServer): Promise<number> {
  const before = new Set(readdirSync(server.dataDir))
  server.process.kill('SIGUSR2')
  let file: string | undefined
  for (let i = 0; i < 600 && !file; i++) {
    await new Promise((r) => setTimeout(r, 100))
    const found = readdirSync(server.dataDir).find(
      (f) => f.endsWith('.heapsnapshot') && !before.has(f),
    )
    if (found) {
      // finished once it parses
      try {
        const snap = JSON.parse(readFileSync(join(server.dataDir, found), 'utf8')) as {
          snapshot: { meta: { node_fields: string[] } }
          nodes: number[]
        }
        file = found
        const fields = snap.snapshot.meta.node_fields
        const at = fields.indexOf('self_size')
        let total = 0
        for (let n = at; n < snap.nodes.length; n += fields.length) total += snap.nodes[n]!
        rmSync(join(server.dataDir, found))
        return total
      } catch {
        // still being written
      }
    }
  }
  throw new Error('no heap snapshot')
}

/**
 * Two minutes at a steady rate (new and returning customers, QR codes, awards, failed link
 * attempts): the server's live heap after a full GC does not grow beyond noise. The token
 * cache is filled to its bound before the first measurement, so a cache (or rate limiter)
 * that kept growing would show as megabytes here.
 */
describe('steady load', () => {
  let server: RunningServer
  let members: LinkedMember[]
  let staff: string
  /** When the server started listening (its security purge runs a minute later). */
  let startedAt = 0
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'membercard-soak-'))
    server = await startServer({
      dataDir,
      env: {
        CARD_TOKEN_TTL_SECONDS: '3600',
        NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dataDir}`,
      },
    })
    const cards = [
      { cardNumber: '4900000000000011', pin: '1234', points: 0 },
      { cardNumber: '4900000000000029', pin: '2345', points: 0 },
      { cardNumber: '4900000000000037', pin: '3456', points: 0 },
    ]
    startedAt = Date.now()
    seedOldSecurityRecords(server.databasePath)
    members = []
    for (const c of cards) members.push(await linkMember(server.url, c))
    staff = await staffToken(server.url)
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  const newUser = async () => {
    const token = await idTokenFor(server.url, randomSub())
    const res = await call(server.url, '/api/me', { token })
    if (res.status !== 200) throw new Error(`new user /api/me: ${res.status}`)
    return token
  }

  it('keeps the live heap flat over two minutes', async () => {
    // Warm-up: more new users than the token cache holds, as fast as they come.
    let made = 0
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (made < TOKEN_CACHE + 500) {
          made++
          await newUser()
        }
      }),
    )
    const failures: string[] = []
    const counts = { newUsers: 0, me: 0, qr: 0, awards: 0, linkFailures: 0 }
    const inFlight = new Set<Promise<void>>()
    const track = (p: Promise<void>) => {
      const q = p.catch((err: Error) => {
        failures.push(err.message)
      })
      inFlight.add(q)
      void q.finally(() => inFlight.delete(q))
    }
    /** The steady mix for `ms`: new users (every fifth a failed link), me, QR, awards. */
    const steady = async (ms: number) => {
      const tickMs = 100
      const started = performance.now()
      for (let tick = 0; performance.now() - started < ms; tick++) {
        const due = started + tick * tickMs
        const wait = due - performance.now()
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        for (let i = 0; i < (NEW_USERS_PER_S * tickMs) / 1000; i++) {
          track(
            newUser().then(async (token) => {
              counts.newUsers++
              if (counts.newUsers % 5 === 0) {
                const res = await call(server.url, '/api/link', {
                  token,
                  body: {
                    cardNumber: '4900000000000011',
                    pin: '0000',
                    consent: { version: '2026-11-01', accepted: true },
                  },
                })
                // the card is linked already, or its attempts are capped
                if (![409, 422, 429].includes(res.status)) throw new Error(`link ${res.status}`)
                counts.linkFailures++
              }
            }),
          )
        }
        const m = members[tick % members.length]!
        track(
          call(server.url, '/api/me', { token: m.idToken }).then((r) => {
            if (r.status !== 200) throw new Error(`me ${r.status}`)
            counts.me++
          }),
        )
        track(
          call(server.url, '/api/card/qr', { token: m.idToken }).then((r) => {
            if (r.status !== 200) throw new Error(`qr ${r.status}`)
            counts.qr++
          }),
        )
        track(
          call(server.url, '/api/staff/points', {
            token: staff,
            headers: { 'Idempotency-Key': randomUUID() },
            body: { qrToken: m.qrToken, type: 'award', purchaseAmount: 500 },
          }).then((r) => {
            if (r.status !== 200) throw new Error(`award ${r.status}`)
            counts.awards++
          }),
        )
      }
      await Promise.all(inFlight)
    }
    // A first slice of the same mix, unmeasured: every code path it takes is compiled and
    // every per-path structure exists before the first snapshot (a heap measured straight
    // after a different warm-up moved by ±2–4 MB from run to run, both ways).
    // ...and the demo's LINE stand-in at its bound: it keeps the newest 1,000 Messaging API
    // calls (a push per award, ~3 KB each); its legitimate growth to the cap is not a leak.
    let awarded = 0
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (awarded < MAX_RECORDED + 100) {
          const m = members[awarded++ % members.length]!
          const r = await call(server.url, '/api/staff/points', {
            token: staff,
            headers: { 'Idempotency-Key': randomUUID() },
            body: { qrToken: m.qrToken, type: 'award', purchaseAmount: 500 },
          })
          if (r.status !== 200) throw new Error(`warm-up award ${r.status}`)
        }
      }),
    )
    await steady(WARMUP_MS)
    const warmCounts = { ...counts }
    for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] = 0
    const heapStart = await liveHeapBytes(server)
    const rssStart = rssKiB(server.process.pid!)
    await steady(STEADY_MS)
    const heapEnd = await liveHeapBytes(server)
    const rssEnd = rssKiB(server.process.pid!)
    const mb = (n: number) => (n / 1024 / 1024).toFixed(2)
    console.log(
      `steady load ${STEADY_MS / 1000}s: ${JSON.stringify(counts)}; live heap ${mb(heapStart)} → ${mb(heapEnd)} MB; RSS ${(rssStart / 1024).toFixed(1)} → ${(rssEnd / 1024).toFixed(1)} MB`,
    )
    expect(warmCounts.awards).toBeGreaterThan(0)
    expect(failures).toEqual([])
    expect(counts.newUsers).toBeGreaterThan(((NEW_USERS_PER_S * STEADY_MS) / 1000) * 0.9)
    // Over the run, NEW_USERS_PER_S × 120 = 12,000 new tokens: kept (the cache holds the tokens
    // themselves, ~0.9 KB each), they would add over 10 MB. The caches hold exactly their bound
    // once full (server/src/bounded-cache.ts), so they add nothing; with the earlier
    // two-generation caches the live heap swung by up to ~4 MB with the generations' turn, and
    // this check passed or failed on where in the turn the two snapshots fell.
    expect(heapEnd - heapStart).toBeLessThan(1.5 * 1024 * 1024)
  }, 300_000)

  it('purges old security records on its own schedule, a minute after start (issue 13 item 10)', async () => {
    // Seeded before the first run (beforeAll); the soak above usually outlasts it.
    const deadline = startedAt + 100_000
    let left = readSecurityRecords(server.databasePath)
    while (left.old > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500))
      left = readSecurityRecords(server.databasePath)
    }
    expect(left).toEqual({ old: 0, live: 1, leased: 1 })
  }, 120_000)
})

type Sqlite = new (
  path: string,
) => {
  prepare(sql: string): { run(...args: unknown[]): unknown; get(...args: unknown[]): unknown }
  close(): void
}
const openDb = (path: string) =>
  new (createRequire(join(ROOT, 'server/package.json'))('better-sqlite3') as Sqlite)(path)

/** Rows past their retention of each kind the purge removes (decision 036), and one live token. */
function seedOldSecurityRecords(path: string) {
  const db = openDb(path)
  const now = Date.now()
  const day = 86_400_000
  try {
    db.prepare(
      'INSERT INTO link_attempts (line_user_id, card_key, created_at) VALUES (?, ?, ?)',
    ).run('soak-old', 'soak-old', now - 31 * day)
    db.prepare('INSERT INTO login_attempts (staff_id, ip, created_at) VALUES (?, ?, ?)').run(
      'soak-old',
      'soak-old',
      now - 2 * day,
    )
    db.prepare(
      'INSERT INTO staff_sessions (token_hash, staff_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
    ).run('soak-old', 'demo-clerk', now - 2 * day, now - day)
    const token =
      'INSERT INTO account_link_tokens (token_hash, line_user_id, created_at, expires_at) VALUES (?, ?, ?, ?)'
    db.prepare(token).run('soak-old', 'soak-old', now - day, now - day + 600_000)
    db.prepare(token).run('soak-live', 'soak-live', now, now + 3 * 3_600_000)
  } finally {
    db.close()
  }
}

/** How many seeded old rows are left, whether the live token is, and the purge's lease. */
function readSecurityRecords(path: string) {
  const db = openDb(path)
  const n = (sql: string) => Number((db.prepare(sql).get() as { n: number }).n)
  try {
    return {
      old:
        n("SELECT count(*) AS n FROM link_attempts WHERE line_user_id = 'soak-old'") +
        n("SELECT count(*) AS n FROM login_attempts WHERE staff_id = 'soak-old'") +
        n("SELECT count(*) AS n FROM staff_sessions WHERE token_hash = 'soak-old'") +
        n("SELECT count(*) AS n FROM account_link_tokens WHERE token_hash = 'soak-old'"),
      live: n("SELECT count(*) AS n FROM account_link_tokens WHERE token_hash = 'soak-live'"),
      leased: n("SELECT count(*) AS n FROM job_leases WHERE name = 'security-purge'"),
    }
  } finally {
    db.close()
  }
}
