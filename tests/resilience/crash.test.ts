import { randomInt, randomUUID } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import {
  call,
  idTokenFor,
  importCards,
  type LinkedMember,
  ledgerMismatches,
  linkMembers,
  makeCards,
  openDb,
  staffToken,
} from './helpers.ts'

/** A fresh QR token of `member`, as the card screen fetches it. */
async function freshQr(url: string, member: LinkedMember): Promise<string> {
  const qr = await call(url, '/api/card/qr', { token: member.idToken })
  if (qr.status !== 200) throw new Error(`qr: ${qr.status}`)
  return (qr.body as { token: string }).token
}

/** `CRASH_SEED=<n>` replays a run's kill delays and request sequence (printed by each run). */
const SEED = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : randomInt(2 ** 31)
/** Kills in the random-moment test (`CRASH_KILLS=<n>` for more). */
const KILLS = Number(process.env.CRASH_KILLS ?? 6)
/** Tills at once: more than the server answers at once, so every kill finds requests in it. */
const TILLS = 16
/** Cards start rich enough that no redeem of the load is ever refused for the balance. */
const START_POINTS = 100_000
const ENV = { CARD_TOKEN_TTL_SECONDS: '3600' }

/** A small seeded generator (mulberry32): the same seed gives the same sequence. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface TillAnswer {
  transactionId: string
  points: number
  balance: number
}

interface Sent {
  key: string
  member: LinkedMember
  body: Record<string, unknown>
  /** The answer the till got before the kill, if any. */
  ack?: TillAnswer
  /** The answer to the till's retry after the restart (for one the till never heard back on). */
  retried?: TillAnswer
}

interface LedgerRow {
  id: number
  points: number
  balance_after: number
}

/**
 * A till (the demo clerk) scanning the members' QR codes: the requests it sends, what it was
 * told, and the balance each card must have once every request is applied exactly once.
 */
class Till {
  readonly sent: Sent[] = []
  /** Answers other than 200 (none is expected: every card can pay every redeem). */
  readonly unexpected: string[] = []
  readonly start = new Map<string, number>()

  constructor(
    readonly members: LinkedMember[],
    readonly staff: string,
    private readonly rng: () => number,
  ) {}

  /**
   * The next request of the seeded sequence: two awards to each redeem. A redeem carries a
   * fresh QR token from `url` (a token is spent by its redemption: docs/decisions/002); an
   * award reuses the member's first one, as a till splitting a purchase does.
   */
  async next(url: string): Promise<Sent> {
    const int = (lo: number, hi: number) => lo + Math.floor(this.rng() * (hi - lo))
    const member = this.members[int(0, this.members.length)]!
    const redeem = int(0, 3) === 0
    const n = redeem ? int(1, 30) : int(100, 20_000)
    const body = redeem
      ? { qrToken: await freshQr(url, member), type: 'redeem', points: n }
      : { qrToken: member.qrToken, type: 'award', purchaseAmount: n }
    return { key: randomUUID(), member, body }
  }

  send(url: string, s: Sent) {
    return call(url, '/api/staff/points', {
      token: this.staff,
      body: s.body,
      headers: { 'Idempotency-Key': s.key },
    })
  }

  /**
   * `workers` requests at a time against `url`, each sent as soon as the last one was answered,
   * until `halt()`; `settled` resolves once each sent request got its answer or lost its
   * connection (unanswered).
   */
  load(url: string, workers: number) {
    let halted = false
    const settled = Promise.all(
      Array.from({ length: workers }, async () => {
        while (!halted) {
          let s: Sent
          try {
            s = await this.next(url)
          } catch {
            continue // the server died before it gave a QR token: nothing was sent
          }
          this.sent.push(s)
          try {
            const res = await this.send(url, s)
            if (res.status === 200) s.ack = res.body as TillAnswer
            else this.unexpected.push(`${res.status} ${JSON.stringify(res.body)}`)
          } catch {
            // the connection died with the server: this one is unanswered
          }
        }
      }),
    )
    return {
      halt: () => {
        halted = true
      },
      settled,
    }
  }

  /** The balance `cardNumber` must have: its start plus each answered change once. */
  expected(cardNumber: string): number {
    let sum = this.start.get(cardNumber)!
    for (const s of this.sent) {
      if (s.member.card.cardNumber !== cardNumber) continue
      const answer = s.ack ?? s.retried
      if (!answer) throw new Error(`request ${s.key} was neither answered nor retried`)
      sum += answer.points
    }
    return sum
  }
}

