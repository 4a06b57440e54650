import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { apiError, fakeFetch, json } from '../test/fake-api.ts'
import type { StaffMe } from './api.ts'
import { useTillStore } from './till-store.ts'
import { staffToken } from './token.ts'
import { useStaffSession } from './use-staff-session.ts'

const RULES = {
  rate: { num: 1, den: 100 },
  rankMultipliers: {
    regular: { num: 1, den: 1 },
    silver: { num: 15, den: 10 },
    gold: { num: 2, den: 1 },
  },
  voidWindowMinutes: 1440,
}
const clerk: StaffMe = {
  staffId: 'demo-clerk',
  storeCode: 'S001',
  storeName: '本店',
  role: 'clerk',
  rules: RULES,
}
const hanako = { cardNumber: '************0011', name: '山田 花子', points: 1400, rank: 'gold' }
const jiro = { cardNumber: '************0029', name: '後藤 次郎', points: 200, rank: 'regular' }
const T1 = 'A'.repeat(36)
const T2 = 'B'.repeat(36)
const T3 = 'C'.repeat(36)

function scanned(member: typeof hanako, secondsLeft = 60) {
  return () => json({ member, expiresAt: new Date(Date.now() + secondsLeft * 1000).toISOString() })
}

function till(routes: Parameters<typeof fakeFetch>[0], me: StaffMe = clerk) {
  const f = fakeFetch(routes)
  vi.stubGlobal('fetch', f.fetch)
  useStaffSession().me.value = me
  return { f, store: useTillStore() }
}

