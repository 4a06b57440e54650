import type { Member, TillResult } from '@membercard/shared'
import { awardPoints } from '@membercard/shared/points'
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { MemberCoupon } from '../coupons/types.ts'
import { newIdempotencyKey, tillApi } from './api.ts'
import { typedCardNumber, validCardNumber } from './card-number-input.ts'
import { type TillErrorCode, type TillFailure, tillFailure } from './errors.ts'
import { normalizeQrToken } from './scanner.ts'
import { parseSigned, parseWhole } from './till-input.ts'
import { useStaffSession } from './use-staff-session.ts'

/** What the clerk is doing for the member: award, redeem, or (managers) adjust. */
export type TillMode = 'award' | 'redeem' | 'adjust'
/** Where the till is: waiting for a card, showing a member, confirming, or showing the result. */
export type TillPhase = 'scan' | 'member' | 'confirm' | 'result'
/**
 * How the member was identified: their QR (or short) code, or the plastic card's number,
 * which allows an award only (decision 092).
 */
export type IdentifiedBy = 'qr' | 'card'

/** What a re-scan keeps: the same member's new code brings back what was being entered. */
interface Carried {
  cardNumber: string
  name: string
  mode: TillMode
  inputs: [string, string, string, string]
}

/**
 * The till's state and rules, from the scan to the result: one idempotency key per intended
 * transaction (made when the clerk reviews it, kept across retries), the QR's time left, and
 * the re-scan of an expired code. The screens only show it and call its actions.
 */
