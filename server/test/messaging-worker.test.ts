import { sql } from 'drizzle-orm'
import { describe, expect, it, vi } from 'vitest'
import { fakeClock } from '../src/clock.ts'
import type { Database } from '../src/db/seam.ts'
import {
  backoffMs,
  CLAIM_LEASE_MS,
  createOutbox,
  createOutboxWorker,
  type Executor,
  type OutboxKind,
  type OutboxPayloads,
  type OutboxWorkerDeps,
  quotaMonth,
  retryKeyFor,
} from '../src/line/outbox.ts'
import { memoryLogger } from '../src/logger.ts'
import { outbox as outboxRepository } from '../src/repositories/outbox.ts'
import { outboxRows } from './messaging-support.ts'
import { openTestDatabase } from './support.ts'

const KINDS: OutboxKind[] = ['push', 'reply', 'richmenu_sync', 'profile', 'account_link_start']

interface SetupOptions
  extends Partial<
    Pick<
      OutboxWorkerDeps,
      | 'callTimeoutMs'
      | 'batchSize'
      | 'concurrency'
      | 'gatherMs'
      | 'pollMs'
      | 'maxPerSecond'
      | 'wallClock'
      | 'sleep'
    >
  > {
  push?: Executor<'push'>
  /** Builds every kind's executor (instead of the defaults). */
  every?: (kind: OutboxKind) => Executor<OutboxKind>
}

async function setup(o: SetupOptions = {}) {
  const db = await openTestDatabase()
  const clock = fakeClock()
  const logger = memoryLogger()
  const sent: string[] = []
  const outbox = createOutbox(clock)

  /** A worker on this database (several may run at once, as on several instances). */
  function worker(w: SetupOptions = o) {
    const ok = async () => ({ done: true }) as const
    const executors = (
      w.every
        ? Object.fromEntries(KINDS.map((k) => [k, w.every?.(k)]))
        : {
            push:
              w.push ??
              (async (p: { to: string; messages: unknown[] }) => {
                sent.push(`${p.to}:${JSON.stringify(p.messages)}`)
                return { done: true } as const
              }),
            reply: ok,
            richmenu_sync: ok,
            profile: ok,
            account_link_start: ok,
          }
    ) as { [K in OutboxKind]: Executor<K> }
    return createOutboxWorker({
      db,
      clock,
      logger,
      enabled: () => true,
      executors,
      callTimeoutMs: w.callTimeoutMs,
      batchSize: w.batchSize,
      concurrency: w.concurrency,
      gatherMs: w.gatherMs,
      pollMs: w.pollMs,
      maxPerSecond: w.maxPerSecond,
      wallClock: w.wallClock,
      sleep: w.sleep,
      random: () => 0.5,
    })
  }

  /** Queues a row in its own transaction. */
  const enqueue = <K extends OutboxKind>(
    kind: K,
    payload: OutboxPayloads[K],
    opts: { userId: string | null; dedupeKey?: string },
  ) => db.transaction((tx) => outbox.enqueue(tx, kind, payload, opts))

  return { db, clock, logger, sent, worker: worker(), makeWorker: worker, enqueue }
}

/** Executors that take `ms` each and record the order they finish in and the most at once. */
function probe(ms: number) {
  const order: string[] = []
  let inFlight = 0
  let most = 0
  const every = (kind: OutboxKind) =>
    (async (p: { userId?: string; to?: string }) => {
      inFlight++
      most = Math.max(most, inFlight)
      await new Promise((r) => setTimeout(r, ms))
      order.push(`${kind}:${p.userId ?? p.to}`)
      inFlight--
      return { done: true } as const
    }) as Executor<OutboxKind>
  return { order, every, most: () => most }
}

const count = async (db: Database, where: ReturnType<typeof sql>) =>
  Number(
    (await db.execute<{ n: number }>(sql`SELECT count(*) AS n FROM outbox WHERE ${where}`))[0]?.n,
  )

/**
 * A started worker whose executors take 5 ms each (`probe`), polling every 60 s and gathering
 * kicks for 50 ms, after its start-up run; call with fake timers on.
 */
async function startedOnFakeTimers() {
  const p = probe(5)
  const { db, worker, enqueue } = await setup({ every: p.every, pollMs: 60_000, gatherMs: 50 })
  worker.start()
  await vi.advanceTimersByTimeAsync(0) // the start-up run (nothing queued)
  await worker.runOnce()
  return { p, worker, enqueue, sentRows: () => count(db, sql`sent_at IS NOT NULL`) }
}

