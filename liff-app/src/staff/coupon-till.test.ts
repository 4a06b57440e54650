import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { MemberCoupon } from '../coupons/types.ts'
import { apiError, fakeFetch, json } from '../test/fake-api.ts'
import type { StaffMe } from './api.ts'
import { useCouponTillStore } from './coupon-till.ts'
import { tillErrorMessage } from './errors.ts'
import { staffMessages } from './messages.ts'
import { useTillStore } from './till-store.ts'
import { staffToken } from './token.ts'
import { useStaffSession } from './use-staff-session.ts'

const RULES = {
  rate: { num: 1, den: 100 },
  rankMultipliers: { regular: { num: 1, den: 1 } },
  voidWindowMinutes: 1440,
}
const clerk: StaffMe = {
  staffId: 'demo-clerk',
  storeCode: 'S001',
  storeName: '本店',
  role: 'clerk',
  rules: RULES,
}
const manager: StaffMe = { ...clerk, staffId: 'demo-manager', role: 'manager' }
const hanako = { cardNumber: '************0011', name: '山田 花子', points: 1400, rank: 'regular' }
const T1 = 'A'.repeat(36)

function mc(over: Partial<MemberCoupon>): MemberCoupon {
  return {
    id: 11,
    couponId: 1,
    title: '2回目来店 200円引き',
    description: null,
    imageUrl: null,
    reward: { type: 'discountYen', amount: 200 },
    validFrom: '2026-11-01',
    validUntil: '2099-12-31',
    minPurchaseYen: null,
    storeCodes: null,
    status: 'available',
    usedAt: null,
    usesLeft: 1,
    ...over,
  }
}
const yen200 = mc({ id: 11, minPurchaseYen: 1000 })
const bonus = mc({
  id: 12,
  couponId: 2,
  title: 'ボーナス',
  reward: { type: 'bonusPoints', points: 50 },
})

const scanned = (coupons: MemberCoupon[]) => () =>
  json({ member: hanako, expiresAt: new Date(Date.now() + 60_000).toISOString(), coupons })
const redeemed = (over: object = {}) =>
  json({
    redemptionId: '501',
    memberCouponId: 11,
    balance: 1400,
    couponTitle: '2回目来店 200円引き',
    pointsAwarded: 0,
    ...over,
  })

async function atTill(routes: Parameters<typeof fakeFetch>[0], me: StaffMe = clerk) {
  const f = fakeFetch({ 'POST /api/staff/scan': scanned([yen200, bonus]), ...routes })
  vi.stubGlobal('fetch', f.fetch)
  useStaffSession().me.value = me
  const till = useTillStore()
  const coupon = useCouponTillStore()
  expect(await till.lookUp(T1)).toBe(true)
  const sent = () => f.calls.filter((r) => r.url.includes('/api/staff/coupons/'))
  return { f, till, coupon, sent }
}

