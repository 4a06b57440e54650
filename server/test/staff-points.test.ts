import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { cardState, linkedMember, signInStaff, TILL_PASSWORD, tillCall } from './points-support.ts'
import { createTestContext, row } from './support.ts'

const ctx = await createTestContext({ env: { LINK_BONUS_POINTS: '0' } })
const staff = await signInStaff(ctx)
const { call, clock } = ctx

describe('POST /api/staff/login, /me, /logout', () => {
  it('signs in, shows who and where, and a sign-out revokes the token', async () => {
    const login = await call('POST', '/api/staff/login', {
      headers: { 'Content-Type': 'application/json' },
      body: { staffId: 'till-clerk', password: TILL_PASSWORD },
    })
    expect(login.status).toBe(200)
    expect(Date.parse(login.json.expiresAt) - clock.now()).toBe(12 * 3600_000)
    const headers = {
      Authorization: `Bearer ${login.json.token}`,
      'Content-Type': 'application/json',
    }
    const me = await call('GET', '/api/staff/me', { headers })
    expect(me.json).toEqual({
      staffId: 'till-clerk',
      storeCode: 'S001',
      storeName: 'Store S001',
      role: 'clerk',
      rules: {
        rate: { num: 1, den: 100 },
        rankMultipliers: {
          regular: { num: 1, den: 1 },
          silver: { num: 15, den: 10 },
          gold: { num: 2, den: 1 },
        },
        voidWindowMinutes: 1440,
      },
    })
    expect((await call('POST', '/api/staff/logout', { headers })).status).toBe(204)
    const after = await call('GET', '/api/staff/me', { headers })
    expect(after.status).toBe(401)
    expect(after.json.error.code).toBe('STAFF_AUTH_REQUIRED')
  })

  it('answers 401 INVALID_CREDENTIALS for a wrong password', async () => {
    const res = await call('POST', '/api/staff/login', {
      headers: { 'Content-Type': 'application/json' },
      body: { staffId: 'till-manager', password: 'wrong-password' },
    })
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('INVALID_CREDENTIALS')
  })
})

describe('who may call the till', () => {
  it('refuses a missing token, a customer ID token, and a staff token on customer routes', async () => {
    const m = await linkedMember(ctx)
    const body = { qrToken: await m.qr(), type: 'award', purchaseAmount: 1000 }
    const none = await tillCall(
      ctx,
      { 'Content-Type': 'application/json' },
      '/api/staff/points',
      body,
    )
    expect(none.status).toBe(401)
    expect(none.json.error.code).toBe('STAFF_AUTH_REQUIRED')
    const customer = await tillCall(ctx, m.headers, '/api/staff/points', body)
    expect(customer.status).toBe(401)
    expect(customer.json.error.code).toBe('STAFF_AUTH_REQUIRED')
    const onCustomer = await call('GET', '/api/me', { headers: staff.clerk })
    expect(onCustomer.status).toBe(401)
    expect(onCustomer.json.error.code).toBe('INVALID_ID_TOKEN')
    expect((await cardState(ctx, m.cardId)).balance).toBe(0)
  })

  it('ends a staff session after 12 idle hours; use keeps it alive, for 7 days at most', async () => {
    const signIn = async () => {
      const login = await call('POST', '/api/staff/login', {
        headers: { 'Content-Type': 'application/json' },
        body: { staffId: 'till-clerk', password: TILL_PASSWORD },
      })
      return { Authorization: `Bearer ${login.json.token}` }
    }
    const me = async (headers: Record<string, string>) =>
      (await call('GET', '/api/staff/me', { headers })).status
    const start = clock.now()
    // Left alone for 12 hours: signed out.
    const idle = await signIn()
    clock.advance(12 * 3600_000 - 1000)
    expect(await me(idle)).toBe(200)
    // (that use moved its deadline on: 12 idle hours from now)
    clock.advance(12 * 3600_000 - 1000)
    expect(await me(idle)).toBe(200)
    clock.advance(12 * 3600_000)
    expect(await me(idle)).toBe(401)
    clock.set(start)
    // Used every 11 hours: still signed in after 6 days, but never past 7 days from sign-in.
    const busy = await signIn()
    for (let h = 11; h < 7 * 24; h += 11) {
      clock.advance(11 * 3600_000)
      expect(await me(busy)).toBe(200)
    }
    clock.set(start + 7 * 24 * 3600_000 - 1000)
    expect(await me(busy)).toBe(200)
    clock.advance(1000)
    expect(await me(busy)).toBe(401)
    clock.set(start)
  })
})

