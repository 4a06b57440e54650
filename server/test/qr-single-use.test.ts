import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import { memoryLogger } from '../src/logger.ts'
import { runPointsHousekeeping } from '../src/services/points-jobs.ts'
import { QR_SPEND, QR_USE_GRACE_MS, useQrToken } from '../src/services/qr-use.ts'
import {
  cardState,
  linkedMember,
  reopenableDatabase,
  signInStaff,
  tillCall,
} from './points-support.ts'
import { callApp, createTestContext, row } from './support.ts'

// Two app instances on one database (on PostgreSQL: two pools, as two servers would have).
const open = await reopenableDatabase()
const dbA = await open()
const dbB = await open()
afterAll(async () => {
  await dbA.close()
  await dbB.close()
})
const ctx = await createTestContext({ db: dbA, env: { LINK_BONUS_POINTS: '0' } })
const staff = await signInStaff(ctx)
const appB = createApp({
  db: dbB,
  clock: ctx.clock,
  config: ctx.config,
  secrets: ctx.secrets,
  logger: memoryLogger(),
})
const onB = (
  headers: Record<string, string>,
  path: string,
  body: unknown,
  key: string = randomUUID(),
) => callApp(appB, 'POST', path, { headers: { ...headers, 'Idempotency-Key': key }, body })

const points = '/api/staff/points'

function expectAlreadyUsed(res: { status: number; json: { error?: { code: string } } }) {
  expect(res.status).toBe(409)
  expect(res.json.error?.code).toBe('QR_ALREADY_USED')
}

describe('a QR token is spent by its redemption (photographed codes, decision 002)', () => {
  it('refuses a second redemption with the same token (another key), whatever the amount', async () => {
    const m = await linkedMember(ctx, { points: 500 })
    const qrToken = await m.qr()
    const first = await tillCall(ctx, staff.clerk, points, { qrToken, type: 'redeem', points: 10 })
    expect(first.status).toBe(200)
    const again = await tillCall(ctx, staff.clerk, points, { qrToken, type: 'redeem', points: 10 })
    expectAlreadyUsed(again)
    expect(again.json.error.message).toContain('fresh code')
    const other = await tillCall(ctx, staff.manager, points, { qrToken, type: 'redeem', points: 1 })
    expectAlreadyUsed(other)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 490, balance: 490 })
    // A fresh code from the card screen redeems again.
    const fresh = await tillCall(ctx, staff.clerk, points, {
      qrToken: await m.qr(),
      type: 'redeem',
      points: 10,
    })
    expect(fresh.status).toBe(200)
  })

  it('replays the same Idempotency-Key and body: the first answer, not a second use', async () => {
    const m = await linkedMember(ctx, { points: 100 })
    const body = { qrToken: await m.qr(), type: 'redeem', points: 30 }
    const first = await tillCall(ctx, staff.clerk, points, body, 'photo-replay-key-1')
    const replay = await tillCall(ctx, staff.clerk, points, body, 'photo-replay-key-1')
    expect(first.status).toBe(200)
    expect(replay.status).toBe(200)
    expect(replay.json).toEqual(first.json)
    // Also on the other instance (the key is shared through the database).
    const elsewhere = await onB(staff.clerk, points, body, 'photo-replay-key-1')
    expect(elsewhere.status).toBe(200)
    expect(elsewhere.json).toEqual(first.json)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 70, balance: 70 })
  })

  it('leaves the token unspent when the redemption is refused (too few points)', async () => {
    const m = await linkedMember(ctx, { points: 50 })
    const qrToken = await m.qr()
    const tooMuch = await tillCall(ctx, staff.clerk, points, {
      qrToken,
      type: 'redeem',
      points: 80,
    })
    expect(tooMuch.json.error.code).toBe('INSUFFICIENT_POINTS')
    const ok = await tillCall(ctx, staff.clerk, points, { qrToken, type: 'redeem', points: 50 })
    expect(ok.status).toBe(200)
  })

  it('lets one till split a purchase: awards repeat, and a redemption with them, at one store', async () => {
    const m = await linkedMember(ctx, { points: 100 })
    const qrToken = await m.qr()
    const scan = await ctx.call('POST', '/api/staff/scan', {
      headers: staff.clerk,
      body: { qrToken },
    })
    expect(scan.status).toBe(200)
    for (const amount of [1000, 2000]) {
      const award = await tillCall(ctx, staff.clerk, points, {
        qrToken,
        type: 'award',
        purchaseAmount: amount,
      })
      expect(award.status).toBe(200)
    }
    const redeem = await tillCall(ctx, staff.manager, points, {
      qrToken,
      type: 'redeem',
      points: 5,
    })
    expect(redeem.status).toBe(200)
    const after = await tillCall(ctx, staff.clerk, points, {
      qrToken,
      type: 'award',
      purchaseAmount: 500,
    })
    expect(after.status).toBe(200)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 130, balance: 130 })
  })

  it('redeems one token once when 20 tills send it at the same moment, on two instances', async () => {
    const m = await linkedMember(ctx, { points: 1000 })
    const qrToken = await m.qr()
    const body = { qrToken, type: 'redeem', points: 10 }
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 ? tillCall(ctx, staff.clerk, points, body) : onB(staff.clerk, points, body),
      ),
    )
    expect(results.filter((r) => r.status === 200)).toHaveLength(1)
    for (const r of results.filter((r) => r.status !== 200)) expectAlreadyUsed(r)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 990, balance: 990 })
  })
})