describe('coupons at the till', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    staffToken.set('staff-token-123456789012345')
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
    useStaffSession().me.value = null
    staffToken.clear()
  })

  it("shows the scan's coupons, applies one once with one key, and takes it off the list", async () => {
    const { till, coupon, sent } = await atTill({
      'POST /api/staff/coupons/redeem': () => redeemed(),
    })
    expect(till.coupons.map((c) => c.id)).toEqual([11, 12])
    coupon.choose(yen200)
    expect(coupon.canApply).toBe(true) // the amount is optional
    // A double tap: one request.
    const [a, b] = await Promise.all([coupon.apply(), coupon.apply()])
    expect([a, b]).toEqual([true, false])
    expect(sent()).toHaveLength(1)
    const req = sent()[0] as Request
    expect(req.headers.get('idempotency-key')).toMatch(/^[0-9a-f-]{32,36}$/)
    expect(req.headers.get('authorization')).toBe('Bearer staff-token-123456789012345')
    expect(await req.json()).toEqual({ qrToken: T1, memberCouponId: 11 })
    expect(coupon.result).toMatchObject({ redemptionId: '501', coupon: { id: 11 } })
    expect(till.coupons.map((c) => c.id)).toEqual([12])
    expect(coupon.pendingKey).toBeNull()
  })

  it('sends the purchase amount when typed, and stops one under the minimum before sending', async () => {
    const { coupon, sent } = await atTill({
      'POST /api/staff/coupons/redeem': () => redeemed(),
    })
    coupon.choose(yen200)
    coupon.amountText = '999'
    expect(coupon.underMinimum).toBe(true)
    expect(coupon.canApply).toBe(false)
    expect(await coupon.apply()).toBe(false)
    expect(sent()).toHaveLength(0)
    coupon.amountText = '１,５００円'
    expect(coupon.canApply).toBe(true)
    expect(await coupon.apply()).toBe(true)
    expect(await (sent()[0] as Request).json()).toEqual({
      qrToken: T1,
      memberCouponId: 11,
      purchaseAmount: 1500,
    })
  })

  it('a lost answer is sent again with the same key; the next tap reuses it too', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    let fail = true
    const { till, coupon, sent } = await atTill({
      'POST /api/staff/coupons/redeem': () => {
        if (fail) throw new TypeError('offline')
        return redeemed({ memberCouponId: 12, pointsAwarded: 50, balance: 1450 })
      },
    })
    coupon.choose(bonus)
    const first = coupon.apply()
    await vi.runAllTimersAsync()
    expect(await first).toBe(false)
    expect(coupon.uncertain).toBe(true)
    expect(coupon.failure).toMatchObject({ code: 'NETWORK' })
    const key = coupon.pendingKey
    expect(key).not.toBeNull()
    fail = false
    expect(await coupon.apply()).toBe(true)
    expect(new Set(sent().map((r) => r.headers.get('idempotency-key')))).toEqual(new Set([key]))
    expect(sent().length).toBeGreaterThan(2) // the client's own retries, then the tap
    expect(till.member?.points).toBe(1450)
  })

  it('a refusal needs a new key; a used or expired coupon leaves the list, a condition keeps it', async () => {
    const { till, coupon, sent } = await atTill({
      'POST /api/staff/coupons/redeem': [
        () => apiError('COUPON_CONDITION_NOT_MET', 422),
        () => apiError('COUPON_ALREADY_USED', 409),
      ],
    })
    coupon.choose(yen200)
    expect(await coupon.apply()).toBe(false)
    expect(coupon.failure).toEqual({ code: 'COUPON_CONDITION_NOT_MET', retryAfterSeconds: null })
    expect(coupon.selected?.id).toBe(11)
    expect(coupon.pendingKey).toBeNull()
    expect(await coupon.apply()).toBe(false)
    const keys = sent().map((r) => r.headers.get('idempotency-key'))
    expect(keys[0]).not.toBe(keys[1])
    expect(coupon.failure?.code).toBe('COUPON_ALREADY_USED')
    expect(coupon.selected).toBeNull()
    expect(till.coupons.map((c) => c.id)).toEqual([12])
  })

  it('says what went wrong and what to do for each coupon code', () => {
    const t = (key: string) => {
      const path = key.replace(/^staff\./, '').split('.')
      return path.reduce<unknown>(
        (o, k) => (o as Record<string, unknown>)[k],
        staffMessages.ja,
      ) as string
    }
    expect(tillErrorMessage(t, { code: 'COUPON_ALREADY_USED' })).toBe(
      staffMessages.ja.errors.COUPON_ALREADY_USED,
    )
    for (const code of [
      'COUPON_NOT_FOUND',
      'COUPON_ALREADY_USED',
      'COUPON_EXPIRED',
      'COUPON_CONDITION_NOT_MET',
    ] as const) {
      expect(tillErrorMessage(t, { code })).not.toBe(staffMessages.ja.errors.default)
      expect(staffMessages.en.errors[code]).toMatch(/\.$/)
    }
  })

  it('a manager reverses the use with one key; the coupon comes back', async () => {
    const { till, coupon, sent } = await atTill(
      {
        'POST /api/staff/coupons/redeem': () => redeemed(),
        'POST /api/staff/coupons/reverse': () =>
          json({ redemptionId: '501', memberCouponId: 11, balance: 1400 }),
      },
      manager,
    )
    coupon.choose(yen200)
    await coupon.apply()
    expect(await coupon.reverse()).toBe(false) // not asked for yet
    coupon.askReverse()
    const key = coupon.reverseKey
    expect(await coupon.reverse()).toBe(true)
    const req = sent().at(-1) as Request
    expect(new URL(req.url).pathname).toBe('/api/staff/coupons/reverse')
    expect(req.headers.get('idempotency-key')).toBe(key)
    expect(await req.json()).toEqual({ redemptionId: '501' })
    expect(coupon.reversed).toMatchObject({ memberCouponId: 11 })
    expect(till.coupons.map((c) => c.id).sort()).toEqual([11, 12])
  })

  it('a refused reversal (too late) says so and asks for nothing more', async () => {
    const { coupon } = await atTill(
      {
        'POST /api/staff/coupons/redeem': () => redeemed(),
        'POST /api/staff/coupons/reverse': () => apiError('VOID_WINDOW_PASSED', 422),
      },
      manager,
    )
    coupon.choose(yen200)
    await coupon.apply()
    coupon.askReverse()
    expect(await coupon.reverse()).toBe(false)
    expect(coupon.failure?.code).toBe('VOID_WINDOW_PASSED')
    expect(coupon.reverseKey).toBeNull()
    expect(coupon.reversed).toBeNull()
  })

  it('the next customer clears the coupon on show', async () => {
    const { till, coupon } = await atTill({ 'POST /api/staff/coupons/redeem': () => redeemed() })
    coupon.choose(yen200)
    await coupon.apply()
    expect(coupon.active).toBe(true)
    till.nextCustomer()
    await Promise.resolve()
    expect(coupon.active).toBe(false)
    expect(till.coupons).toEqual([])
  })
})