describe('POST /api/staff/points', () => {
  it('awards floor(amount × rate × rank multiplier) and records token, store, staff and key', async () => {
    const m = await linkedMember(ctx, { rank: 'gold', points: 100 })
    const qrToken = await m.qr()
    const res = await tillCall(
      ctx,
      staff.clerk,
      '/api/staff/points',
      { qrToken, type: 'award', purchaseAmount: 1999 },
      'key-award-1',
    )
    expect(res.status).toBe(200)
    // 1999 yen × 0.01 × 2 = 39.98 → 39
    expect(res.json).toEqual({ transactionId: expect.any(String), points: 39, balance: 139 })
    const entry = await row<Record<string, unknown>>(
      ctx.db,
      sql`SELECT * FROM ledger WHERE id = ${Number(res.json.transactionId)}`,
    )
    const { checkQrToken } = await import('../src/services/qr-token.ts')
    const check = checkQrToken(ctx.secrets.qrTokenKey, qrToken, clock.now())
    expect(check.ok && check.payload.tokenId).toBeTruthy()
    expect(entry).toMatchObject({
      card_id: m.cardId,
      type: 'award',
      points: 39,
      balance_after: 139,
      store_code: 'S001',
      staff_id: 'till-clerk',
      idempotency_key: 'key-award-1',
      qr_token_id: check.ok ? check.payload.tokenId : 'x',
      purchase_amount: 1999,
    })
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 139, balance: 139 })
  })

  it('redeems whole points, and lets one QR token serve a purchase and a redemption', async () => {
    const m = await linkedMember(ctx, { points: 500 })
    const qrToken = await m.qr()
    const award = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken,
      type: 'award',
      purchaseAmount: 2500,
    })
    expect(award.json).toMatchObject({ points: 25, balance: 525 })
    const redeem = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken,
      type: 'redeem',
      points: 300,
    })
    expect(redeem.status).toBe(200)
    expect(redeem.json).toMatchObject({ points: -300, balance: 225 })
    const history = await call('GET', '/api/points/history', {
      headers: await ctx.userHeaders(m.user),
    })
    expect(history.json.items.slice(0, 2)).toMatchObject([
      { type: 'redeem', points: -300, balance: 225, storeCode: 'S001' },
      { type: 'award', points: 25, balance: 525 },
    ])
  })

  it('answers 422 INSUFFICIENT_POINTS for more than the balance, and changes nothing', async () => {
    const m = await linkedMember(ctx, { points: 50 })
    const res = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken: await m.qr(),
      type: 'redeem',
      points: 51,
    })
    expect(res.status).toBe(422)
    expect(res.json.error.code).toBe('INSUFFICIENT_POINTS')
    expect(res.json.error.message).toContain('50')
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 50, balance: 50 })
    const all = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken: await m.qr(),
      type: 'redeem',
      points: 50,
    })
    expect(all.json).toMatchObject({ points: -50, balance: 0 })
  })

  it('answers 410 QR_EXPIRED after the token lifetime and 400 QR_INVALID for a forged or unlinked one', async () => {
    const m = await linkedMember(ctx, { points: 10 })
    const qrToken = await m.qr()
    clock.advance(ctx.config.cardTokenTtlSeconds * 1000 + 1000)
    const expired = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken,
      type: 'award',
      purchaseAmount: 100,
    })
    expect(expired.status).toBe(410)
    expect(expired.json.error.code).toBe('QR_EXPIRED')
    const fresh = await m.qr()
    const forged = `${fresh.slice(0, 35)}${fresh.endsWith('A') ? 'B' : 'A'}`
    const invalid = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken: forged,
      type: 'award',
      purchaseAmount: 100,
    })
    expect(invalid.status).toBe(400)
    expect(invalid.json.error.code).toBe('QR_INVALID')
    expect(
      (await call('DELETE', '/api/link', { headers: await ctx.userHeaders(m.user) })).status,
    ).toBe(204)
    const unlinked = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken: fresh,
      type: 'award',
      purchaseAmount: 100,
    })
    expect(unlinked.status).toBe(400)
    expect(unlinked.json.error.code).toBe('QR_INVALID')
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 10, balance: 10 })
  })

  it.each([
    [{ type: 'award', purchaseAmount: 0 }],
    [{ type: 'award', purchaseAmount: -100 }],
    [{ type: 'award', purchaseAmount: 10.5 }],
    [{ type: 'award', purchaseAmount: '1000' }],
    [{ type: 'award', purchaseAmount: 10_000_001 }],
    [{ type: 'redeem', points: 0 }],
    [{ type: 'redeem', points: 1.5 }],
    [{ type: 'redeem', purchaseAmount: 100 }],
    [{ type: 'gift', points: 10 }],
    [{ type: 'award', purchaseAmount: 100, memberId: 1 }],
  ])('answers 400 VALIDATION_FAILED for %j', async (body) => {
    const m = await linkedMember(ctx, { points: 10 })
    const res = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken: m.qrNow(),
      ...body,
    })
    expect(res.status).toBe(400)
    expect(res.json.error.code).toBe('VALIDATION_FAILED')
    expect((await cardState(ctx, m.cardId)).balance).toBe(10)
  })

  it('answers 400 IDEMPOTENCY_KEY_MISSING without the header, and 400 for a malformed key', async () => {
    const m = await linkedMember(ctx)
    const body = { qrToken: m.qrNow(), type: 'award', purchaseAmount: 100 }
    const res = await call('POST', '/api/staff/points', { headers: staff.clerk, body })
    expect(res.status).toBe(400)
    expect(res.json.error.code).toBe('IDEMPOTENCY_KEY_MISSING')
    const bad = await tillCall(ctx, staff.clerk, '/api/staff/points', body, 'x'.repeat(300))
    expect(bad.status).toBe(400)
    expect(bad.json.error.code).toBe('VALIDATION_FAILED')
    expect((await cardState(ctx, m.cardId)).balance).toBe(0)
  })
})