/** Starts a server with `members.length` linked members and a till signed in. */
async function setUp(
  series: number,
  count: number,
  rng: () => number,
  env: Record<string, string> = ENV,
) {
  const server = await startServer({ env })
  const cards = makeCards(count, series, START_POINTS)
  importCards(server, cards)
  const members = await linkMembers(server.url, cards)
  const till = new Till(members, await staffToken(server.url), rng)
  const db = openDb(server.databasePath)
  try {
    const points = db.prepare('SELECT points FROM point_cards WHERE card_number = ?')
    for (const c of cards) {
      till.start.set(c.cardNumber, (points.get(c.cardNumber) as { points: number }).points)
    }
  } finally {
    db.close()
  }
  return { server, till }
}

/**
 * After a restart on the database of a killed process: every answered request is stored
 * exactly as the till was told and nothing is half-written; the till retries each of `batch`
 * it never heard back on, with the same key and body, and each retry is 200 (the stored answer
 * replayed when it had committed, applied now when not), never 409; then each balance is its
 * ledger sum and its start plus every change once.
 */
async function recover(
  server: RunningServer,
  till: Till,
  batch: Sent[],
): Promise<{ replayed: number; applied: number }> {
  const counts = { replayed: 0, applied: 0 }
  const db = openDb(server.databasePath)
  try {
    const rowsOf = db.prepare(
      'SELECT id, points, balance_after FROM ledger WHERE idempotency_key = ? ORDER BY id',
    )
    const record = db.prepare('SELECT state FROM idempotency_keys WHERE key = ?')
    for (const s of batch.filter((x) => x.ack)) {
      const rows = rowsOf.all(s.key) as LedgerRow[]
      expect(rows, `answered ${s.key}`).toHaveLength(1)
      expect(String(rows[0]!.id)).toBe(s.ack!.transactionId)
      expect(rows[0]!.points).toBe(s.ack!.points)
      expect(rows[0]!.balance_after).toBe(s.ack!.balance)
      expect(record.get(s.key)).toEqual({ state: 'done' })
    }
    // Every till ledger row has its completed idempotency record, and the other way round.
    const orphans = db
      .prepare(
        `SELECT count(*) AS n FROM ledger l WHERE l.type IN ('award','redeem') AND NOT EXISTS
           (SELECT 1 FROM idempotency_keys k WHERE k.key = l.idempotency_key AND k.state = 'done')`,
      )
      .get() as { n: number }
    expect(orphans.n).toBe(0)
    const doneWithoutEntry = db
      .prepare(
        `SELECT count(*) AS n FROM idempotency_keys k WHERE k.state = 'done' AND NOT EXISTS
           (SELECT 1 FROM ledger l WHERE l.idempotency_key = k.key)`,
      )
      .get() as { n: number }
    expect(doneWithoutEntry.n).toBe(0)
    expect(ledgerMismatches(db)).toEqual([])
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')

    // The till retries everything it never heard back on at once.
    const unanswered = batch.filter((x) => !x.ack)
    const before = new Map(unanswered.map((s) => [s.key, rowsOf.all(s.key) as LedgerRow[]]))
    const answers = await Promise.all(unanswered.map((s) => till.send(server.url, s)))
    unanswered.forEach((s, i) => {
      const res = answers[i]!
      const stored = before.get(s.key)!
      expect(stored.length, `rows of unanswered ${s.key} before its retry`).toBeLessThanOrEqual(1)
      expect(res.status, `retry of ${s.key}: ${JSON.stringify(res.body)}`).toBe(200)
      const after = rowsOf.all(s.key) as LedgerRow[]
      expect(after, `rows of ${s.key} after its retry`).toHaveLength(1)
      const answer = res.body as TillAnswer
      expect(answer).toEqual({
        transactionId: String(after[0]!.id),
        points: after[0]!.points,
        balance: after[0]!.balance_after,
      })
      // Committed before the kill: the stored answer. Not committed: applied by this retry.
      expect(res.headers.get('idempotent-replayed')).toBe(stored.length === 1 ? 'true' : null)
      counts[stored.length === 1 ? 'replayed' : 'applied'] += 1
      s.retried = answer
    })
    expect(ledgerMismatches(db)).toEqual([])
    const points = db.prepare('SELECT points FROM point_cards WHERE card_number = ?')
    for (const m of till.members) {
      const cardNumber = m.card.cardNumber
      expect(points.get(cardNumber), `balance of ${m.card.cardNumber.slice(-4)}`).toEqual({
        points: till.expected(cardNumber),
      })
    }
    return counts
  } finally {
    db.close()
  }
}

/** Polls `check` until it holds; fails after `ms`. */
async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Resolves with the signal that ended `server`'s process. */
function exitSignal(server: RunningServer): Promise<NodeJS.Signals | null> {
  const child = server.process
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(child.signalCode)
  }
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
}

