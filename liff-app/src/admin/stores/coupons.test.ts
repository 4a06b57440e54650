import { describe, expect, it } from 'vitest'
import { bodyOf, fakeAdmin } from '../../test/fake-admin.ts'
import { apiError, json } from '../../test/fake-api.ts'
import { useCouponsAdminStore } from './coupons.ts'

const coupon = {
  id: 5,
  title: '2回目来店 200円引き',
  description: null,
  imageUrl: null,
  reward: { type: 'discountYen', amount: 200 },
  validFrom: '2026-11-01',
  validUntil: '2026-12-31',
  validDaysAfterIssue: null,
  perMemberLimit: 1,
  totalLimit: null,
  minPurchaseYen: 1000,
  storeCodes: null,
  followUpCouponId: null,
  status: 'active',
  issued: 10,
  used: 4,
  createdAt: '2026-11-01T00:00:00Z',
}
const detail = { ...coupon, usageRate: 0.4, byStore: [], byDay: [] }
const everyone = { all: [] }

describe('coupons in the console', () => {
  it('creates one with the CSRF token and puts it first in the list', async () => {
    const { calls } = fakeAdmin(
      { 'POST /api/admin/coupons': () => json(coupon, 201) },
      { signedIn: {} },
    )
    const coupons = useCouponsAdminStore()
    const body = {
      title: coupon.title,
      reward: { type: 'discountYen' as const, amount: 200 },
      validFrom: '2026-11-01',
      validUntil: '2026-12-31',
      perMemberLimit: 1,
    }
    expect((await coupons.create(body)).id).toBe(5)
    expect(calls[0]?.headers.get('x-csrf-token')).toBe('csrf-1')
    expect(await bodyOf(calls[0] as Request)).toEqual(body)
    expect(coupons.items.map((c) => c.id)).toEqual([5])
  })

  it('issues with one Idempotency-Key kept for a retry of a lost answer, a new one for another issue', async () => {
    let lost = true
    const { calls } = fakeAdmin(
      {
        'POST /api/admin/coupons/5/issue': () => {
          if (lost) {
            lost = false
            throw new TypeError('connection reset')
          }
          return json({ issued: 3, skipped: 1 })
        },
        'GET /api/admin/coupons/5': () => json(detail),
      },
      { signedIn: {} },
    )
    const coupons = useCouponsAdminStore()
    const input = { segment: everyone, notify: true, message: '届きました' }
    await expect(coupons.issue(5, input)).rejects.toMatchObject({ code: 'NETWORK' })
    expect(await coupons.issue(5, input)).toEqual({ issued: 3, skipped: 1 })
    await coupons.issue(5, { ...input, notify: false })
    const issues = calls.filter((c) => c.url.endsWith('/issue'))
    const keys = issues.map((c) => c.headers.get('idempotency-key'))
    expect(keys[0]).toBe(keys[1])
    expect(keys[2]).not.toBe(keys[1])
    expect(await bodyOf(issues[0] as Request)).toEqual({
      segment: everyone,
      notify: true,
      message: '届きました',
    })
    expect(await bodyOf(issues[2] as Request)).toEqual({ segment: everyone, notify: false })
    // The figures are read again after an issue.
    expect(coupons.detail?.issued).toBe(10)
  })

  it('ends a coupon early and shows it ended; a missing one is a failure to show', async () => {
    fakeAdmin(
      {
        'GET /api/admin/coupons/5': () => json(detail),
        'POST /api/admin/coupons/5/end': () => json({ ...coupon, status: 'ended' }),
        'GET /api/admin/coupons/6': () => apiError('NOT_FOUND', 404),
      },
      { signedIn: {} },
    )
    const coupons = useCouponsAdminStore()
    await coupons.load(5)
    await coupons.end(5)
    expect(coupons.detail?.status).toBe('ended')
    expect(coupons.detail?.usageRate).toBe(0.4)
    await coupons.load(6)
    expect(coupons.detail).toBeNull()
    expect(coupons.detailError).toMatchObject({ code: 'NOT_FOUND' })
  })

  it('falls back to the JSON box when saved segments are not there', async () => {
    fakeAdmin({ 'GET /api/admin/segments': () => apiError('NOT_FOUND', 404) }, { signedIn: {} })
    const coupons = useCouponsAdminStore()
    await coupons.loadSavedSegments()
    expect(coupons.savedSegments).toEqual([])
  })
})