describe('the outbox worker', () => {
  it('a call that never answers counts as a retryable failure after the timeout', async () => {
    const t = await setup({ push: () => new Promise(() => {}), callTimeoutMs: 30 })
    await t.enqueue('push', { to: 'U1', messages: [] }, { userId: 'U1' })
    const r = await t.worker.runOnce()
    expect(r.retried).toBe(1)
    const [row] = await outboxRows(t)
    expect(row?.lastError).toContain('no answer within 30 ms')
    expect(row?.claimedAt).toBeNull()
  })

  it('rows waiting behind a user’s pending push never crowd out other users’ rows', async () => {
    const t = await setup({ batchSize: 10 })
    await t.enqueue('push', { to: 'Ublocked', messages: ['first'] }, { userId: 'Ublocked' })
    // The first push is in backoff (not due); 30 more queue up behind it.
    await t.db.execute(sql`UPDATE outbox SET next_attempt_at = ${t.clock.now() + 60_000}`)
    for (let i = 0; i < 30; i++) {
      await t.enqueue('push', { to: 'Ublocked', messages: [i] }, { userId: 'Ublocked' })
    }
    await t.enqueue('push', { to: 'Uother', messages: ['hello'] }, { userId: 'Uother' })
    const r = await t.worker.runOnce()
    expect(r.sent).toBe(1)
    expect(t.sent).toEqual(['Uother:["hello"]'])
    t.clock.advance(60_000)
    for (let i = 0; i < 40; i++) await t.worker.runOnce()
    expect(t.sent.filter((s) => s.startsWith('Ublocked'))).toHaveLength(31)
    expect(t.sent[1]).toBe('Ublocked:["first"]')
    expect(t.sent[2]).toBe('Ublocked:[0]')
  })

  it('sends different users’ calls at the same time, one user’s calls in queue order', async () => {
    const p = probe(20)
    const { db, worker, enqueue } = await setup({ every: p.every, concurrency: 4 })
    // U1's profile must be read before its push goes out (the push uses its language).
    await enqueue('profile', { userId: 'U1' }, { userId: 'U1' })
    for (let i = 2; i <= 6; i++) {
      await enqueue('push', { to: `U${i}`, messages: [] }, { userId: `U${i}` })
    }
    await enqueue('push', { to: 'U1', messages: [] }, { userId: 'U1' })
    const r = await worker.runOnce()
    expect(r.sent).toBe(7)
    expect(p.most()).toBe(4)
    expect(p.order.indexOf('profile:U1')).toBeLessThan(p.order.indexOf('push:U1'))
    expect(await count(db, sql`sent_at IS NULL OR claimed_at IS NOT NULL`)).toBe(0)
  })

  it('gathers rows queued in quick succession into one run (one chunk, not one run each)', async () => {
    // Only the timers the worker and the probe use are faked, so the window is exact; the
    // database's own I/O (PostgreSQL) runs in real time and is waited for with vi.waitFor.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const { p, worker, enqueue, sentRows } = await startedOnFakeTimers()
      const firstKick = Date.now()
      for (let i = 0; i < 8; i++) {
        await enqueue('push', { to: `U${i}`, messages: [] }, { userId: `U${i}` })
        worker.kick()
        await vi.advanceTimersByTimeAsync(2) // a till committing every 2 ms
      }
      // Every kick fell within the window the first one opened: nothing has gone out yet.
      await vi.advanceTimersByTimeAsync(firstKick + 49 - Date.now())
      expect(p.order).toEqual([])
      expect(await sentRows()).toBe(0)
      // The window closes 50 ms after the first kick: one run sends all eight at once.
      await vi.advanceTimersByTimeAsync(1)
      await vi.waitFor(() => expect(p.most()).toBe(8), { timeout: 10_000 })
      await vi.advanceTimersByTimeAsync(5)
      await vi.waitFor(async () => expect(await sentRows()).toBe(8), { timeout: 10_000 })
      expect(p.order).toHaveLength(8)
      await worker.stop()
    } finally {
      vi.useRealTimers()
    }
  })

  it('a kicked run ends on a short claim; a user’s second push goes out in a run after gatherMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    // The (fake) time of every claim, and whether it took rows.
    const claimed: { at: number; rows: number }[] = []
    const claim = outboxRepository.claim.bind(outboxRepository)
    const spy = vi.spyOn(outboxRepository, 'claim').mockImplementation(async (...args) => {
      const rows = await claim(...args)
      claimed.push({ at: Date.now(), rows: rows.length })
      return rows
    })
    try {
      const { p, worker, enqueue, sentRows } = await startedOnFakeTimers()
      claimed.length = 0
      await enqueue('push', { to: 'U1', messages: [1] }, { userId: 'U1' })
      await enqueue('push', { to: 'U1', messages: [2] }, { userId: 'U1' })
      await enqueue('push', { to: 'U2', messages: [1] }, { userId: 'U2' })
      worker.kick()
      await vi.advanceTimersByTimeAsync(50)
      // Waiting moves the fake clock 1 ms a check, so a claim made at once is seen at once.
      await vi.waitFor(async () => expect(await sentRows()).toBe(3), {
        timeout: 10_000,
        interval: 1,
      })
      // The first claim took U1's first push and U2's (one row per user): fewer than a chunk,
      // so the run ended there. No claim followed until the run gatherMs later, which took
      // U1's second push.
      const [first, second] = claimed
      expect(first?.rows).toBe(2)
      expect(second?.rows).toBe(1)
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(50)
      expect([...p.order].sort()).toEqual(['push:U1', 'push:U1', 'push:U2'])
      expect(p.order.at(-1)).toBe('push:U1')
      await worker.stop()
    } finally {
      spy.mockRestore()
      vi.useRealTimers()
    }
  })

  it('a run asked for (runOnce) goes on until nothing is due: one user’s pushes in one call', async () => {
    const { db, worker, enqueue, sent } = await setup()
    await enqueue('push', { to: 'U3', messages: [1] }, { userId: 'U3' })
    await enqueue('push', { to: 'U3', messages: [2] }, { userId: 'U3' })
    expect((await worker.runOnce()).sent).toBe(2)
    expect(sent).toEqual(['U3:[1]', 'U3:[2]'])
    expect(await count(db, sql`sent_at IS NULL`)).toBe(0)
  })

  it('a claimed row is not taken again until the lease passes (a crashed worker)', async () => {
    const t = await setup()
    await t.enqueue('push', { to: 'U1', messages: [] }, { userId: 'U1' })
    await t.db.execute(sql`UPDATE outbox SET claimed_at = ${t.clock.now()}`)
    expect((await t.worker.runOnce()).sent).toBe(0)
    t.clock.advance(CLAIM_LEASE_MS + 1)
    expect((await t.worker.runOnce()).sent).toBe(1)
  })

  it('the same dedupe key queues one row', async () => {
    const t = await setup()
    const push = { to: 'U1', messages: [] }
    expect(await t.enqueue('push', push, { userId: 'U1', dedupeKey: 'ledger:1' })).toBe(true)
    expect(await t.enqueue('push', push, { userId: 'U1', dedupeKey: 'ledger:1' })).toBe(false)
    expect(retryKeyFor('ledger:1')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    expect(retryKeyFor('ledger:1')).not.toBe(retryKeyFor('ledger:2'))
  })

  it('backs off exponentially up to 30 minutes; months are counted in JST', () => {
    expect([1, 2, 3, 4].map((a) => backoffMs(a, () => 0.5))).toEqual([2_000, 4_000, 8_000, 16_000])
    expect(backoffMs(30, () => 0.5)).toBe(30 * 60_000)
    expect(backoffMs(1, () => 0)).toBe(1_600)
    expect(backoffMs(1, () => 1)).toBe(2_400)
    // 2026-11-30 16:00 UTC is already December 1st in Japan.
    expect(quotaMonth(Date.UTC(2026, 10, 30, 16, 0))).toBe('2026-12')
    expect(quotaMonth(Date.UTC(2026, 10, 30, 14, 59))).toBe('2026-11')
  })
})