describe('POST /api/staff/scan', () => {
  it('shows name, rank, masked number and balance', async () => {
    const m = await linkedMember(ctx, { points: 77, rank: 'silver', name: '鈴木 次郎' })
    const res = await call('POST', '/api/staff/scan', {
      headers: staff.clerk,
      body: { qrToken: await m.qr() },
    })
    expect(res.status).toBe(200)
    expect(res.json.member).toEqual({
      cardNumber: `************${m.cardNumber.slice(-4)}`,
      name: '鈴木 次郎',
      points: 77,
      rank: 'silver',
    })
    expect(JSON.stringify(res.json)).not.toContain(m.cardNumber)
  })
})

describe('POST /api/staff/transactions/:id/void', () => {
  async function award(amount: number, points = 0) {
    const m = await linkedMember(ctx, { points })
    const res = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken: m.qrNow(),
      type: 'award',
      purchaseAmount: amount,
    })
    expect(res.status).toBe(200)
    return { m, id: res.json.transactionId as string }
  }

  it('lets a manager void with a compensating entry (the original row stays)', async () => {
    const { m, id } = await award(5000, 10)
    const res = await tillCall(ctx, staff.manager, `/api/staff/transactions/${id}/void`, {
      reason: 'wrong amount',
    })
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({ points: -50, balance: 10 })
    const rows = await ctx.db.execute(
      sql`SELECT type, points, voids_entry_id FROM ledger WHERE card_id = ${m.cardId} ORDER BY id`,
    )
    expect(rows).toEqual([
      { type: 'import', points: 10, voids_entry_id: null },
      { type: 'award', points: 50, voids_entry_id: null },
      { type: 'void', points: -50, voids_entry_id: Number(id) },
    ])
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 10, balance: 10 })
    const again = await tillCall(ctx, staff.manager, `/api/staff/transactions/${id}/void`, {})
    expect(again.status).toBe(409)
    expect(again.json.error.code).toBe('ALREADY_VOIDED')
    const voidOfVoid = await tillCall(
      ctx,
      staff.manager,
      `/api/staff/transactions/${res.json.transactionId}/void`,
      {},
    )
    expect(voidOfVoid.status).toBe(422)
    expect(voidOfVoid.json.error.code).toBe('NOT_VOIDABLE')
  })

  it('refuses a clerk (403), another store (404), an unknown id (404) and an old one (422)', async () => {
    const { m, id } = await award(1000)
    const clerk = await tillCall(ctx, staff.clerk, `/api/staff/transactions/${id}/void`, {})
    expect(clerk.status).toBe(403)
    expect(clerk.json.error.code).toBe('FORBIDDEN')
    const other = await tillCall(ctx, staff.otherManager, `/api/staff/transactions/${id}/void`, {})
    expect(other.status).toBe(404)
    expect(other.json.error.code).toBe('TRANSACTION_NOT_FOUND')
    const unknown = await tillCall(ctx, staff.manager, '/api/staff/transactions/999999/void', {})
    expect(unknown.status).toBe(404)
    expect(unknown.json.error.code).toBe('TRANSACTION_NOT_FOUND')
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 10, balance: 10 })
  })

  it('answers 422 VOID_WINDOW_PASSED once POINTS_VOID_WINDOW_MINUTES have passed', async () => {
    const local = await createTestContext({
      env: { LINK_BONUS_POINTS: '0', POINTS_VOID_WINDOW_MINUTES: '5' },
    })
    const s = await signInStaff(local)
    const m = await linkedMember(local)
    const a = await tillCall(local, s.clerk, '/api/staff/points', {
      qrToken: m.qrNow(),
      type: 'award',
      purchaseAmount: 1000,
    })
    const b = await tillCall(local, s.clerk, '/api/staff/points', {
      qrToken: m.qrNow(),
      type: 'award',
      purchaseAmount: 2000,
    })
    local.clock.advance(5 * 60_000)
    const inTime = await tillCall(
      local,
      s.manager,
      `/api/staff/transactions/${a.json.transactionId}/void`,
      {},
    )
    expect(inTime.status).toBe(200)
    local.clock.advance(1)
    const old = await tillCall(
      local,
      s.manager,
      `/api/staff/transactions/${b.json.transactionId}/void`,
      {},
    )
    expect(old.status).toBe(422)
    expect(old.json.error.code).toBe('VOID_WINDOW_PASSED')
    expect(await cardState(local, m.cardId)).toEqual({ ledgerSum: 20, balance: 20 })
  })

  it('refuses to void an award whose points were already redeemed (never negative)', async () => {
    const { m, id } = await award(10_000) // 100 points
    await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken: m.qrNow(),
      type: 'redeem',
      points: 60,
    })
    const res = await tillCall(ctx, staff.manager, `/api/staff/transactions/${id}/void`, {})
    expect(res.status).toBe(422)
    expect(res.json.error.code).toBe('INSUFFICIENT_POINTS')
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 40, balance: 40 })
  })

  it('voids a redemption, giving the points back', async () => {
    const m = await linkedMember(ctx, { points: 300 })
    const r = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken: m.qrNow(),
      type: 'redeem',
      points: 120,
    })
    const v = await tillCall(
      ctx,
      staff.manager,
      `/api/staff/transactions/${r.json.transactionId}/void`,
      {},
    )
    expect(v.json).toMatchObject({ points: 120, balance: 300 })
  })
})

