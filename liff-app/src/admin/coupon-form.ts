import type { CouponReward, NewCoupon } from '../coupons/types.ts'
import { addDays } from './period.ts'

/** The console's coupon form as typed (text fields stay text until they are checked). */
export interface CouponForm {
  title: string
  description: string
  imageUrl: string
  rewardType: CouponReward['type']
  /** The yen, the percent or the points, by `rewardType`. */
  rewardValue: string
  rewardItem: string
  validFrom: string
  validUntil: string
  /** Each member's copy: until `validUntil`, or N days after it was issued (never later). */
  validity: 'dates' | 'daysAfterIssue'
  validDays: string
  perMemberLimit: string
  totalLimit: string
  minPurchaseYen: string
  allStores: boolean
  storeCodes: string[]
  followUpCouponId: number | null
}

/** A problem with one field: the message key under `coupons.form.problems`, and its values. */
export interface FieldProblem {
  field: keyof CouponForm
  key: string
  named?: Record<string, number>
}

/** A new, empty form: valid from today for 30 days, one use per member, every store. */
export function emptyCouponForm(today: string): CouponForm {
  return {
    title: '',
    description: '',
    imageUrl: '',
    rewardType: 'discountYen',
    rewardValue: '',
    rewardItem: '',
    validFrom: today,
    validUntil: addDays(today, 30),
    validity: 'dates',
    validDays: '',
    perMemberLimit: '1',
    totalLimit: '',
    minPurchaseYen: '',
    allStores: true,
    storeCodes: [],
    followUpCouponId: null,
  }
}

/** A whole number from 1 to `max` ("1,000" and full-width digits are fine), else null. */
export function wholeNumber(text: string, max = 100_000_000): number | null {
  const s = text.replace(/[,\s]/g, '').replace(/[０-９]/g, (d) => String(d.charCodeAt(0) - 0xff10))
  if (!/^\d{1,10}$/.test(s)) return null
  const n = Number(s)
  return n >= 1 && n <= max ? n : null
}

const DAY = /^\d{4}-\d{2}-\d{2}$/

function reward(form: CouponForm, problems: FieldProblem[]): CouponReward | null {
  if (form.rewardType === 'freeItem') {
    const item = form.rewardItem.trim()
    if (!item) problems.push({ field: 'rewardItem', key: 'item' })
    return item ? { type: 'freeItem', item } : null
  }
  const max = form.rewardType === 'discountPercent' ? 100 : 10_000_000
  const value = wholeNumber(form.rewardValue, max)
  if (value === null) {
    problems.push({ field: 'rewardValue', key: form.rewardType, named: { max } })
    return null
  }
  if (form.rewardType === 'discountYen') return { type: 'discountYen', amount: value }
  if (form.rewardType === 'discountPercent') return { type: 'discountPercent', percent: value }
  return { type: 'bonusPoints', points: value }
}

/** An optional whole number field: undefined when empty, null (and a problem) when not one. */
function optional(
  form: CouponForm,
  field: 'totalLimit' | 'minPurchaseYen',
  problems: FieldProblem[],
) {
  const text = form[field].trim()
  if (text === '') return undefined
  const n = wholeNumber(text)
  if (n === null) problems.push({ field, key: 'whole' })
  return n ?? undefined
}

/**
 * Checks the form and builds `POST /api/admin/coupons`'s body, or says what is wrong with
 * which field (every problem at once, in the form's order).
 */
export function couponBody(
  form: CouponForm,
): { ok: true; body: NewCoupon } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = []
  const title = form.title.trim()
  if (!title) problems.push({ field: 'title', key: 'title' })
  else if (title.length > 100)
    problems.push({ field: 'title', key: 'titleLong', named: { max: 100 } })
  const imageUrl = form.imageUrl.trim()
  if (imageUrl && !/^https:\/\/[^\s/]+\.[^\s]+$/.test(imageUrl)) {
    problems.push({ field: 'imageUrl', key: 'imageUrl' })
  }
  const r = reward(form, problems)
  if (!DAY.test(form.validFrom)) problems.push({ field: 'validFrom', key: 'date' })
  if (!DAY.test(form.validUntil)) problems.push({ field: 'validUntil', key: 'date' })
  else if (DAY.test(form.validFrom) && form.validUntil < form.validFrom) {
    problems.push({ field: 'validUntil', key: 'untilBeforeFrom' })
  }
  let validDays: number | undefined
  if (form.validity === 'daysAfterIssue') {
    const d = wholeNumber(form.validDays, 3650)
    if (d === null) problems.push({ field: 'validDays', key: 'days', named: { max: 3650 } })
    else validDays = d
  }
  const perMember = wholeNumber(form.perMemberLimit, 1000)
  if (perMember === null)
    problems.push({ field: 'perMemberLimit', key: 'perMember', named: { max: 1000 } })
  const totalLimit = optional(form, 'totalLimit', problems)
  const minPurchaseYen = optional(form, 'minPurchaseYen', problems)
  if (!form.allStores && form.storeCodes.length === 0)
    problems.push({ field: 'storeCodes', key: 'stores' })
  if (problems.length > 0 || !r) return { ok: false, problems }
  const description = form.description.trim()
  return {
    ok: true,
    body: {
      title,
      ...(description ? { description } : {}),
      ...(imageUrl ? { imageUrl } : {}),
      reward: r,
      validFrom: form.validFrom,
      validUntil: form.validUntil,
      ...(validDays !== undefined ? { validDaysAfterIssue: validDays } : {}),
      perMemberLimit: perMember ?? 1,
      ...(totalLimit !== undefined ? { totalLimit } : {}),
      ...(minPurchaseYen !== undefined ? { minPurchaseYen } : {}),
      ...(form.allStores ? {} : { storeCodes: [...form.storeCodes] }),
      ...(form.followUpCouponId !== null ? { followUpCouponId: form.followUpCouponId } : {}),
    },
  }
}