describe('several workers on one database (several instances)', () => {
  it('send every call exactly once, one user’s calls one at a time and in queue order', async () => {
    const calls: { id: number; user: string }[] = []
    const inFlight = new Map<string, number>()
    let overlaps = 0
    const every = () =>
      (async (p: { userId?: string; to?: string }, row: { id: number }) => {
        const user = p.userId ?? p.to ?? ''
        if (inFlight.get(user)) overlaps++
        inFlight.set(user, (inFlight.get(user) ?? 0) + 1)
        calls.push({ id: row.id, user })
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 4)))
        inFlight.set(user, (inFlight.get(user) ?? 1) - 1)
        return { done: true } as const
      }) as Executor<OutboxKind>
    const t = await setup({ every, concurrency: 4, batchSize: 8 })
    const workers = [t.worker, t.makeWorker(), t.makeWorker()]
    const users = Array.from({ length: 12 }, (_, i) => `U${String(i).padStart(2, '0')}`)
    // Each user's three calls one after the other: a chunk could hold all of them.
    for (const u of users) {
      await t.enqueue('push', { to: u, messages: [0] }, { userId: u })
      await t.enqueue('profile', { userId: u }, { userId: u })
      await t.enqueue('push', { to: u, messages: [2] }, { userId: u })
    }
    const total = users.length * 3
    const deadline = Date.now() + 10_000
    while ((await count(t.db, sql`sent_at IS NOT NULL`)) < total) {
      if (Date.now() > deadline) throw new Error('the workers did not send everything')
      await Promise.all(workers.map((w) => w.runOnce()))
    }
    expect(calls).toHaveLength(total)
    expect(new Set(calls.map((c) => c.id)).size).toBe(total)
    expect(overlaps).toBe(0)
    for (const u of users) {
      const ids = calls.filter((c) => c.user === u).map((c) => c.id)
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
    }
  })

  it('share one rate limit: never more calls in a second than maxPerSecond, all together', async () => {
    // A wall clock that moves only while every worker waits for the next window, so each
    // call is counted in the window its slot was taken from.
    let wall = 1_800_000_000_000
    const waiting: (() => void)[] = []
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        waiting.push(() => resolve())
        void ms
      })
    const perSecond = new Map<number, number>()
    const every = () =>
      (async () => {
        const second = Math.floor(wall / 1_000)
        perSecond.set(second, (perSecond.get(second) ?? 0) + 1)
        return { done: true } as const
      }) as Executor<OutboxKind>
    const options = { every, concurrency: 5, maxPerSecond: 5, wallClock: () => wall, sleep }
    const t = await setup(options)
    const workers = [t.worker, t.makeWorker(options), t.makeWorker(options)]
    for (let i = 0; i < 23; i++) {
      await t.enqueue('push', { to: `U${i}`, messages: [] }, { userId: `U${i}` })
    }
    let done = 0
    const runs = workers.map((w) => w.runOnce().finally(() => done++))
    const deadline = Date.now() + 10_000
    while (done < workers.length) {
      if (Date.now() > deadline) throw new Error('the workers did not finish')
      await new Promise((r) => setTimeout(r, 1))
      if (waiting.length > 0 && waiting.length + done === workers.length) {
        wall += 1_000
        for (const resume of waiting.splice(0)) resume()
      }
    }
    await Promise.all(runs)
    expect(await count(t.db, sql`sent_at IS NOT NULL`)).toBe(23)
    expect([...perSecond.values()].reduce((a, b) => a + b, 0)).toBe(23)
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(5)
    expect(perSecond.size).toBeGreaterThanOrEqual(5)
  })

  it('the late outcome of a lapsed claim changes nothing: the claim that took over wins', async () => {
    let release: (() => void) | undefined
    const slow = await setup({
      push: () =>
        new Promise((resolve) => {
          release = () => resolve({ skipped: 'too late' })
        }),
      callTimeoutMs: 10 * CLAIM_LEASE_MS,
    })
    await slow.enqueue('push', { to: 'U1', messages: ['late'] }, { userId: 'U1' })
    const first = slow.worker.runOnce()
    const deadline = Date.now() + 5_000
    while (!release) {
      if (Date.now() > deadline) throw new Error('the first worker never called LINE')
      await new Promise((r) => setTimeout(r, 1))
    }
    // The first worker hangs past its lease; a second one claims the row again and sends it.
    slow.clock.advance(CLAIM_LEASE_MS + 1)
    const second = slow.makeWorker({})
    expect((await second.runOnce()).sent).toBe(1)
    release?.()
    const late = await first
    expect(late.skipped).toBe(0)
    const [row] = await outboxRows(slow)
    expect(row?.sentAt).not.toBeNull()
    expect(row?.failedAt).toBeNull()
    expect(row?.attempts).toBe(2)
    expect(slow.logger.lines.some((l) => l.includes('claim lost'))).toBe(true)
  })
})
