import { useI18n } from '../i18n/index.ts'
import { couponDate, daysLeft, rewardMessage, startsAt } from './logic.ts'
import type { MemberCoupon } from './types.ts'

/** The customer screens' wording of a coupon: its reward, dates and how long it still lasts. */
export function useCouponText() {
  const { t, n, locale } = useI18n()
  const num = (v: string | number) => (typeof v === 'number' ? n(v, 'integer') : v)
  function reward(c: Pick<MemberCoupon, 'reward'>): string {
    const { key, named } = rewardMessage(c.reward)
    return t(
      `coupons.reward.${key}`,
      Object.fromEntries(Object.entries(named).map(([k, v]) => [k, num(v)])),
    )
  }
  const date = (value: string) => couponDate(value, locale.value)
  /** "Until 12/31 · 3 days left", "usable from …", or when it was used. */
  function when(c: MemberCoupon, now = Date.now()): string {
    if (c.status === 'used' && c.usedAt) return t('coupons.usedOn', { date: date(c.usedAt) })
    if (c.status === 'available' && startsAt(c.validFrom) > now) {
      return t('coupons.startsOn', { date: date(c.validFrom) })
    }
    const until = t('coupons.until', { date: date(c.validUntil) })
    if (c.status !== 'available') return until
    const days = daysLeft(c.validUntil, now)
    if (days === null) return until
    return `${until} · ${days === 0 ? t('coupons.lastDay') : t('coupons.daysLeft', { days })}`
  }
  return { t, n, reward, date, when }
}
