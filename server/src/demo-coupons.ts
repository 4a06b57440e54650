import type { CouponReward } from '@membercard/shared'
import type { Database } from './db/seam.ts'
import { cards } from './repositories/cards.ts'
import { coupons } from './repositories/coupons.ts'
import { memberCoupons } from './repositories/member-coupons.ts'
import { rewardColumns } from './services/coupon-view.ts'

const DAY_MS = 86_400_000

/** The demo coupons, issued to the first demo card (山田 花子) so the app shows them at once. */
export const DEMO_COUPONS: {
  title: string
  description: string
  reward: CouponReward
  days: number
  minPurchaseYen: number | null
}[] = [
  {
    title: 'ドリンク1杯無料 / Free drink',
    description: 'お会計の際に会員証を見せてください。 Show your member card at the till.',
    reward: { type: 'freeItem', item: 'ドリンク1杯 / One drink' },
    days: 14,
    minPurchaseYen: null,
  },
  {
    title: '50ポイントプレゼント / 50 bonus points',
    description:
      '1,000円以上のお買い上げで50ポイント。 50 points with a purchase of 1,000 yen or more.',
    reward: { type: 'bonusPoints', points: 50 },
    days: 30,
    minPurchaseYen: 1000,
  },
]

/**
 * Creates the demo coupons and issues them to the first demo card, when the database has no
 * coupon yet (also a demo database seeded before coupons existed); true when it did.
 */
export async function seedDemoCoupons(
  db: Database,
  demoCardNumber: string,
  now: number,
): Promise<boolean> {
  const card = await cards.byNumber(db, demoCardNumber)
  if (!card || (await coupons.page(db, Number.MAX_SAFE_INTEGER, 1)).length > 0) return false
  await db.transaction(async (tx) => {
    for (const c of DEMO_COUPONS) {
      const endsAt = now + c.days * DAY_MS
      const id = await coupons.insert(tx, {
        title: c.title,
        description: c.description,
        imageUrl: null,
        ...rewardColumns(c.reward),
        validFrom: new Date(now).toISOString(),
        validUntil: new Date(endsAt).toISOString(),
        startsAt: now,
        endsAt,
        validDaysAfterIssue: null,
        perMemberLimit: 1,
        totalLimit: null,
        minPurchaseYen: c.minPurchaseYen,
        storeCodes: null,
        followUpCouponId: null,
        createdBy: 'demo',
        createdAt: now,
      })
      await memberCoupons.issueFirst(tx, {
        couponId: id,
        cardIds: [card.id],
        source: 'demo',
        at: now,
        validUntil: endsAt,
      })
    }
  })
  return true
}