describe('the till store', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    staffToken.set('staff-token-123456789012345')
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
    useStaffSession().me.value = null
    staffToken.clear()
  })

  it('looks a member up, previews the award with the rank multiplier, and sends it once with one key', async () => {
    const { f, store } = till({
      'POST /api/staff/scan': scanned(hanako),
      'POST /api/staff/points': () => json({ transactionId: '7', points: 39, balance: 1439 }),
    })
    expect(await store.lookUp(` ${T1.toLowerCase()} `)).toBe(true)
    expect(store.phase).toBe('member')
    expect(store.member).toEqual(hanako)
    expect(await f.calls[0]?.json()).toEqual({ qrToken: T1 })
    store.amountText = '１,９９９円'
    expect(store.preview).toBe(39) // 1,999 yen × 1/100 × 2 (gold), rounded down
    expect(store.review()).toBe(true)
    const key = store.pendingKey
    expect(key).toMatch(/^[0-9a-f-]{32,36}$/)
    expect(await store.confirm()).toBe(true)
    expect(store.phase).toBe('result')
    expect(store.result).toEqual({ transactionId: '7', points: 39, balance: 1439, type: 'award' })
    expect(store.member?.points).toBe(1439)
    expect(f.calls[1]?.headers.get('idempotency-key')).toBe(key)
    expect(await f.calls[1]?.json()).toEqual({ qrToken: T1, type: 'award', purchaseAmount: 1999 })
    expect(store.pendingKey).toBeNull()
  })

  it('refuses what cannot be a member code without asking the server', async () => {
    const { f, store } = till({})
    expect(await store.lookUp('4901234567894')).toBe(false)
    expect(store.failure).toEqual({ code: 'QR_INVALID' })
    expect(f.calls).toHaveLength(0)
  })

  it('takes a whole code typed into the amount field (a wedge scanner) as the next card', async () => {
    const { f, store } = till({
      'POST /api/staff/scan': [scanned(hanako), scanned(jiro)],
    })
    await store.lookUp(T1)
    store.amountText = T2
    await vi.waitFor(() => expect(store.member?.name).toBe('後藤 次郎'))
    expect(store.amountText).toBe('')
    expect(await f.calls[1]?.json()).toEqual({ qrToken: T2 })
  })

  it('never redeems more than the balance, and only a manager may adjust', async () => {
    const { store } = till({ 'POST /api/staff/scan': scanned(jiro) })
    await store.lookUp(T1)
    store.mode = 'redeem'
    store.pointsText = '201'
    expect(store.redeemTooMany).toBe(true)
    expect(store.review()).toBe(false)
    store.pointsText = '200'
    expect(store.canReview).toBe(true)
    store.mode = 'adjust'
    store.adjustText = '-30'
    store.adjustReason = '誤登録'
    expect(store.adjustPoints).toBe(-30)
    expect(store.canReview).toBe(false) // a clerk
    useStaffSession().me.value = { ...clerk, role: 'manager' }
    expect(store.canReview).toBe(true)
    store.adjustText = '-201'
    expect(store.adjustTooLow).toBe(true)
    expect(store.canReview).toBe(false)
  })

  it('when the code runs out: nothing can be sent, and a re-scan of the same member keeps what was entered', async () => {
    const { f, store } = till({
      'POST /api/staff/scan': [scanned(hanako, 10), scanned(hanako, 60)],
      'POST /api/staff/points': () => json({ transactionId: '8', points: 20, balance: 1420 }),
    })
    await store.lookUp(T1)
    store.amountText = '1000'
    expect(store.canReview).toBe(true)
    expect(store.needsRescan).toBe(false)
    store.tick(store.expiresAt)
    expect(store.expired).toBe(true)
    expect(store.needsRescan).toBe(true)
    expect(store.canReview).toBe(false)
    expect(store.review()).toBe(false)

    store.rescan()
    expect(store.phase).toBe('scan')
    expect(store.member).toBeNull()
    expect(await store.lookUp(T2)).toBe(true)
    expect(store.needsRescan).toBe(false)
    expect(store.amountText).toBe('1000')
    expect(store.review()).toBe(true)
    expect(await store.confirm()).toBe(true)
    expect(await f.calls.at(-1)?.json()).toEqual({
      qrToken: T2,
      type: 'award',
      purchaseAmount: 1000,
    })
  })

  it("a re-scan that brings another member's card starts empty", async () => {
    const { store } = till({ 'POST /api/staff/scan': [scanned(hanako, 1), scanned(jiro)] })
    await store.lookUp(T1)
    store.mode = 'redeem'
    store.pointsText = '100'
    store.rescan()
    await store.lookUp(T2)
    expect(store.member?.name).toBe('後藤 次郎')
    expect(store.mode).toBe('award')
    expect(store.pointsText).toBe('')
  })

  it('a QR_EXPIRED answer asks for a re-scan and drops the key', async () => {
    const { store } = till({
      'POST /api/staff/scan': scanned(hanako),
      'POST /api/staff/points': () => apiError('QR_EXPIRED', 410),
    })
    await store.lookUp(T1)
    store.amountText = '500'
    store.review()
    expect(await store.confirm()).toBe(false)
    expect(store.failure).toMatchObject({ code: 'QR_EXPIRED' })
    expect(store.phase).toBe('member')
    expect(store.pendingKey).toBeNull()
    expect(store.needsRescan).toBe(true)
  })

  it('a lost answer keeps the key for the retry, and a re-scan then carries nothing over', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    const { f, store } = till({
      'POST /api/staff/scan': [scanned(hanako), scanned(hanako)],
      'POST /api/staff/points': () => {
        throw new TypeError('offline')
      },
    })
    await store.lookUp(T1)
    store.amountText = '1000'
    store.review()
    const key = store.pendingKey
    const sent = store.confirm()
    await vi.runAllTimersAsync()
    expect(await sent).toBe(false)
    expect(store.failure).toMatchObject({ code: 'NETWORK' })
    expect(store.phase).toBe('confirm')
    expect(store.pendingKey).toBe(key)
    const points = f.calls.filter((r) => r.url.endsWith('/points'))
    expect(new Set(points.map((r) => r.headers.get('idempotency-key')))).toEqual(new Set([key]))
    // It may have counted: the new code does not bring the amount back to be sent again.
    store.rescan()
    await store.lookUp(T3)
    expect(store.amountText).toBe('')
  })
  describe('the plastic card number (decision 092)', () => {
    const CARD = '4000 0000-0000 0002'

    it('identifies the member for an award only, sent with the card number and one key', async () => {
      const { f, store } = till({
        'POST /api/staff/card/lookup': () => json({ member: jiro, linked: false }),
        'POST /api/staff/card/award': () => json({ transactionId: '9', points: 12, balance: 212 }),
      })
      expect(await store.lookUpCard(CARD)).toBe(true)
      expect(await f.calls[0]?.json()).toEqual({ cardNumber: '4000000000000002' })
      expect(store.identifiedBy).toBe('card')
      expect(store.expired).toBe(false)
      store.mode = 'redeem'
      store.pointsText = '100'
      expect(store.canReview).toBe(false)
      store.mode = 'award'
      store.amountText = '1200'
      expect(store.review()).toBe(true)
      const key = store.pendingKey
      expect(await store.confirm()).toBe(true)
      expect(await f.calls[1]?.json()).toEqual({
        cardNumber: '4000000000000002',
        purchaseAmount: 1200,
      })
      expect(f.calls[1]?.headers.get('idempotency-key')).toBe(key)
      expect(store.result).toMatchObject({ points: 12, balance: 212, type: 'award' })
      store.nextCustomer()
      expect(store.identifiedBy).toBe('qr')
      expect(store.cardNumber).toBeNull()
    })

    it('takes a card barcode read into the code field as the card number', async () => {
      const { f, store } = till({
        'POST /api/staff/card/lookup': () => json({ member: jiro, linked: true }),
      })
      expect(await store.lookUp('4000000000000002')).toBe(true)
      expect(f.calls[0]?.url).toContain('/api/staff/card/lookup')
      expect(store.identifiedBy).toBe('card')
    })

    it('refuses a malformed number without asking the server, and words the limit as its own', async () => {
      const { f, store } = till({
        'POST /api/staff/card/lookup': () =>
          apiError('TOO_MANY_ATTEMPTS', 429, { 'Retry-After': '300' }),
      })
      expect(await store.lookUpCard('4000 0000 0000 0003')).toBe(false)
      expect(store.failure).toEqual({ code: 'CARD_NUMBER_INVALID' })
      expect(f.calls).toHaveLength(0)
      expect(await store.lookUpCard(CARD)).toBe(false)
      expect(store.failure).toEqual({ code: 'CARD_LOOKUP_LIMIT', retryAfterSeconds: 300 })
      expect(store.phase).toBe('scan')
    })
  })
})
