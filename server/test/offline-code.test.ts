import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import {
  OFFLINE_ATTEMPTS_PER_HOUR,
  offlineCodeAt,
  parseOfflineCode,
} from '../src/services/offline-code.ts'
import { cardState, linkedMember, signInStaff, tillCall } from './points-support.ts'
import { createTestContext, row } from './support.ts'

// Offline card codes (docs/decisions/067): a per-link device key, TOTP codes, single use.
const ctx = await createTestContext({ env: { LINK_BONUS_POINTS: '0' } })
const staff = await signInStaff(ctx)
const points = '/api/staff/points'

type Member = Awaited<ReturnType<typeof linkedMember>>

async function deviceKey(m: Member) {
  const res = await ctx.call('POST', '/api/card/device-key', {
    headers: await ctx.userHeaders(m.user),
  })
  expect(res.status).toBe(200)
  return res.json as { linkId: number; secret: string; digits: number; period: number }
}

/** The QR text and the short code the phone shows at `at` (ms). */
async function codes(key: { linkId: number; secret: string }, at = ctx.clock.now()) {
  const totp = await offlineCodeAt(key.secret, at)
  return { qr: `OFF1-${key.linkId}-${totp}`, short: `${key.linkId}-${totp}` }
}

const award = (qrToken: string, headers = staff.clerk) =>
  tillCall(ctx, headers, points, { qrToken, type: 'award', purchaseAmount: 1000 })
const redeem = (qrToken: string, headers = staff.clerk) =>
  tillCall(ctx, headers, points, { qrToken, type: 'redeem', points: 10 })

describe('offline card codes (decision 067)', () => {
  it('issues a key per link, stored sealed, and a new one replaces the old', async () => {
    const m = await linkedMember(ctx)
    const first = await deviceKey(m)
    expect(first).toMatchObject({ linkId: m.linkId, digits: 8, period: 30 })
    expect(first.secret).toMatch(/^[A-Z2-7]{32}$/)
    const stored = await row<{ secret: string }>(
      ctx.db,
      sql`SELECT secret FROM device_keys WHERE link_id = ${m.linkId}`,
    )
    expect(stored?.secret).toBeDefined()
    expect(stored?.secret).not.toContain(first.secret)
    const second = await deviceKey(m)
    expect(second.secret).not.toBe(first.secret)
    expect((await award((await codes(first)).qr)).json.error.code).toBe('QR_INVALID')
    expect((await award((await codes(second)).qr)).status).toBe(200)
  })

  it('needs a linked member to issue a key', async () => {
    const res = await ctx.call('POST', '/api/card/device-key', {
      headers: await ctx.userHeaders(ctx.newUser()),
    })
    expect(res.status).toBe(404)
    expect(res.json.error.code).toBe('NOT_LINKED')
  })

  it('accepts the QR and the typed short code once each, and refuses a replay', async () => {
    const m = await linkedMember(ctx, { points: 500 })
    const key = await deviceKey(m)
    const { qr, short } = await codes(key)
    const scan = await ctx.call('POST', '/api/staff/scan', {
      headers: staff.clerk,
      body: { qrToken: qr },
    })
    expect(scan.status).toBe(200)
    expect(scan.json.member.cardNumber).toContain(m.cardNumber.slice(-4))
    expect((await redeem(qr)).status).toBe(200)
    // The same code again (a screenshot), typed or scanned, for any transaction: refused.
    const replay = await redeem(short)
    expect(replay.status).toBe(409)
    expect(replay.json.error.code).toBe('QR_ALREADY_USED')
    expect((await award(qr)).json.error.code).toBe('QR_ALREADY_USED')
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 490, balance: 490 })
    // The next step's code works: the phone shows a new one every 30 seconds.
    ctx.clock.advance(30_000)
    const next = await codes(key)
    expect((await award(` ${next.short.replace('-', ' - ')} `)).status).toBe(200)
  })

  it('binds a code to the first store that uses it (decision 037)', async () => {
    const m = await linkedMember(ctx, { points: 100 })
    const { qr } = await codes(await deviceKey(m))
    const other = await ctx.call('POST', '/api/staff/scan', {
      headers: staff.otherManager,
      body: { qrToken: qr },
    })
    expect(other.status).toBe(200)
    expect((await redeem(qr)).json.error.code).toBe('QR_ALREADY_USED')
  })

  it('accepts a code one step early or late (clock skew), not two', async () => {
    const m = await linkedMember(ctx)
    const key = await deviceKey(m)
    const now = ctx.clock.now()
    expect((await award((await codes(key, now - 30_000)).qr)).status).toBe(200)
    expect((await award((await codes(key, now + 30_000)).qr)).status).toBe(200)
    const tooOld = await award((await codes(key, now - 90_000)).qr)
    expect(tooOld.status).toBe(400)
    expect(tooOld.json.error.code).toBe('QR_INVALID')
    expect((await award((await codes(key, now + 90_000)).qr)).json.error.code).toBe('QR_INVALID')
  })

  it('refuses every code after an unlink, and the key is gone', async () => {
    const m = await linkedMember(ctx)
    const key = await deviceKey(m)
    const before = await codes(key)
    const unlink = await ctx.call('DELETE', '/api/link', { headers: await ctx.userHeaders(m.user) })
    expect(unlink.status).toBe(204)
    const after = await award(before.qr)
    expect(after.json.error.code).toBe('QR_INVALID')
    const left = await row<{ n: number }>(
      ctx.db,
      sql`SELECT COUNT(*) AS n FROM device_keys WHERE link_id = ${m.linkId}`,
    )
    expect(Number(left?.n)).toBe(0)
  })

  it(`limits guesses to ${OFFLINE_ATTEMPTS_PER_HOUR} per link per hour, right code included`, async () => {
    const m = await linkedMember(ctx)
    const key = await deviceKey(m)
    const right = await codes(key)
    const wrongDigits = right.short.endsWith('0000000') ? '11111111' : '00000000'
    const wrong = `${key.linkId}-${wrongDigits}`
    for (let i = 0; i < OFFLINE_ATTEMPTS_PER_HOUR; i++) {
      expect((await award(wrong)).json.error.code).toBe('QR_INVALID')
    }
    const locked = await award(right.short)
    expect(locked.status).toBe(429)
    expect(locked.json.error.code).toBe('TOO_MANY_ATTEMPTS')
    // Another member is not affected; the next hour starts over.
    const other = await linkedMember(ctx)
    expect((await award((await codes(await deviceKey(other))).short)).status).toBe(200)
    ctx.clock.advance(3_600_000)
    expect((await award((await codes(key)).short)).status).toBe(200)
  })

  it('parses only the two offline shapes', () => {
    expect(parseOfflineCode('OFF1-12-12345678')).toEqual({ linkId: 12, code: '12345678' })
    expect(parseOfflineCode('off1-12-12345678')).toEqual({ linkId: 12, code: '12345678' })
    expect(parseOfflineCode('12 - 1234 5678')).toEqual({ linkId: 12, code: '12345678' })
    expect(parseOfflineCode('1234567812345678')).toBeNull()
    expect(parseOfflineCode('12-1234567')).toBeNull()
    expect(parseOfflineCode('0-12345678')).toBeNull()
    expect(parseOfflineCode('99999999999-12345678')).toBeNull()
  })
})