describe('POST /api/staff/adjust', () => {
  it('lets a manager adjust by QR token or card number with a reason', async () => {
    const m = await linkedMember(ctx, { points: 20 })
    const up = await tillCall(ctx, staff.manager, '/api/staff/adjust', {
      qrToken: m.qrNow(),
      points: 30,
      reason: 'receipt from yesterday',
    })
    expect(up.status).toBe(200)
    expect(up.json).toMatchObject({ points: 30, balance: 50 })
    const down = await tillCall(ctx, staff.manager, '/api/staff/adjust', {
      cardNumber: m.cardNumber.replace(/(\d{4})(?=\d)/g, '$1-'),
      points: -50,
      reason: 'duplicate award',
    })
    expect(down.json).toMatchObject({ points: -50, balance: 0 })
    const entry = await row(
      ctx.db,
      sql`SELECT type, note, staff_id FROM ledger WHERE id = ${Number(down.json.transactionId)}`,
    )
    expect(entry).toEqual({ type: 'adjust', note: 'duplicate award', staff_id: 'till-manager' })
    const negative = await tillCall(ctx, staff.manager, '/api/staff/adjust', {
      cardNumber: m.cardNumber,
      points: -1,
      reason: 'x',
    })
    expect(negative.status).toBe(422)
    expect(negative.json.error.code).toBe('INSUFFICIENT_POINTS')
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 0, balance: 0 })
  })

  it('refuses clerks, unknown or malformed card numbers, a missing reason and 0 points', async () => {
    const m = await linkedMember(ctx, { points: 20 })
    const clerk = await tillCall(ctx, staff.clerk, '/api/staff/adjust', {
      qrToken: m.qrNow(),
      points: 5,
      reason: 'x',
    })
    expect(clerk.status).toBe(403)
    const unknown = await tillCall(ctx, staff.manager, '/api/staff/adjust', {
      cardNumber: '4111111111111111',
      points: 5,
      reason: 'x',
    })
    expect(unknown.status).toBe(404)
    expect(unknown.json.error.code).toBe('CARD_NOT_FOUND')
    const malformed = await tillCall(ctx, staff.manager, '/api/staff/adjust', {
      cardNumber: '4111111111111112',
      points: 5,
      reason: 'x',
    })
    expect(malformed.status).toBe(400)
    expect(malformed.json.error.code).toBe('CARD_NUMBER_INVALID')
    for (const body of [
      { cardNumber: m.cardNumber, points: 5 },
      { cardNumber: m.cardNumber, points: 0, reason: 'x' },
      { cardNumber: m.cardNumber, qrToken: m.qrNow(), points: 5, reason: 'x' },
      { points: 5, reason: 'x' },
    ]) {
      const res = await tillCall(ctx, staff.manager, '/api/staff/adjust', body)
      expect(res.status).toBe(400)
      expect(res.json.error.code).toBe('VALIDATION_FAILED')
    }
    expect((await cardState(ctx, m.cardId)).balance).toBe(20)
  })
})

