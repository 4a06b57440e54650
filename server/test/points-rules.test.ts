import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { sql } from 'drizzle-orm'
import fc from 'fast-check'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { removeDataDir, startServer } from '../../tests/support/server.ts'
import { ConfigError, loadConfig, parseRatio } from '../src/config.ts'
import { openDatabase } from '../src/db/client.ts'
import { memoryLogger } from '../src/logger.ts'
import { loadSecrets } from '../src/secrets.ts'
import { awardPointsFor, type LedgerChange, startOfDay } from '../src/services/points.ts'
import { runPointsHousekeeping, startPointsJobs } from '../src/services/points-jobs.ts'
import { cardState, linkedMember, signInStaff, tillCall } from './points-support.ts'
import { addCard, createTestContext, openTestDatabase, row } from './support.ts'

const DAY = 86_400_000

describe('award rounding and rank multipliers', () => {
  const rate = parseRatio('0.01')

  it.each([
    [99, 'regular', 0],
    [100, 'regular', 1],
    [199, 'regular', 1],
    [10_000, 'regular', 100],
    [100, 'silver', 1], // 1.5 → 1
    [199, 'silver', 2], // 2.985 → 2
    [200, 'silver', 3],
    [1999, 'gold', 39], // 39.98 → 39
    [10_000_000, 'gold', 200_000],
  ])('%i yen at %s earns %i points', (amount, rank, expected) => {
    const mult = { regular: parseRatio('1'), silver: parseRatio('1.5'), gold: parseRatio('2') }[
      rank as 'regular'
    ]
    expect(awardPointsFor(amount, rate, mult)).toBe(expected)
  })

  it('is exactly floor(amount × rate × multiplier) for any decimals (no float error)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 99 }),
        (amount, rateMilli, multWhole, multTenth, multHundredth) => {
          // rate = rateMilli / 1000 (e.g. 10 → 0.010), multiplier = whole.tenth hundredth
          const rateStr = `${Math.floor(rateMilli / 1000)}.${String(rateMilli % 1000).padStart(3, '0')}`
          const multStr = `${multWhole}.${multTenth}${String(multHundredth).padStart(2, '0')}`
          const got = awardPointsFor(amount, parseRatio(rateStr), parseRatio(multStr))
          // Independent check in integers: points × 10^8 ≤ amount × rate × mult × 10^8 < (points+1) × 10^8
          const exact =
            BigInt(amount) *
            BigInt(rateMilli) *
            BigInt(multWhole * 1000 + multTenth * 100 + multHundredth)
          const scale = 1000n * 1000n
          expect(BigInt(got) * scale <= exact).toBe(true)
          expect((BigInt(got) + 1n) * scale > exact).toBe(true)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('reads the rules from the environment and rejects bad ones', () => {
    const c = loadConfig({
      POINTS_RATE: '0.05',
      POINTS_RANK_MULTIPLIERS: 'regular:1, platinum:3.25',
      POINTS_EXPIRY_DAYS: '180',
      POINTS_VOID_WINDOW_MINUTES: '30',
    })
    expect(c.points.rate).toEqual({ num: 5, den: 100 })
    expect(c.points.rankMultipliers.platinum).toEqual({ num: 325, den: 100 })
    expect(c.points.expiryDays).toBe(180)
    expect(c.points.voidWindowMs).toBe(30 * 60_000)
    const d = loadConfig({})
    expect(d.points.rankMultipliers).toEqual({
      regular: { num: 1, den: 1 },
      silver: { num: 15, den: 10 },
      gold: { num: 2, den: 1 },
    })
    expect(d.points.expiryDays).toBe(365)
    expect(d.points.idempotencyRetentionMs).toBeGreaterThanOrEqual(24 * 3600_000)
    expect(() => loadConfig({ POINTS_RATE: '-1' })).toThrow(ConfigError)
    expect(() => loadConfig({ POINTS_RANK_MULTIPLIERS: 'gold=2' })).toThrow(
      /POINTS_RANK_MULTIPLIERS/,
    )
    expect(() => loadConfig({ IDEMPOTENCY_RETENTION_HOURS: '12' })).toThrow(ConfigError)
    expect(() => loadConfig({ TILL_TIME_ZONE: 'Mars/Base' })).toThrow(/TILL_TIME_ZONE/)
  })

  it('uses the configured rate and multipliers at the till', async () => {
    const ctx = await createTestContext({
      env: {
        LINK_BONUS_POINTS: '0',
        POINTS_RATE: '0.05',
        POINTS_RANK_MULTIPLIERS: 'regular:1,vip:1.25',
      },
    })
    const staff = await signInStaff(ctx)
    const m = await linkedMember(ctx, { rank: 'vip' })
    const res = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken: m.qrNow(),
      type: 'award',
      purchaseAmount: 1234,
    })
    // 1234 × 0.05 × 1.25 = 77.125 → 77
    expect(res.json).toMatchObject({ points: 77, balance: 77 })
    const unknownRank = await linkedMember(ctx, { rank: 'bronze' })
    const r2 = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken: unknownRank.qrNow(),
      type: 'award',
      purchaseAmount: 1234,
    })
    expect(r2.json.points).toBe(61) // 1× for a rank the rules do not name
    const odd = await linkedMember(ctx, { rank: 'constructor' })
    const r3 = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken: odd.qrNow(),
      type: 'award',
      purchaseAmount: 1234,
    })
    expect(r3.status).toBe(200)
    expect(r3.json.points).toBe(61)
  })

  it('knows where "today" starts in the till time zone', () => {
    expect(startOfDay(Date.UTC(2026, 10, 22, 15, 30), 'Asia/Tokyo')).toBe(
      Date.UTC(2026, 10, 22, 15),
    )
    expect(startOfDay(Date.UTC(2026, 10, 22, 14, 59), 'Asia/Tokyo')).toBe(
      Date.UTC(2026, 10, 21, 15),
    )
    expect(startOfDay(Date.UTC(2026, 10, 22, 23, 0), 'UTC')).toBe(Date.UTC(2026, 10, 22))
  })
})

