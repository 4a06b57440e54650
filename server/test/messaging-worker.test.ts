import { describe, expect, it, vi } from 'vitest'
import { fakeClock } from '../src/clock.ts'
import { openDatabase } from '../src/db/client.ts'
import {
  backoffMs,
  createOutbox,
  createOutboxWorker,
  type Executor,
  type OutboxKind,
  quotaMonth,
  retryKeyFor,
} from '../src/line/outbox.ts'
import { memoryLogger } from '../src/logger.ts'

interface SetupOptions {
  push?: Executor<'push'>
  /** Builds every kind's executor (instead of the defaults). */
  every?: (kind: OutboxKind) => Executor<OutboxKind>
  callTimeoutMs?: number
  batchSize?: number
  concurrency?: number
  gatherMs?: number
  pollMs?: number
}

function setup(o: SetupOptions = {}) {
  const db = openDatabase(':memory:')
  const clock = fakeClock()
  const logger = memoryLogger()
  const sent: string[] = []
  const ok = async () => ({ done: true }) as const
  const kinds: OutboxKind[] = ['push', 'reply', 'richmenu_sync', 'profile', 'account_link_start']
  const executors = (
    o.every
      ? Object.fromEntries(kinds.map((k) => [k, o.every?.(k)]))
      : {
          push:
            o.push ??
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
  const worker = createOutboxWorker({
    db,
    clock,
    logger,
    enabled: () => true,
    executors,
    callTimeoutMs: o.callTimeoutMs,
    batchSize: o.batchSize,
    concurrency: o.concurrency,
    gatherMs: o.gatherMs,
    pollMs: o.pollMs,
    random: () => 0.5,
  })
  return { db, clock, logger, sent, worker, outbox: createOutbox(db, clock) }
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

describe('the outbox worker', () => {
  it('a call that never answers counts as a retryable failure after the timeout', async () => {
    const t = setup({ push: () => new Promise(() => {}), callTimeoutMs: 30 })
    t.outbox.enqueue('push', { to: 'U1', messages: [] }, { userId: 'U1' })
    const r = await t.worker.runOnce()
    expect(r.retried).toBe(1)
    const row = t.db.$client
      .prepare('SELECT last_error AS e, claimed_at AS c FROM outbox')
      .get() as {
      e: string
      c: number | null
    }
    expect(row.e).toContain('no answer within 30 ms')
    expect(row.c).toBeNull()
  })

  it('rows waiting behind a user’s pending push never crowd out other users’ rows', async () => {
    const t = setup({ batchSize: 10 })
    t.outbox.enqueue('push', { to: 'Ublocked', messages: ['first'] }, { userId: 'Ublocked' })
    // The first push is in backoff (not due); 30 more queue up behind it.
    t.db.$client.prepare('UPDATE outbox SET next_attempt_at = ?').run(t.clock.now() + 60_000)
    for (let i = 0; i < 30; i++) {
      t.outbox.enqueue('push', { to: 'Ublocked', messages: [i] }, { userId: 'Ublocked' })
    }
    t.outbox.enqueue('push', { to: 'Uother', messages: ['hello'] }, { userId: 'Uother' })
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
    const { db, worker, outbox } = setup({ every: p.every, concurrency: 4 })
    // U1's profile must be read before its push goes out (the push uses its language).
    outbox.enqueue('profile', { userId: 'U1' }, { userId: 'U1' })
    for (let i = 2; i <= 6; i++) {
      outbox.enqueue('push', { to: `U${i}`, messages: [] }, { userId: `U${i}` })
    }
    outbox.enqueue('push', { to: 'U1', messages: [] }, { userId: 'U1' })
    const r = await worker.runOnce()
    expect(r.sent).toBe(7)
    expect(p.most()).toBe(4)
    expect(p.order.indexOf('profile:U1')).toBeLessThan(p.order.indexOf('push:U1'))
    const unsent = db.$client
      .prepare('SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL OR claimed_at IS NOT NULL')
      .get() as { n: number }
    expect(unsent.n).toBe(0)
  })

  it('gathers rows queued in quick succession into one run (one chunk, not one run each)', async () => {
    // Only the timers the worker and the probe use are faked; better-sqlite3 is synchronous.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const p = probe(5)
      const { db, worker, outbox } = setup({ every: p.every, pollMs: 60_000, gatherMs: 50 })
      const sentRows = () =>
        db.$client
          .prepare('SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL')
          .pluck()
          .get() as number
      worker.start()
      await vi.advanceTimersByTimeAsync(0) // the start-up run (nothing queued)
      const firstKick = Date.now()
      for (let i = 0; i < 8; i++) {
        outbox.enqueue('push', { to: `U${i}`, messages: [] }, { userId: `U${i}` })
        worker.kick()
        await vi.advanceTimersByTimeAsync(2) // a till committing every 2 ms
      }
      // Every kick fell within the window the first one opened: nothing has gone out yet.
      await vi.advanceTimersByTimeAsync(firstKick + 49 - Date.now())
      expect(p.order).toEqual([])
      expect(sentRows()).toBe(0)
      // The window closes 50 ms after the first kick: one run sends all eight at once.
      await vi.advanceTimersByTimeAsync(1)
      expect(p.most()).toBe(8)
      await vi.advanceTimersByTimeAsync(5)
      expect(p.order).toHaveLength(8)
      expect(sentRows()).toBe(8)
      await worker.stop()
    } finally {
      vi.useRealTimers()
    }
  })

  it('a claimed row is not taken again until the lease passes (a crashed worker)', async () => {
    const t = setup()
    t.outbox.enqueue('push', { to: 'U1', messages: [] }, { userId: 'U1' })
    t.db.$client.prepare('UPDATE outbox SET claimed_at = ?').run(t.clock.now())
    expect((await t.worker.runOnce()).sent).toBe(0)
    t.clock.advance(60_001)
    expect((await t.worker.runOnce()).sent).toBe(1)
  })

  it('the same dedupe key queues one row', () => {
    const t = setup()
    expect(
      t.outbox.enqueue('push', { to: 'U1', messages: [] }, { userId: 'U1', dedupeKey: 'ledger:1' }),
    ).toBe(true)
    expect(
      t.outbox.enqueue('push', { to: 'U1', messages: [] }, { userId: 'U1', dedupeKey: 'ledger:1' }),
    ).toBe(false)
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