describe('a QR token belongs to the first store that scanned it', () => {
  it('refuses a scan, an award, a redemption and an adjustment at a second store', async () => {
    const m = await linkedMember(ctx, { points: 100 })
    const qrToken = await m.qr()
    const scanA = await ctx.call('POST', '/api/staff/scan', {
      headers: staff.clerk,
      body: { qrToken },
    })
    expect(scanA.status).toBe(200)
    const scanB = await callApp(appB, 'POST', '/api/staff/scan', {
      headers: staff.otherManager,
      body: { qrToken },
    })
    expectAlreadyUsed(scanB)
    expectAlreadyUsed(
      await onB(staff.otherManager, points, { qrToken, type: 'award', purchaseAmount: 5000 }),
    )
    expectAlreadyUsed(
      await tillCall(ctx, staff.otherManager, points, { qrToken, type: 'redeem', points: 1 }),
    )
    expectAlreadyUsed(
      await tillCall(ctx, staff.otherManager, '/api/staff/adjust', {
        qrToken,
        points: 5,
        reason: 'x',
      }),
    )
    // The first store still can.
    const award = await tillCall(ctx, staff.clerk, points, {
      qrToken,
      type: 'award',
      purchaseAmount: 1000,
    })
    expect(award.status).toBe(200)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 110, balance: 110 })
  })

  it('a refused scan (the card unlinked since) binds nothing', async () => {
    const m = await linkedMember(ctx, { points: 0 })
    const qrToken = await m.qr()
    expect((await ctx.call('DELETE', '/api/link', { headers: m.headers })).status).toBe(204)
    const { checkQrToken } = await import('../src/services/qr-token.ts')
    const check = checkQrToken(ctx.secrets.qrTokenKey, qrToken, ctx.clock.now())
    if (!check.ok) throw new Error('the token should check')
    const scan = await ctx.call('POST', '/api/staff/scan', {
      headers: staff.clerk,
      body: { qrToken },
    })
    expect(scan.json.error.code).toBe('QR_INVALID')
    expect(
      await row(
        ctx.db,
        sql`SELECT 1 AS x FROM qr_token_uses WHERE token_id = ${check.payload.tokenId}`,
      ),
    ).toBe(undefined)
  })

  it('binds on the first award too, and two stores racing with one token: one store wins', async () => {
    const m = await linkedMember(ctx, { points: 0 })
    const qrToken = await m.qr()
    const body = { qrToken, type: 'award', purchaseAmount: 1000 }
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 ? tillCall(ctx, staff.clerk, points, body) : onB(staff.otherManager, points, body),
      ),
    )
    const won = results.filter((r) => r.status === 200)
    const lost = results.filter((r) => r.status !== 200)
    expect(won.length).toBe(5)
    expect(lost.length).toBe(5)
    for (const r of lost) expectAlreadyUsed(r)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 50, balance: 50 })
  })
})

describe('coupons use the same mechanism (a spending kind of its own)', () => {
  it("spends a coupon use once per token, beside a points redemption, at the token's store only", async () => {
    const expiresAtSec = Math.floor(ctx.clock.now() / 1000) + ctx.config.cardTokenTtlSeconds
    const token = { tokenId: `coupon-${randomUUID()}`, expiresAtSec }
    const use = (storeCode: string, spend: (typeof QR_SPEND)[keyof typeof QR_SPEND]) =>
      dbA.transaction((tx) => useQrToken(tx, { ...token, storeCode, spend }))
    await use('S001', QR_SPEND.points)
    await use('S001', QR_SPEND.coupon)
    await expect(use('S001', QR_SPEND.coupon)).rejects.toMatchObject({ code: 'QR_ALREADY_USED' })
    await expect(use('S001', QR_SPEND.points)).rejects.toMatchObject({ code: 'QR_ALREADY_USED' })
    await expect(use('S002', QR_SPEND.none)).rejects.toMatchObject({ code: 'QR_ALREADY_USED' })
    await use('S001', QR_SPEND.none)
  })
})

describe('the rows of used tokens', () => {
  it('are purged by the housekeeping once the token has expired (plus the grace)', async () => {
    const m = await linkedMember(ctx, { points: 0 })
    const qrToken = await m.qr()
    expect(
      (await ctx.call('POST', '/api/staff/scan', { headers: staff.clerk, body: { qrToken } }))
        .status,
    ).toBe(200)
    const count = async () =>
      Number((await row<{ n: number }>(ctx.db, sql`SELECT count(*) AS n FROM qr_token_uses`))?.n)
    const housekeeping = () =>
      runPointsHousekeeping({
        db: ctx.db,
        clock: ctx.clock,
        secrets: ctx.secrets,
        rules: ctx.config.points,
        logger: memoryLogger(),
      })
    const before = await count()
    expect(before).toBeGreaterThan(0)
    expect((await housekeeping()).purgedQrTokens).toBe(0)
    ctx.clock.advance(ctx.config.cardTokenTtlSeconds * 1000 + QR_USE_GRACE_MS + 1000)
    expect((await housekeeping()).purgedQrTokens).toBe(before)
    expect(await count()).toBe(0)
    // An expired token is refused as expired, row or no row.
    const late = await tillCall(ctx, staff.clerk, points, {
      qrToken,
      type: 'award',
      purchaseAmount: 100,
    })
    expect(late.json.error.code).toBe('QR_EXPIRED')
  })
})
