import { describe, expect, it } from 'vitest'
import { fakeClock } from '../src/clock.ts'
import { DEMO_CARDS, seedDemo } from '../src/demo.ts'
import { DEMO_COUPONS, seedDemoCoupons } from '../src/demo-coupons.ts'
import { cards } from '../src/repositories/cards.ts'
import { memberCoupons } from '../src/repositories/member-coupons.ts'
import { loadSecrets } from '../src/secrets.ts'
import { toMemberCoupon } from '../src/services/coupon-view.ts'
import { createDailyStats } from '../src/services/daily-stats.ts'
import { createStaffService } from '../src/services/staff.ts'
import { openTestDatabase } from './support.ts'

describe('seedDemoCoupons', () => {
  it('gives the first demo card the demo coupons, available now, and only once', async () => {
    const db = await openTestDatabase()
    const clock = fakeClock()
    const staff = createStaffService({ db, clock })
    await seedDemo(db, loadSecrets(':memory:'), staff, clock.now(), createDailyStats('Asia/Tokyo'))
    const number = DEMO_CARDS[0]?.cardNumber ?? ''
    expect(await seedDemoCoupons(db, number, clock.now())).toBe(true)
    expect(await seedDemoCoupons(db, number, clock.now())).toBe(false)
    const card = await cards.byNumber(db, number)
    const held = (await memberCoupons.ofCard(db, Number(card?.id))).map((r) =>
      toMemberCoupon(r, clock.now()),
    )
    expect(held.map((c) => [c.title, c.status])).toEqual(
      DEMO_COUPONS.map((c) => [c.title, 'available']),
    )
  })
})
