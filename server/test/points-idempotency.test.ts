import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import { memoryLogger } from '../src/logger.ts'
import { loadSecrets } from '../src/secrets.ts'
import {
  createIdempotencyStore,
  IdempotentReplay,
  requestFingerprint,
} from '../src/services/idempotency.ts'
import {
  cardState,
  linkedMember,
  reopenableDatabase,
  signInStaff,
  tillCall,
} from './points-support.ts'
import { type CallOptions, callApp, createTestContext, row, type TestContext } from './support.ts'

const ctx = await createTestContext({ env: { LINK_BONUS_POINTS: '0' } })
const staff = await signInStaff(ctx)

/** How many ledger entries carry the Idempotency-Key `key`. */
async function ledgerRowsWithKey(key: string) {
  const r = await row<{ n: number }>(
    ctx.db,
    sql`SELECT CAST(count(*) AS BIGINT) AS n FROM ledger WHERE idempotency_key = ${key}`,
  )
  return Number(r?.n)
}

describe('Idempotency-Key on POST /api/staff/points', () => {
  it('returns the first answer for the same key and body, and changes nothing again', async () => {
    const m = await linkedMember(ctx, { points: 100 })
    const body = { qrToken: m.qrNow(), type: 'redeem', points: 40 }
    const first = await tillCall(ctx, staff.clerk, '/api/staff/points', body, 'same-key-1')
    expect(first.status).toBe(200)
    expect(first.headers.get('Idempotent-Replayed')).toBeNull()
    // The body's keys in another order are the same request.
    const reordered = { points: 40, type: 'redeem', qrToken: body.qrToken }
    const second = await tillCall(ctx, staff.clerk, '/api/staff/points', reordered, 'same-key-1')
    expect(second.status).toBe(200)
    expect(second.json).toEqual(first.json)
    expect(second.headers.get('Idempotent-Replayed')).toBe('true')
    // Another till of the same store, another staff member: still the same store scope.
    const third = await tillCall(ctx, staff.manager, '/api/staff/points', body, 'same-key-1')
    expect(third.json).toEqual(first.json)
    expect(await ledgerRowsWithKey('same-key-1')).toBe(1)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 60, balance: 60 })
  })

  it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key with another body or route', async () => {
    const m = await linkedMember(ctx, { points: 100 })
    const qrToken = m.qrNow()
    const key = 'reused-key'
    const ok = await tillCall(
      ctx,
      staff.clerk,
      '/api/staff/points',
      { qrToken, type: 'redeem', points: 1 },
      key,
    )
    expect(ok.status).toBe(200)
    const other = await tillCall(
      ctx,
      staff.clerk,
      '/api/staff/points',
      { qrToken, type: 'redeem', points: 2 },
      key,
    )
    expect(other.status).toBe(422)
    expect(other.json.error.code).toBe('IDEMPOTENCY_KEY_REUSED')
    const route = await tillCall(
      ctx,
      staff.manager,
      '/api/staff/adjust',
      { qrToken, points: 1, reason: 'x' },
      key,
    )
    expect(route.status).toBe(422)
    expect(route.json.error.code).toBe('IDEMPOTENCY_KEY_REUSED')
    expect((await cardState(ctx, m.cardId)).balance).toBe(99)
  })

  it('scopes keys to the store: the same key at another store is another transaction', async () => {
    const m = await linkedMember(ctx, { points: 100 })
    // By card number: a QR token is bound to the first store that used it (decision 002).
    const body = { cardNumber: m.cardNumber, points: -5, reason: 'scope test' }
    const a = await tillCall(ctx, staff.manager, '/api/staff/adjust', body, 'store-scoped')
    const b = await tillCall(ctx, staff.otherManager, '/api/staff/adjust', body, 'store-scoped')
    expect(a.status).toBe(200)
    expect(b.status).toBe(200)
    expect(b.json.transactionId).not.toBe(a.json.transactionId)
    expect((await cardState(ctx, m.cardId)).balance).toBe(90)
  })

  it('gives a repeat sent while the first is still arriving the same answer, counted once', async () => {
    const m = await linkedMember(ctx, { points: 100 })
    const body = JSON.stringify({ qrToken: m.qrNow(), type: 'redeem', points: 10 })
    // The first request's body arrives slowly, so it is still in flight when the repeat comes.
    let sendRest: () => void = () => {}
    const slowBody = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body.slice(0, 5)))
        sendRest = () => {
          controller.enqueue(new TextEncoder().encode(body.slice(5)))
          controller.close()
        }
      },
    })
    const headers = { ...staff.clerk, 'Idempotency-Key': 'in-flight-key' }
    const first = ctx.app.request('/api/staff/points', {
      method: 'POST',
      headers,
      body: slowBody,
      // @ts-expect-error: Node's fetch needs this for a streamed request body
      duplex: 'half',
    })
    // The repeat completes its (whole) body first: it is handled, the first is still reading.
    const repeat = await tillCall(
      ctx,
      staff.clerk,
      '/api/staff/points',
      JSON.parse(body),
      'in-flight-key',
    )
    sendRest()
    const done = await first
    expect(repeat.status).toBe(200)
    expect(done.status).toBe(200)
    expect(await done.json()).toEqual(repeat.json)
    expect(done.headers.get('Idempotent-Replayed')).toBe('true')
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 90, balance: 90 })
    expect(await ledgerRowsWithKey('in-flight-key')).toBe(1)
  })

  it('re-checks inside the transaction: a key another process completed first is replayed', async () => {
    const m = await linkedMember(ctx, { points: 100 })
    const body = { qrToken: m.qrNow(), type: 'redeem', points: 10 }
    const hash = requestFingerprint('POST', '/api/staff/points', JSON.stringify(body))
    const store = createIdempotencyStore({ db: ctx.db, clock: ctx.clock, retentionMs: 86_400_000 })
    // This request looked the key up before the other process committed its answer...
    const outcome = await store.check('S001', 'raced-key', hash)
    expect(outcome.kind).toBe('claimed')
    await ctx.db.execute(
      sql`INSERT INTO idempotency_keys (scope, key, request_hash, state, response_status, response_body, created_at)
        VALUES ('S001', 'raced-key', ${hash}, 'done', 200,
          '{"transactionId":"1","points":-10,"balance":90}', ${ctx.clock.now()})`,
    )
    // ...so its transaction finds the answer and stops before changing anything.
    if (outcome.kind !== 'claimed') throw new Error('unreachable')
    const entered = ctx.db.transaction((tx) => outcome.claim.enter(tx))
    await expect(entered).rejects.toBeInstanceOf(IdempotentReplay)
    await expect(entered).rejects.toMatchObject({
      status: 200,
      body: '{"transactionId":"1","points":-10,"balance":90}',
    })
    // Over HTTP the same key now replays that stored answer.
    const replay = await tillCall(ctx, staff.clerk, '/api/staff/points', body, 'raced-key')
    expect(replay.status).toBe(200)
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true')
    expect(replay.json).toEqual({ transactionId: '1', points: -10, balance: 90 })
    expect((await cardState(ctx, m.cardId)).balance).toBe(100)
  })

  it('takes over at once a record left running by an earlier version (it never committed a change)', async () => {
    const m = await linkedMember(ctx, { points: 100 })
    const body = { qrToken: m.qrNow(), type: 'redeem', points: 10 }
    const hash = requestFingerprint('POST', '/api/staff/points', JSON.stringify(body))
    await ctx.db.execute(
      sql`INSERT INTO idempotency_keys (scope, key, request_hash, state, created_at)
        VALUES ('S001', 'old-running-key', ${hash}, 'running', ${ctx.clock.now()})`,
    )
    const taken = await tillCall(ctx, staff.clerk, '/api/staff/points', body, 'old-running-key')
    expect(taken.status).toBe(200)
    const replay = await tillCall(ctx, staff.clerk, '/api/staff/points', body, 'old-running-key')
    expect(replay.json).toEqual(taken.json)
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true')
    expect((await cardState(ctx, m.cardId)).balance).toBe(90)
  })

  it('re-checks inside the transaction: of two claims of one key taken at once, one counts', async () => {
    const store = createIdempotencyStore({ db: ctx.db, clock: ctx.clock, retentionMs: 86_400_000 })
    const hash = requestFingerprint('POST', '/api/staff/points', '{"n":1}')
    // Two requests looked the key up before either transaction ran (no in-flight guard here).
    const outcomes = [
      await store.check('S001', 'same-group-key', hash),
      await store.check('S001', 'same-group-key', hash),
    ]
    const results = await Promise.allSettled(
      outcomes.map((outcome, n) =>
        ctx.db.transaction(async (tx) => {
          if (outcome.kind !== 'claimed') throw new Error('unreachable')
          await outcome.claim.enter(tx)
          await outcome.claim.complete(tx, 200, { n })
          return n
        }),
      ),
    )
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected'])
    // The second found the first's answer (SQLite: earlier in the same group commit;
    // PostgreSQL: its claim waited for the first's commit).
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(IdempotentReplay)
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      status: 200,
      body: '{"n":0}',
    })
    const stored = await row<{ state: string; body: string }>(
      ctx.db,
      sql`SELECT state, response_body AS body FROM idempotency_keys
        WHERE scope = 'S001' AND key = 'same-group-key'`,
    )
    expect(stored).toEqual({ state: 'done', body: '{"n":0}' })
  })

  it('gives the key back after a failure, so the same key can be retried once it can succeed', async () => {
    const m = await linkedMember(ctx, { points: 10 })
    const body = { qrToken: m.qrNow(), type: 'redeem', points: 30 }
    const fail = await tillCall(ctx, staff.clerk, '/api/staff/points', body, 'retry-after-fail')
    expect(fail.json.error.code).toBe('INSUFFICIENT_POINTS')
    await tillCall(ctx, staff.manager, '/api/staff/adjust', {
      cardNumber: m.cardNumber,
      points: 20,
      reason: 'top up',
    })
    const ok = await tillCall(ctx, staff.clerk, '/api/staff/points', body, 'retry-after-fail')
    expect(ok.status).toBe(200)
    expect(ok.json).toMatchObject({ points: -30, balance: 0 })
  })

  it('accepts the key as a structured-field string ("…")', async () => {
    const m = await linkedMember(ctx)
    const body = { qrToken: m.qrNow(), type: 'award', purchaseAmount: 500 }
    const a = await tillCall(ctx, staff.clerk, '/api/staff/points', body, '"quoted-key"')
    const b = await tillCall(ctx, staff.clerk, '/api/staff/points', body, 'quoted-key')
    expect(b.json).toEqual(a.json)
    expect((await cardState(ctx, m.cardId)).balance).toBe(5)
  })

  it('keeps records at least 24 hours, then the housekeeping removes them', async () => {
    const m = await linkedMember(ctx, { points: 100 })
    const body = { qrToken: m.qrNow(), type: 'redeem', points: 1 }
    const first = await tillCall(ctx, staff.clerk, '/api/staff/points', body, 'kept-key')
    ctx.clock.advance(24 * 3600_000)
    const fresh = await signInStaff(ctx)
    const replay = await tillCall(ctx, fresh.clerk, '/api/staff/points', body, 'kept-key')
    expect(replay.json).toEqual(first.json)
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true')
    const { runPointsHousekeeping } = await import('../src/services/points-jobs.ts')
    const housekeeping = () =>
      runPointsHousekeeping({
        db: ctx.db,
        clock: ctx.clock,
        secrets: ctx.secrets,
        rules: ctx.config.points,
        logger: memoryLogger(),
      })
    expect((await housekeeping()).purgedKeys).toBe(0)
    ctx.clock.advance(ctx.config.points.idempotencyRetentionMs - 24 * 3600_000 + 1)
    expect((await housekeeping()).purgedKeys).toBeGreaterThan(0)
    const kept = await row<{ n: number }>(
      ctx.db,
      sql`SELECT CAST(count(*) AS BIGINT) AS n FROM idempotency_keys WHERE key = 'kept-key'`,
    )
    expect(Number(kept?.n)).toBe(0)
  })
})