describe('GET /api/staff/transactions', () => {
  it("lists today's transactions of the store, newest first, with void marks and a mine filter", async () => {
    const local = await createTestContext({ env: { LINK_BONUS_POINTS: '0' } })
    // 23:30 in Tokyo on the 22nd, then 00:30 on the 23rd.
    local.clock.set(Date.UTC(2026, 10, 22, 14, 30))
    const s = await signInStaff(local)
    const m = await linkedMember(local, { points: 1000, name: '高橋 三郎' })
    const yesterday = await tillCall(local, s.clerk, '/api/staff/points', {
      qrToken: m.qrNow(),
      type: 'award',
      purchaseAmount: 100,
    })
    expect(yesterday.status).toBe(200)
    local.clock.set(Date.UTC(2026, 10, 22, 15, 30))
    const a = await tillCall(local, s.clerk, '/api/staff/points', {
      qrToken: m.qrNow(),
      type: 'award',
      purchaseAmount: 3000,
    })
    const r = await tillCall(local, s.manager, '/api/staff/points', {
      qrToken: m.qrNow(),
      type: 'redeem',
      points: 10,
    })
    await tillCall(local, s.otherManager, '/api/staff/adjust', {
      cardNumber: m.cardNumber,
      points: 1,
      reason: 'other store',
    })
    const v = await tillCall(
      local,
      s.manager,
      `/api/staff/transactions/${a.json.transactionId}/void`,
      {},
    )
    const list = await local.call('GET', '/api/staff/transactions', { headers: s.manager })
    expect(list.status).toBe(200)
    expect(list.json.items.map((i: { id: string }) => i.id)).toEqual([
      v.json.transactionId,
      r.json.transactionId,
      a.json.transactionId,
    ])
    expect(list.json.items[2]).toMatchObject({
      type: 'award',
      points: 30,
      purchaseAmount: 3000,
      staffId: 'till-clerk',
      memberName: '高橋 三郎',
      cardNumber: `************${m.cardNumber.slice(-4)}`,
      voidedBy: v.json.transactionId,
      voidable: false,
    })
    expect(list.json.items[1]).toMatchObject({ type: 'redeem', voidable: true })
    expect(list.json.items[0]).toMatchObject({ type: 'void', voidsId: a.json.transactionId })
    const clerkView = await local.call('GET', '/api/staff/transactions', { headers: s.clerk })
    expect(clerkView.json.items.every((i: { voidable: boolean }) => !i.voidable)).toBe(true)
    const mine = await local.call('GET', '/api/staff/transactions?mine=1', { headers: s.clerk })
    expect(mine.json.items.map((i: { id: string }) => i.id)).toEqual([a.json.transactionId])
    expect(list.json.nextCursor).toBeNull()
    // A busy store pages through the day.
    for (let i = 0; i < 105; i++) {
      const r = await tillCall(local, s.clerk, '/api/staff/points', {
        qrToken: m.qrNow(),
        type: 'award',
        purchaseAmount: 100 + i,
      })
      expect(r.status).toBe(200)
    }
    const page1 = await local.call('GET', '/api/staff/transactions', { headers: s.clerk })
    expect(page1.json.items).toHaveLength(100)
    const page2 = await local.call(
      'GET',
      `/api/staff/transactions?before=${page1.json.nextCursor}`,
      { headers: s.clerk },
    )
    expect(page2.json.items).toHaveLength(8)
    expect(page2.json.nextCursor).toBeNull()
    const ids = [...page1.json.items, ...page2.json.items].map((i: { id: string }) => Number(i.id))
    expect(new Set(ids).size).toBe(108)
    expect(ids).toEqual([...ids].sort((x, y) => y - x))
    const bad = await local.call('GET', '/api/staff/transactions?mine=maybe', { headers: s.clerk })
    expect(bad.status).toBe(400)
    const anon = await local.call('GET', '/api/staff/transactions')
    expect(anon.status).toBe(401)
  })
})