export const useTillStore = defineStore('till', () => {
  const me = useStaffSession().me

  const phase = ref<TillPhase>('scan')
  const failure = ref<TillFailure | null>(null)
  const busy = ref(false)
  const camera = ref(false)

  const qrToken = ref<string | null>(null)
  const identifiedBy = ref<IdentifiedBy>('qr')
  /** The plastic card's 16 digits (card-number path only): sent with the award, never shown. */
  const cardNumber = ref<string | null>(null)
  const member = ref<Member | null>(null)
  const expiresAt = ref(0)
  const now = ref(Date.now())
  const mode = ref<TillMode>('award')
  const amountText = ref('')
  const pointsText = ref('')
  const adjustText = ref('')
  const adjustReason = ref('')
  /** One key per intended transaction: made when the clerk reviews it, kept across retries. */
  const pendingKey = ref<string | null>(null)
  /** A send whose answer never came: it may have counted, so nothing is carried to a re-scan. */
  const uncertain = ref(false)
  const result = ref<(TillResult & { type: TillMode }) | null>(null)
  const carried = ref<Carried | null>(null)
  /** The member's coupons usable at this store (the scan's answer; coupon-till.ts uses them). */
  const coupons = ref<MemberCoupon[]>([])

  const secondsLeft = computed(() => Math.max(0, Math.ceil((expiresAt.value - now.value) / 1000)))
  /** The member's code has run out: nothing more can be sent with it. */
  const expired = computed(
    () => member.value !== null && identifiedBy.value === 'qr' && secondsLeft.value === 0,
  )
  /** The clerk should ask for the card again (the code ran out here or at the server). */
  const needsRescan = computed(
    () => phase.value !== 'scan' && (expired.value || failure.value?.code === 'QR_EXPIRED'),
  )

  const amount = computed(() => parseWhole(amountText.value))
  const redeemPoints = computed(() => parseWhole(pointsText.value))
  const adjustPoints = computed(() => parseSigned(adjustText.value))
  const adjustTooLow = computed(
    () =>
      member.value !== null &&
      adjustPoints.value !== null &&
      member.value.points + adjustPoints.value < 0,
  )
  const multiplier = computed(() => {
    const rank = member.value?.rank ?? 'regular'
    const table = me.value?.rules.rankMultipliers ?? {}
    return (Object.hasOwn(table, rank) && table[rank]) || { num: 1, den: 1 }
  })
  const preview = computed(() => {
    if (!me.value || amount.value === null || amount.value > 10_000_000) return null
    try {
      return awardPoints(amount.value, me.value.rules.rate, multiplier.value)
    } catch {
      return null
    }
  })
  const redeemTooMany = computed(
    () =>
      member.value !== null &&
      redeemPoints.value !== null &&
      redeemPoints.value > member.value.points,
  )
  const canReview = computed(() => {
    if (expired.value) return false
    if (mode.value === 'award') return preview.value !== null
    // A card number identifies the member for an award only.
    if (identifiedBy.value === 'card') return false
    if (mode.value === 'redeem') return redeemPoints.value !== null && !redeemTooMany.value
    if (me.value?.role !== 'manager') return false
    return adjustPoints.value !== null && !adjustTooLow.value && adjustReason.value.trim() !== ''
  })

  function fail(code: TillErrorCode) {
    failure.value = { code }
  }

  function clearInputs() {
    amountText.value = ''
    pointsText.value = ''
    adjustText.value = ''
    adjustReason.value = ''
  }

  // A wedge scanner types into whichever field has focus: a whole token in the amount or
  // points field is the next customer's card, not a number.
  watch([amountText, pointsText, adjustText, adjustReason], (values) => {
    const token = values.map((v) => normalizeQrToken(v)).find((v) => v !== null)
    if (token && !busy.value) {
      clearInputs()
      void lookUp(token)
    }
  })

  // Any change to what is being sent makes it another transaction with another key.
  watch([mode, amountText, pointsText, adjustText, adjustReason, qrToken, cardNumber], () => {
    if (phase.value !== 'confirm') pendingKey.value = null
  })

  /** Looks a scanned or typed code up; true when a member is shown. */
  async function lookUp(raw: string): Promise<boolean> {
    failure.value = null
    const token = normalizeQrToken(raw)
    if (!token) {
      // A plastic card's barcode read into the code field (or typed there) is its number.
      if (typedCardNumber(raw) !== null) return lookUpCard(raw)
      fail('QR_INVALID')
      return false
    }
    busy.value = true
    camera.value = false
    try {
      const res = await tillApi.scan(token)
      const keep = carried.value
      carried.value = null
      qrToken.value = token
      identifiedBy.value = 'qr'
      cardNumber.value = null
      member.value = res.member
      coupons.value = (res as { coupons?: MemberCoupon[] }).coupons ?? []
      expiresAt.value = Date.parse(res.expiresAt)
      now.value = Date.now()
      result.value = null
      uncertain.value = false
      if (keep && keep.cardNumber === res.member.cardNumber && keep.name === res.member.name) {
        mode.value = keep.mode
        ;[amountText.value, pointsText.value, adjustText.value, adjustReason.value] = keep.inputs
      } else {
        clearInputs()
        mode.value = 'award'
      }
      phase.value = 'member'
      return true
    } catch (err) {
      failure.value = tillFailure(err)
      return false
    } finally {
      busy.value = false
    }
  }

  /**
   * Looks a plastic card's number up (typed, or read from its barcode); true when a member is
   * shown. A malformed number is refused here, without a request (none is counted).
   */
  async function lookUpCard(raw: string): Promise<boolean> {
    failure.value = null
    const digits = validCardNumber(raw)
    if (digits === null) {
      fail('CARD_NUMBER_INVALID')
      return false
    }
    busy.value = true
    camera.value = false
    try {
      const res = await tillApi.cardLookup(digits)
      carried.value = null
      qrToken.value = null
      identifiedBy.value = 'card'
      cardNumber.value = digits
      member.value = res.member
      expiresAt.value = 0
      result.value = null
      uncertain.value = false
      clearInputs()
      mode.value = 'award'
      phase.value = 'member'
      return true
    } catch (err) {
      const refused = tillFailure(err)
      failure.value =
        refused.code === 'TOO_MANY_ATTEMPTS' ? { ...refused, code: 'CARD_LOOKUP_LIMIT' } : refused
      return false
    } finally {
      busy.value = false
    }
  }

  function review(): boolean {
    if (!canReview.value) return false
    failure.value = null
    pendingKey.value ??= newIdempotencyKey()
    phase.value = 'confirm'
    return true
  }

  function back() {
    phase.value = 'member'
    pendingKey.value = null
  }

  /** Sends the reviewed transaction; true when it went through. */
  async function confirm(): Promise<boolean> {
    const byCard = identifiedBy.value === 'card' ? cardNumber.value : null
    if (busy.value || (!qrToken.value && !byCard) || !pendingKey.value) return false
    busy.value = true
    failure.value = null
    const type = mode.value
    const key = pendingKey.value
    const qr = qrToken.value ?? ''
    try {
      const res = byCard
        ? await tillApi.cardAward({ cardNumber: byCard, purchaseAmount: amount.value ?? 0 }, key)
        : type === 'adjust'
          ? await tillApi.adjust(
              {
                qrToken: qr,
                points: adjustPoints.value ?? 0,
                reason: adjustReason.value.trim(),
              },
              key,
            )
          : await tillApi.points(
              type === 'award'
                ? { qrToken: qr, type, purchaseAmount: amount.value ?? 0 }
                : { qrToken: qr, type, points: redeemPoints.value ?? 0 },
              key,
            )
      result.value = { ...res, type }
      if (member.value) member.value = { ...member.value, points: res.balance }
      pendingKey.value = null
      uncertain.value = false
      phase.value = 'result'
      return true
    } catch (err) {
      const refused = tillFailure(err)
      if (byCard && refused.code === 'TOO_MANY_ATTEMPTS') refused.code = 'CARD_LOOKUP_LIMIT'
      if (refused.code === 'QR_ALREADY_USED') {
        // This code cannot be used again: back to scanning, for the fresh code the message asks
        // for (what was entered comes back when it is the same member's).
        rescan()
        failure.value = refused
        return false
      }
      failure.value = refused
      // A refused transaction (not a lost answer) needs a new review and a new key.
      if (failure.value.code === 'NETWORK') {
        uncertain.value = true
      } else {
        uncertain.value = false
        pendingKey.value = null
        phase.value = 'member'
      }
      return false
    } finally {
      busy.value = false
    }
  }

  function sameCustomer() {
    clearInputs()
    result.value = null
    phase.value = 'member'
  }

  function nextCustomer() {
    qrToken.value = null
    identifiedBy.value = 'qr'
    cardNumber.value = null
    member.value = null
    coupons.value = []
    result.value = null
    failure.value = null
    pendingKey.value = null
    carried.value = null
    uncertain.value = false
    camera.value = false
    clearInputs()
    phase.value = 'scan'
  }

  /**
   * The code ran out: back to the scan for the same customer's new code. What was being
   * entered comes back when that code is the same member's, unless a send's answer was lost
   * (it may have counted; the clerk checks today's list rather than send it again).
   */
  function rescan() {
    const keep: Carried | null =
      member.value && phase.value !== 'result' && !uncertain.value
        ? {
            cardNumber: member.value.cardNumber,
            name: member.value.name,
            mode: mode.value,
            inputs: [amountText.value, pointsText.value, adjustText.value, adjustReason.value],
          }
        : null
    nextCustomer()
    carried.value = keep
  }

  function useAll() {
    if (member.value) pointsText.value = String(member.value.points)
  }

  function startCamera() {
    failure.value = null
    camera.value = true
  }

  function cameraFailed(code: 'CAMERA_DENIED' | 'CAMERA_UNAVAILABLE') {
    camera.value = false
    fail(code)
  }

  /** Moves the till's clock on (the view calls it every second). */
  function tick(at = Date.now()) {
    now.value = at
  }

  /** Back to an empty till (sign-out, another staff member). */
  function $reset() {
    nextCustomer()
    mode.value = 'award'
  }

  return {
    me,
    phase,
    failure,
    busy,
    camera,
    qrToken,
    identifiedBy,
    cardNumber,
    member,
    expiresAt,
    now,
    mode,
    amountText,
    pointsText,
    adjustText,
    adjustReason,
    pendingKey,
    uncertain,
    result,
    carried,
    coupons,
    secondsLeft,
    expired,
    needsRescan,
    amount,
    redeemPoints,
    adjustPoints,
    adjustTooLow,
    multiplier,
    preview,
    redeemTooMany,
    canReview,
    lookUp,
    lookUpCard,
    review,
    back,
    confirm,
    sameCustomer,
    nextCustomer,
    rescan,
    useAll,
    startCamera,
    cameraFailed,
    tick,
    fail,
    $reset,
  }
})
