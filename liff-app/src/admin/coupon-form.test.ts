import { describe, expect, it } from 'vitest'
import { couponBody, emptyCouponForm } from './coupon-form.ts'
import { parseSegmentJson } from './segment-json.ts'

describe('the console coupon form', () => {
  it('starts valid from today for 30 days, one use each, at every store', () => {
    const form = emptyCouponForm('2026-11-30')
    expect(form.validFrom).toBe('2026-11-30')
    expect(form.validUntil).toBe('2026-12-30')
    expect(form.perMemberLimit).toBe('1')
    expect(form.allStores).toBe(true)
  })

  it('names every problem at once, by field', () => {
    const form = {
      ...emptyCouponForm('2026-11-30'),
      imageUrl: 'http://example.com/a.png',
      rewardType: 'discountPercent' as const,
      rewardValue: '150',
      validUntil: '2026-11-01',
      validity: 'daysAfterIssue' as const,
      validDays: '0',
      totalLimit: 'abc',
      allStores: false,
    }
    const r = couponBody(form)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.problems.map((p) => [p.field, p.key])).toEqual([
      ['title', 'title'],
      ['imageUrl', 'imageUrl'],
      ['rewardValue', 'discountPercent'],
      ['validUntil', 'untilBeforeFrom'],
      ['validDays', 'days'],
      ['totalLimit', 'whole'],
      ['storeCodes', 'stores'],
    ])
    expect(r.problems[2]?.named).toEqual({ max: 100 })
  })

  it("builds the route's body with only what was filled in", () => {
    const base = { ...emptyCouponForm('2026-11-30'), title: ' 2回目来店 ', rewardValue: '２００' }
    expect(couponBody(base)).toEqual({
      ok: true,
      body: {
        title: '2回目来店',
        reward: { type: 'discountYen', amount: 200 },
        validFrom: '2026-11-30',
        validUntil: '2026-12-30',
        perMemberLimit: 1,
      },
    })
    const full = couponBody({
      ...base,
      description: '次回から使えます',
      imageUrl: 'https://cdn.example.com/c.png',
      rewardType: 'freeItem',
      rewardItem: ' ドリンク1杯 ',
      validity: 'daysAfterIssue',
      validDays: '14',
      perMemberLimit: '2',
      totalLimit: '1,000',
      minPurchaseYen: '1500',
      allStores: false,
      storeCodes: ['S001'],
      followUpCouponId: 3,
    })
    expect(full).toEqual({
      ok: true,
      body: {
        title: '2回目来店',
        description: '次回から使えます',
        imageUrl: 'https://cdn.example.com/c.png',
        reward: { type: 'freeItem', item: 'ドリンク1杯' },
        validFrom: '2026-11-30',
        validUntil: '2026-12-30',
        validDaysAfterIssue: 14,
        perMemberLimit: 2,
        totalLimit: 1000,
        minPurchaseYen: 1500,
        storeCodes: ['S001'],
        followUpCouponId: 3,
      },
    })
  })

  it('checks a segment typed as JSON: its syntax and its outer group (the server the rest)', () => {
    expect(parseSegmentJson('{"all":[]}')).toEqual({ ok: true, segment: { all: [] } })
    const gold = { any: [{ field: 'rank', op: 'in', value: ['gold'] }] }
    expect(parseSegmentJson(JSON.stringify(gold))).toEqual({ ok: true, segment: gold })
    expect(parseSegmentJson('{"all":[')).toMatchObject({ ok: false, key: 'badJson' })
    expect(parseSegmentJson('{"all":{}}')).toMatchObject({ ok: false, key: 'badGroup' })
    expect(parseSegmentJson('{"all":[],"any":[]}')).toMatchObject({ ok: false, key: 'badGroup' })
    expect(parseSegmentJson('[]')).toMatchObject({ ok: false, key: 'badGroup' })
  })
})