/**
 * A mixed load of awards and redeems against the real server process, SIGKILL while requests
 * are in flight, restart on the same database: nothing acknowledged is lost, nothing is
 * half-written, and a till retrying its unanswered requests with the same keys gets 200 for
 * each and changes each balance once.
 */
describe('crash: SIGKILL during a mixed points load', () => {
  const servers: RunningServer[] = []
  afterAll(async () => {
    for (const s of servers) await s.stop('SIGKILL')
    for (const dir of new Set(servers.map((s) => s.dataDir))) removeDataDir(dir)
  })

  it(`loses no acknowledged change and applies each retried one once, over ${KILLS} kills at random moments`, async () => {
    const began = Date.now()
    const rng = seeded(SEED)
    const delays = Array.from({ length: KILLS }, () => 50 + Math.floor(rng() * 700))
    console.log(`crash: CRASH_SEED=${SEED}; kill delays ${delays.join(', ')} ms`)
    const first = await setUp(1, 12, rng)
    let server = first.server
    servers.push(server)
    const till = first.till

    for (const [round, delay] of delays.entries()) {
      const from = till.sent.length
      const load = till.load(server.url, TILLS)
      // The load is under way (answers arriving), then the kill comes `delay` ms later.
      await until(`answers in round ${round}`, () =>
        till.sent.slice(from).some((s) => s.ack !== undefined),
      )
      await new Promise((r) => setTimeout(r, delay))
      // Halted only once the process is gone: the tills keep sending up to the kill, so some
      // requests are always cut off (answers already on their way still count as answered).
      await server.stop('SIGKILL')
      load.halt()
      await load.settled
      const batch = till.sent.slice(from)
      const unanswered = batch.filter((s) => !s.ack).length
      console.log(
        `crash: kill ${round}, ${delay} ms after the first answer: ${batch.length - unanswered} answered, ${unanswered} unanswered (${Date.now() - began} ms into the test)`,
      )
      expect(till.unexpected).toEqual([])
      expect(unanswered, `unanswered at kill ${round}`).toBeGreaterThanOrEqual(1)

      server = await startServer({ dataDir: server.dataDir, env: ENV })
      servers.push(server)
      const retries = await recover(server, till, batch)
      console.log(
        `crash: after kill ${round}: ${retries.replayed} retries replayed a committed answer, ${retries.applied} applied now`,
      )
    }

    // A replay of an acknowledged key answers exactly as before.
    const s = till.sent.find((x) => x.ack)!
    const replay = await till.send(server.url, s)
    expect(replay.status).toBe(200)
    expect(replay.body).toEqual(s.ack)
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    // The API shows each member the balance of every change applied once.
    for (const m of till.members) {
      // The restarted demo stand-in signs with a new key: the app would sign in again.
      const me = await call(server.url, '/api/me', { token: await idTokenFor(server.url, m.sub) })
      expect((me.body as { member: { points: number } }).member.points).toBe(
        till.expected(m.card.cardNumber),
      )
    }
  }, 90_000)

  it('keeps a change committed just before the kill, and its retry replays the stored answer', async () => {
    const rng = seeded(SEED ^ 0x5eed)
    const targetKey = randomUUID()
    const { server, till } = await setUp(5, 6, rng, {
      ...ENV,
      TEST_FAULT_KILL_AFTER_COMMIT_KEY: targetKey,
    })
    servers.push(server)

    // Other tills keep the server busy; the target request's commit kills the process.
    const load = till.load(server.url, 4)
    await until('answers before the target request', () => till.sent.some((s) => s.ack))
    const target: Sent = { ...(await till.next(server.url)), key: targetKey }
    till.sent.push(target)
    await expect(till.send(server.url, target)).rejects.toThrow()
    expect(await exitSignal(server)).toBe('SIGKILL')
    load.halt()
    await load.settled
    expect(till.unexpected).toEqual([])

    // The target's change is on disk although the till never heard back.
    const db = openDb(server.databasePath)
    try {
      const rows = db
        .prepare('SELECT id, points FROM ledger WHERE idempotency_key = ?')
        .all(targetKey) as LedgerRow[]
      expect(rows).toHaveLength(1)
      expect(db.prepare('SELECT state FROM idempotency_keys WHERE key = ?').get(targetKey)).toEqual(
        { state: 'done' },
      )
    } finally {
      db.close()
    }

    const restarted = await startServer({ dataDir: server.dataDir, env: ENV })
    servers.push(restarted)
    await recover(restarted, till, till.sent)
    expect(target.retried).toBeDefined()
  }, 45_000)
})
