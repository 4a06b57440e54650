import { rewardMessage } from '../coupons/logic.ts'
import type { Coupon } from '../coupons/types.ts'
import { useAdminI18n } from './use-admin-i18n.ts'

/** A coupon's reward and validity as the console says them. */
export function useCouponAdminText() {
  const i18n = useAdminI18n()
  const { t, n, date } = i18n
  function reward(c: Pick<Coupon, 'reward'>): string {
    const { key, named } = rewardMessage(c.reward)
    const values = Object.fromEntries(
      Object.entries(named).map(([k, v]) => [k, typeof v === 'number' ? n(v) : v]),
    )
    return t(`coupons.reward.${key}`, values)
  }
  function validity(c: Pick<Coupon, 'validFrom' | 'validUntil' | 'validDaysAfterIssue'>): string {
    const period = t('coupons.period', { from: date(c.validFrom), until: date(c.validUntil) })
    if (c.validDaysAfterIssue === null) return period
    return t('coupons.periodWithDays', {
      period,
      days: t('coupons.daysAfterIssue', { days: c.validDaysAfterIssue, until: date(c.validUntil) }),
    })
  }
  /** The usage rate as a percentage with one decimal (the server's 0–1 figure; null: none issued). */
  const rate = (r: number | null) =>
    r === null ? '—' : `${(Math.round(r * 1000) / 10).toFixed(1)}%`
  return { ...i18n, reward, validity, rate }
}
