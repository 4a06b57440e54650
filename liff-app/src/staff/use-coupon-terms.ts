import { couponDate, rewardMessage } from '../coupons/logic.ts'
import type { MemberCoupon } from '../coupons/types.ts'
import { useI18n } from '../i18n/index.ts'
import { useTillFormat } from './use-till-format.ts'

/** A coupon's reward and conditions as the till says them. */
export function useCouponTerms() {
  const { t, locale } = useI18n()
  const { nf } = useTillFormat()
  function reward(c: Pick<MemberCoupon, 'reward'>): string {
    const { key, named } = rewardMessage(c.reward)
    const values = Object.fromEntries(
      Object.entries(named).map(([k, v]) => [k, typeof v === 'number' ? nf.value.format(v) : v]),
    )
    return t(`staff.coupons.reward.${key}`, values)
  }
  /** The conditions, each one short line: minimum purchase, stores, last day, uses left. */
  function conditions(c: MemberCoupon): string[] {
    return [
      c.minPurchaseYen === null
        ? t('staff.coupons.noMinimum')
        : t('staff.coupons.minPurchase', { amount: nf.value.format(c.minPurchaseYen) }),
      c.storeCodes === null
        ? t('staff.coupons.allStores')
        : t('staff.coupons.stores', { stores: c.storeCodes.join(', ') }),
      t('staff.coupons.until', { date: couponDate(c.validUntil, locale.value) }),
      ...(c.usesLeft > 1 ? [t('staff.coupons.usesLeft', { count: c.usesLeft })] : []),
    ]
  }
  return { t, nf, reward, conditions }
}
