import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import type { MemberCoupon } from '../coupons/types.ts'
import { ApiFailure } from '../lib/api.ts'
import { apiError, fakeFetch, fakeServices, fakeToken, json } from '../test/fake-api.ts'
import { useCouponsStore } from './coupons.ts'

function mc(id: number, over: Partial<MemberCoupon> = {}): MemberCoupon {
  return {
    id,
    couponId: id,
    title: `c${id}`,
    description: null,
    imageUrl: null,
    reward: { type: 'freeItem', item: 'コーヒー' },
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

describe("the member's coupons", () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('loads them with the ID token, counts the usable ones, and shares one request', async () => {
    const f = fakeFetch({
      'GET /api/coupons': () =>
        json({ items: [mc(1), mc(2, { status: 'used', usedAt: '2026-11-20T10:00:00Z' }), mc(3)] }),
    })
    fakeServices(f.fetch, { token: fakeToken('Ucoupons') })
    const coupons = useCouponsStore()
    await Promise.all([coupons.load(), coupons.load()])
    expect(f.calls).toHaveLength(1)
    expect(f.calls[0]?.headers.get('authorization')).toBe(`Bearer ${fakeToken('Ucoupons')}`)
    expect(coupons.loaded).toBe(true)
    expect(coupons.availableCount).toBe(2)
    expect(coupons.sorted.past.map((c) => c.id)).toEqual([2])
    // Opening one of the list asks nothing more.
    expect((await coupons.open(3)).title).toBe('c3')
    expect(f.calls).toHaveLength(1)
  })

  it('opens one coupon directly; an unknown one is a 404 the page explains', async () => {
    const f = fakeFetch({
      'GET /api/coupons/7': () => json(mc(7)),
      'GET /api/coupons/8': () => apiError('COUPON_NOT_FOUND', 404),
    })
    fakeServices(f.fetch)
    const coupons = useCouponsStore()
    expect((await coupons.open(7)).id).toBe(7)
    const err = await coupons.open(8).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiFailure)
    expect(err).toMatchObject({ code: 'COUPON_NOT_FOUND', status: 404 })
  })

  it('keeps a failure for the screen to show, and a retry can succeed', async () => {
    const f = fakeFetch({
      'GET /api/coupons': [
        () => {
          throw new TypeError('offline')
        },
        () => json({ items: [mc(1)] }),
      ],
    })
    fakeServices(f.fetch)
    const coupons = useCouponsStore()
    await coupons.load()
    expect(coupons.error).toMatchObject({ code: 'NETWORK' })
    expect(coupons.loaded).toBe(false)
    await coupons.load()
    expect(coupons.error).toBeNull()
    expect(coupons.availableCount).toBe(1)
  })
})