describe('idempotency across a restart with the same database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'points-idem-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('answers a retry after the restart with the first answer', async () => {
    const reopen = await reopenableDatabase()
    const secretsPath = join(dir, 'secrets.json')
    /**
     * A server process: a new connection to the same database, the secrets read from their
     * file, and a fresh app.
     */
    const start = async (): Promise<TestContext> => {
      const db = await reopen()
      const secrets = loadSecrets(secretsPath)
      const app = createApp({
        db,
        clock: ctx.clock,
        config: ctx.config,
        secrets,
        logger: memoryLogger(),
      })
      const call = (method: string, path: string, o?: CallOptions) => callApp(app, method, path, o)
      // In-process only: this test serves nothing over HTTP.
      return { ...ctx, db, app, secrets, call, callServed: call }
    }
    const before = await start()
    const s = await signInStaff(before)
    const m = await linkedMember(before, { points: 200 })
    const body = { qrToken: m.qrNow(), type: 'redeem', points: 150 }
    const first = await tillCall(before, s.clerk, '/api/staff/points', body, 'survives-restart')
    expect(first.status).toBe(200)
    await before.db.close()

    const after = await start()
    try {
      const send = (b: unknown) =>
        after.app.request('/api/staff/points', {
          method: 'POST',
          headers: { ...s.clerk, 'Idempotency-Key': 'survives-restart' },
          body: JSON.stringify(b),
        })
      const again = await send(body)
      expect(again.status).toBe(200)
      expect(await again.json()).toEqual(first.json)
      expect(again.headers.get('Idempotent-Replayed')).toBe('true')
      const other = await send({ ...body, points: 10 })
      expect(other.status).toBe(422)
      const card = await row<{ points: number }>(
        after.db,
        sql`SELECT points FROM point_cards WHERE id = ${m.cardId}`,
      )
      expect(Number(card?.points)).toBe(50)
      const rows = await row<{ n: number }>(
        after.db,
        sql`SELECT CAST(count(*) AS BIGINT) AS n FROM ledger WHERE idempotency_key = 'survives-restart'`,
      )
      expect(Number(rows?.n)).toBe(1)
    } finally {
      await after.db.close()
    }
  })
})