describe('expiry (fake clock)', () => {
  it('expires a balance 365 days after the last activity, once, and reports it to the hook', async () => {
    const ctx = await createTestContext({ env: { LINK_BONUS_POINTS: '0' } })
    const staff = await signInStaff(ctx)
    const m = await linkedMember(ctx, { points: 0 })
    const active = await linkedMember(ctx, { points: 0 })
    for (const x of [m, active]) {
      await tillCall(ctx, staff.clerk, '/api/staff/points', {
        qrToken: x.qrNow(),
        type: 'award',
        purchaseAmount: 12_345,
      })
    }
    const changes: LedgerChange[] = []
    const run = () =>
      runPointsHousekeeping({
        db: ctx.db,
        clock: ctx.clock,
        secrets: ctx.secrets,
        rules: ctx.config.points,
        logger: memoryLogger(),
        onLedgerChange: (_tx, change) => {
          changes.push(change)
        },
      })
    ctx.clock.advance(200 * DAY)
    // Activity on one card (a redemption) restarts its 365 days.
    const fresh = await signInStaff(ctx)
    await tillCall(ctx, fresh.clerk, '/api/staff/points', {
      qrToken: active.qrNow(),
      type: 'redeem',
      points: 1,
    })
    ctx.clock.advance(165 * DAY - 1)
    expect((await run()).expiredCards).toBe(0)
    ctx.clock.advance(1)
    const first = await run()
    expect(first).toMatchObject({ expiredCards: 1, expiredPoints: 123 })
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 0, balance: 0 })
    expect(await cardState(ctx, active.cardId)).toEqual({ ledgerSum: 122, balance: 122 })
    expect(changes).toMatchObject([
      { cardId: m.cardId, type: 'expire', points: -123, balance: 0, lineUserId: m.user },
    ])
    expect((await run()).expiredCards).toBe(0)
    const history = await ctx.call('GET', '/api/points/history', {
      headers: await ctx.userHeaders(m.user),
    })
    expect(history.json.items[0]).toMatchObject({ type: 'expire', points: -123, balance: 0 })
    ctx.clock.advance(200 * DAY)
    expect(await run()).toMatchObject({ expiredCards: 1, expiredPoints: 122 })
    expect(await cardState(ctx, active.cardId)).toEqual({ ledgerSum: 0, balance: 0 })
  })

  it('does nothing with POINTS_EXPIRY_DAYS=0', async () => {
    const ctx = await createTestContext({ env: { POINTS_EXPIRY_DAYS: '0' } })
    const card = await addCard(ctx.db, ctx.secrets, { points: 40 })
    ctx.clock.advance(5000 * DAY)
    const r = await runPointsHousekeeping({
      db: ctx.db,
      clock: ctx.clock,
      secrets: ctx.secrets,
      rules: ctx.config.points,
      logger: memoryLogger(),
    })
    expect(r.expiredCards).toBe(0)
    expect((await cardState(ctx, card.cardId)).balance).toBe(40)
  })

  it('runs on the configured interval inside the server', async () => {
    // The pool's wait for a connection is a timer too: it must not fire as fake time jumps.
    const db = await openTestDatabase(':memory:', { connectTimeoutMs: 0 })
    vi.useFakeTimers()
    try {
      const ctx = await createTestContext({ env: { POINTS_EXPIRY_INTERVAL_MINUTES: '10' }, db })
      const card = await addCard(ctx.db, ctx.secrets, { points: 30 })
      ctx.clock.advance(400 * DAY)
      const logger = memoryLogger()
      const stop = startPointsJobs({
        db: ctx.db,
        clock: ctx.clock,
        secrets: ctx.secrets,
        rules: ctx.config.points,
        logger,
      })
      // Nothing runs before the first delay.
      await vi.advanceTimersByTimeAsync(4_000)
      expect((await cardState(ctx, card.cardId)).balance).toBe(30)
      // The run is a chain of database turns: wait for it to end (its log line).
      await vi.advanceTimersByTimeAsync(1_000)
      await vi.waitFor(() => expect(logger.lines.join('\n')).toContain('"expiredCards":1'), {
        timeout: 15_000,
      })
      expect((await cardState(ctx, card.cardId)).balance).toBe(0)
      const later = await addCard(ctx.db, ctx.secrets, { points: 9 })
      ctx.clock.advance(400 * DAY)
      await vi.advanceTimersByTimeAsync(10 * 60_000)
      await vi.waitFor(
        () => expect(logger.lines.filter((l) => l.includes('"expiredCards":1'))).toHaveLength(2),
        { timeout: 15_000 },
      )
      expect((await cardState(ctx, later.cardId)).balance).toBe(0)
      stop()
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('the expiry job inside the real server process', () => {
  it('expires a stale balance shortly after start, without anyone running the CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'points-job-'))
    try {
      const databasePath = join(dir, 'membercard.db')
      const db = await openDatabase({ databasePath })
      const secrets = loadSecrets(`${databasePath}.secrets.json`)
      const stale = await addCard(db, secrets, { points: 321 })
      await db.execute(
        sql`UPDATE point_cards SET last_activity_at = ${Date.now() - 366 * DAY}
          WHERE id = ${stale.cardId}`,
      )
      await db.close()
      const server = await startServer({ dataDir: dir })
      try {
        const read = async () => {
          const check = await openDatabase({ databasePath })
          try {
            return await check.execute(
              sql`SELECT type, points FROM ledger WHERE card_id = ${stale.cardId} ORDER BY id`,
            )
          } finally {
            await check.close()
          }
        }
        await expect.poll(read, { timeout: 20_000, interval: 500 }).toEqual([
          { type: 'import', points: 321 },
          { type: 'expire', points: -321 },
        ])
      } finally {
        await server.stop()
      }
    } finally {
      removeDataDir(dir)
    }
  }, 60_000)
})

describe('pnpm points:expire', () => {
  const dir = mkdtempSync(join(tmpdir(), 'points-cli-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('expires stale balances in the database file, and a second run changes nothing', async () => {
    const databasePath = join(dir, 'cli.db')
    const db = await openDatabase({ databasePath })
    const secrets = loadSecrets(`${databasePath}.secrets.json`)
    const stale = await addCard(db, secrets, { points: 70 })
    const recent = await addCard(db, secrets, { points: 5 })
    await db.execute(
      sql`UPDATE point_cards SET last_activity_at = ${Date.now() - 400 * DAY}
        WHERE id = ${stale.cardId}`,
    )
    await db.close()
    const root = resolve(import.meta.dirname, '../..')
    const run = () =>
      execFileSync(process.execPath, ['--import', 'tsx', 'server/src/cli/points-expire.ts'], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', DATABASE_PATH: databasePath, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
      })
    expect(run()).toContain('Expired 70 points on 1 card(s)')
    expect(run()).toContain('Expired 0 points on 0 card(s)')
    const after = await openDatabase({ databasePath })
    const rows = await after.execute(
      sql`SELECT card_id, type, points FROM ledger WHERE type = ${'expire'} ORDER BY id`,
    )
    const recentCard = await row(
      after,
      sql`SELECT points FROM point_cards WHERE id = ${recent.cardId}`,
    )
    await after.close()
    expect(rows).toEqual([{ card_id: stale.cardId, type: 'expire', points: -70 }])
    expect(recentCard).toEqual({ points: 5 })
  })
})
