import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import { meetsMinimum } from '../coupons/logic.ts'
import type { CouponRedemption, CouponReversal, MemberCoupon } from '../coupons/types.ts'
import { newIdempotencyKey, tillApi } from './api.ts'
import { type TillFailure, tillFailure } from './errors.ts'
import { parseWhole } from './till-input.ts'
import { useTillStore } from './till-store.ts'

/** Refusals after which the coupon cannot be used now: it leaves the till's list. */
const GONE: ReadonlySet<string> = new Set([
  'COUPON_NOT_FOUND',
  'COUPON_ALREADY_USED',
  'COUPON_EXPIRED',
])

/**
 * Applying a member's coupon at the till, and (managers) reversing it: one idempotency key per
 * intended use, made when the clerk picks the coupon and kept across retries and double taps
 * (a lost answer is sent again with the same key, so a coupon is never used twice); a refusal
 * needs a new key. The coupons are the scan's (`till.coupons`).
 */
export const useCouponTillStore = defineStore('till-coupon', () => {
  const till = useTillStore()

  const selected = ref<MemberCoupon | null>(null)
  const amountText = ref('')
  const pendingKey = ref<string | null>(null)
  const busy = ref(false)
  const failure = ref<TillFailure | null>(null)
  /** A send whose answer never came: it may have counted; the same key goes again. */
  const uncertain = ref(false)
  const result = ref<(CouponRedemption & { coupon: MemberCoupon }) | null>(null)
  /** The reversal being confirmed, with its one key. */
  const reverseKey = ref<string | null>(null)
  const reversed = ref<CouponReversal | null>(null)

  const amount = computed(() => parseWhole(amountText.value))
  /** null: the coupon has no minimum, or no amount was typed (the field is optional). */
  const underMinimum = computed(() => {
    const c = selected.value
    if (!c || amountText.value.trim() === '') return false
    return meetsMinimum(c.minPurchaseYen, amount.value) === false
  })
  const amountInvalid = computed(() => amountText.value.trim() !== '' && amount.value === null)
  const canApply = computed(
    () =>
      selected.value !== null &&
      !till.expired &&
      !busy.value &&
      !underMinimum.value &&
      !amountInvalid.value,
  )
  /** Something of a coupon is on screen (its form or its result), instead of the actions. */
  const active = computed(() => selected.value !== null || result.value !== null)

  function clear() {
    selected.value = null
    amountText.value = ''
    pendingKey.value = null
    failure.value = null
    uncertain.value = false
    result.value = null
    reverseKey.value = null
    reversed.value = null
  }

  // Another customer (or none): nothing of the last one's coupon stays.
  watch(
    () => till.qrToken,
    () => clear(),
  )
  // A changed amount is another use: another key (unless a send's answer is outstanding).
  watch(amountText, () => {
    if (!uncertain.value) pendingKey.value = null
  })

  /** The clerk picks a coupon: its form, with the award's amount if one was typed. */
  function choose(coupon: MemberCoupon) {
    clear()
    selected.value = coupon
    if (coupon.minPurchaseYen !== null && till.amount !== null) {
      amountText.value = String(till.amount)
    }
  }

  function back() {
    if (busy.value) return
    clear()
  }

  /** Applies the chosen coupon; true when it was used. */
  async function apply(): Promise<boolean> {
    const coupon = selected.value
    const qrToken = till.qrToken
    if (busy.value || !coupon || !qrToken || !canApply.value) return false
    busy.value = true
    failure.value = null
    pendingKey.value ??= newIdempotencyKey()
    const key = pendingKey.value
    try {
      const res = await tillApi.redeemCoupon(
        {
          qrToken,
          memberCouponId: coupon.id,
          ...(amount.value !== null ? { purchaseAmount: amount.value } : {}),
        },
        key,
      )
      result.value = { ...res, coupon }
      selected.value = null
      pendingKey.value = null
      uncertain.value = false
      if (till.member) till.member = { ...till.member, points: res.balance }
      till.coupons = till.coupons.flatMap((c) =>
        c.id !== coupon.id ? [c] : c.usesLeft > 1 ? [{ ...c, usesLeft: c.usesLeft - 1 }] : [],
      )
      return true
    } catch (err) {
      const refused = tillFailure(err)
      failure.value = refused
      if (refused.code === 'NETWORK') {
        uncertain.value = true
        return false
      }
      uncertain.value = false
      pendingKey.value = null
      if (refused.code === 'QR_ALREADY_USED' || refused.code === 'QR_EXPIRED') {
        clear()
        till.rescan()
        till.failure = refused
      } else if (GONE.has(refused.code)) {
        till.coupons = till.coupons.filter((c) => c.id !== coupon.id)
        selected.value = null
      }
      return false
    } finally {
      busy.value = false
    }
  }

  /** A manager asks to reverse the use just made: the confirmation, with its one key. */
  function askReverse() {
    failure.value = null
    reverseKey.value ??= newIdempotencyKey()
  }
  function cancelReverse() {
    if (!busy.value) reverseKey.value = null
  }

  /** Reverses the use on show; true when it was reversed. */
  async function reverse(): Promise<boolean> {
    const done = result.value
    const key = reverseKey.value
    if (busy.value || !done || !key) return false
    busy.value = true
    failure.value = null
    try {
      const res = await tillApi.reverseCoupon(done.redemptionId, key)
      reversed.value = res
      reverseKey.value = null
      if (till.member) till.member = { ...till.member, points: res.balance }
      // The member has the coupon again.
      const back = done.coupon
      const held = till.coupons.find((c) => c.id === back.id)
      till.coupons = held
        ? till.coupons.map((c) => (c.id === back.id ? { ...c, usesLeft: c.usesLeft + 1 } : c))
        : [...till.coupons, back]
      return true
    } catch (err) {
      failure.value = tillFailure(err)
      // Refused (not a lost answer): nothing to confirm any more.
      if (failure.value.code !== 'NETWORK') reverseKey.value = null
      return false
    } finally {
      busy.value = false
    }
  }

  /** Back to the member (after a result): the next thing for the same customer. */
  function done() {
    clear()
  }

  return {
    selected,
    amountText,
    pendingKey,
    busy,
    failure,
    uncertain,
    result,
    reverseKey,
    reversed,
    amount,
    underMinimum,
    amountInvalid,
    canApply,
    active,
    choose,
    back,
    apply,
    askReverse,
    cancelReverse,
    reverse,
    done,
    $reset: clear,
  }
})
