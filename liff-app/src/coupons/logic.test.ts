import { describe, expect, it } from 'vitest'
import { couponDate, daysLeft, endsAt, meetsMinimum, rewardMessage, sortCoupons } from './logic.ts'
import type { MemberCoupon } from './types.ts'

function coupon(over: Partial<MemberCoupon>): MemberCoupon {
  return {
    id: 1,
    couponId: 1,
    title: 'c',
    description: null,
    imageUrl: null,
    reward: { type: 'discountYen', amount: 100 },
    validFrom: '2026-11-01',
    validUntil: '2026-12-31',
    minPurchaseYen: null,
    storeCodes: null,
    status: 'available',
    usedAt: null,
    usesLeft: 1,
    ...over,
  }
}

describe('coupon rules on the screens', () => {
  it('lists the available ones soonest to expire first, then the past ones newest first', () => {
    const items = [
      coupon({ id: 1, validUntil: '2026-12-31' }),
      coupon({ id: 2, status: 'used', usedAt: '2026-11-20T10:00:00+09:00' }),
      coupon({ id: 3, validUntil: '2026-12-05' }),
      coupon({ id: 4, status: 'expired', validUntil: '2026-11-10' }),
      // An ISO time on the same last day sorts before the day's end.
      coupon({ id: 5, validUntil: '2026-12-05T12:00:00+09:00' }),
      coupon({ id: 6, status: 'used', usedAt: '2026-11-25T10:00:00+09:00' }),
    ]
    const { available, past } = sortCoupons(items)
    expect(available.map((c) => c.id)).toEqual([5, 3, 1])
    expect(past.map((c) => c.id)).toEqual([6, 2, 4])
  })

  it('reads a date as a whole day in Tokyo: usable until its last millisecond', () => {
    expect(new Date(endsAt('2026-12-05')).toISOString()).toBe('2026-12-05T14:59:59.999Z')
    const lastMorning = Date.parse('2026-12-05T09:00:00+09:00')
    expect(daysLeft('2026-12-05', lastMorning)).toBe(0)
    expect(daysLeft('2026-12-08', lastMorning)).toBe(3)
    expect(daysLeft('2026-12-04', lastMorning)).toBeNull()
  })

  it('says each reward with its own values', () => {
    expect(rewardMessage({ type: 'discountYen', amount: 200 })).toEqual({
      key: 'discountYen',
      named: { amount: 200 },
    })
    expect(rewardMessage({ type: 'discountPercent', percent: 10 }).named).toEqual({ percent: 10 })
    expect(rewardMessage({ type: 'freeItem', item: 'コーヒー' }).named).toEqual({
      item: 'コーヒー',
    })
    expect(rewardMessage({ type: 'bonusPoints', points: 50 }).named).toEqual({ points: 50 })
  })

  it('formats a day as that day everywhere, and a time in Tokyo', () => {
    expect(couponDate('2026-12-05', 'ja')).toBe('2026/12/05')
    expect(couponDate('2026-12-05', 'en')).toBe('5 Dec 2026')
    expect(couponDate('2026-12-04T15:30:00Z', 'ja')).toBe('2026/12/05 0:30')
  })

  it('checks a minimum purchase only when the coupon has one', () => {
    expect(meetsMinimum(null, null)).toBeNull()
    expect(meetsMinimum(1000, 999)).toBe(false)
    expect(meetsMinimum(1000, 1000)).toBe(true)
    expect(meetsMinimum(1000, null)).toBe(false)
  })
})
