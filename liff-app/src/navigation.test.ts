import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, isNavigationFailure, NavigationFailureType } from 'vue-router'
import { apiError, json } from './test/fake-api.ts'

// navigation.ts keeps the app's router state: each test gets fresh modules (all of them, so
// the app and the test share one services module and one i18n module).
async function load() {
  vi.resetModules()
  const navigation = await import('./navigation.ts')
  const { createAppRouter, jaScreens } = await import('./router.ts')
  const { default: App } = await import('./App.vue')
  const { createAppI18n } = await import('./i18n/index.ts')
  const fake = await import('./test/fake-api.ts')
  const { linkBonusPoints } = await import('./lib/link-bonus.ts')
  return { ...navigation, ...fake, createAppRouter, jaScreens, App, createAppI18n, linkBonusPoints }
}

const member = { cardNumber: '************0011', name: '山田 花子', points: 1400, rank: 'gold' }
const qr = () => json({ token: 'ABCDEFGHIJKLMNOP', expiresAt: new Date().toISOString() })
const history = () => json({ items: [], nextCursor: null, expiring: null })
const coupon = {
  id: 12,
  couponId: 3,
  title: '2回目来店 200円引き',
  description: null,
  imageUrl: null,
  reward: { type: 'discountYen', amount: 200 },
  validFrom: '2026-11-01',
  validUntil: '2099-12-31',
  minPurchaseYen: 1000,
  storeCodes: null,
  status: 'available',
  usedAt: null,
  usesLeft: 1,
}

/** The API as a returning member (cached card) or a guest sees it. */
function api(
  m: Awaited<ReturnType<typeof load>>,
  linked: boolean,
  over: Parameters<typeof m.fakeFetch>[0] = {},
) {
  const f = m.fakeFetch({
    'GET /api/me': () => json(linked ? { linked: true, member } : { linked: false }),
    'GET /api/card/qr': qr,
    'GET /api/points/history': history,
    'GET /api/link/bonus': () => json({ eligible: true, points: 200 }),
    // The settings screen's promotions switch (PromotionsToggle.vue).
    'GET /api/me/preferences': () => json({ promotions: true }),
    // The card's count of coupons (after its QR), the coupons tab and a coupon's page.
    'GET /api/coupons': () => json({ items: [coupon] }),
    'GET /api/coupons/12': () => json(coupon),
    // The card's offline code asks for a device key once its module has loaded (decision 067):
    // refused here (the card keeps online codes), whenever it comes.
    'POST /api/card/device-key': () => apiError('SERVICE_UNAVAILABLE', 503),
    ...over,
  })
  m.fakeServices(f.fetch, { token: m.fakeToken('Unav') })
  if (linked) localStorage.setItem('membercard.member:Unav', JSON.stringify(member))
  return f
}

const count = (f: ReturnType<typeof api>, path: string) =>
  f.calls.filter((c) => new URL(c.url).pathname === path).length

beforeEach(() => {
  localStorage.clear()
  setActivePinia(createPinia())
})
afterEach(() => {
  document.body.innerHTML = ''
})

describe('the router guard (unchanged by the router loading late)', () => {
  async function routerFor(linked: boolean, beforeStaff = vi.fn(async () => undefined)) {
    const m = await load()
    const f = api(m, linked)
    const { createAppRouter } = m
    return { f, beforeStaff, router: createAppRouter({ beforeStaff }, createMemoryHistory()) }
  }

  it('a member: the card and member screens, never the guest screens', async () => {
    const { router } = await routerFor(true)
    await router.push('/')
    expect(router.currentRoute.value.name).toBe('card')
    await router.push('/history')
    expect(router.currentRoute.value.name).toBe('history')
    await router.push('/link')
    expect(router.currentRoute.value.name).toBe('card')
    await router.push('/issue')
    expect(router.currentRoute.value.name).toBe('card')
    await router.push('/settings')
    expect(router.currentRoute.value.name).toBe('settings')
    await router.push('/nowhere')
    expect(router.currentRoute.value.name).toBe('card')
  })

  it('a guest: the consent screen instead of the card or the history', async () => {
    const { router, f } = await routerFor(false)
    await router.push('/card')
    expect(router.currentRoute.value.name).toBe('link')
    await router.push('/history')
    expect(router.currentRoute.value.name).toBe('link')
    await router.push('/issue')
    expect(router.currentRoute.value.name).toBe('issue')
    await router.push('/privacy')
    expect(router.currentRoute.value.name).toBe('privacy')
    expect(count(f, '/api/me')).toBe(1)
  })

  it('the till: its messages first, no member look-up', async () => {
    const { router, f, beforeStaff } = await routerFor(false)
    await router.push('/staff/login')
    expect(router.currentRoute.value.name).toBe('staff-login')
    expect(beforeStaff).toHaveBeenCalledOnce()
    expect(count(f, '/api/me')).toBe(0)
  })
})

describe('the guard when it cannot tell who the user is', () => {
  it('a sign-in LINE refuses: the navigation is cancelled, nothing is thrown at the router', async () => {
    const m = await load()
    const signInRequired = vi.fn()
    const f = m.fakeFetch({ 'GET /api/me': () => m.apiError('ID_TOKEN_EXPIRED', 401) })
    m.fakeServices(f.fetch, { session: { signInRequired } })
    const router = m.createAppRouter({}, createMemoryHistory())
    const onError = vi.fn()
    router.onError(onError)
    const failure = await router.push('/card')
    expect(isNavigationFailure(failure, NavigationFailureType.aborted)).toBe(true)
    expect(onError).not.toHaveBeenCalled()
    expect(signInRequired).toHaveBeenCalled()
    // (App.vue shows "sign in again" over any screen.) A screen open to all still opens.
    await router.push('/settings')
    expect(router.currentRoute.value.name).toBe('settings')
  })

  it('no connection on a first visit: the same, nothing thrown', async () => {
    const m = await load()
    const f = m.fakeFetch({
      'GET /api/me': () => {
        throw new TypeError('Failed to fetch')
      },
    })
    m.fakeServices(f.fetch)
    const router = m.createAppRouter({}, createMemoryHistory())
    const onError = vi.fn()
    router.onError(onError)
    expect(isNavigationFailure(await router.push('/history'))).toBe(true)
    expect(isNavigationFailure(await router.push('/link'))).toBe(true)
    expect(onError).not.toHaveBeenCalled()
    await router.push('/privacy')
    expect(router.currentRoute.value.name).toBe('privacy')
  })
})

describe('a screen opened directly (a rich menu or a permanent link)', () => {
  /** The app as main.ts starts it on `path`, without the card shown first. */
  async function openAt(path: string, who: 'member' | 'returning' | 'guest') {
    const m = await load()
    const f = api(m, who !== 'guest')
    if (who === 'member') localStorage.clear() // a member on a new device: no cached card
    const pinia = createPinia()
    setActivePinia(pinia)
    const i18n = m.createAppI18n()
    i18n.global.mergeLocaleMessage('ja', m.jaScreens)
    const wrapper = mount(m.App, { global: { plugins: [pinia, i18n] }, attachTo: document.body })
    const history = createMemoryHistory()
    history.replace(path)
    const router = m.createAppRouter({}, history)
    await m.installRouter(wrapper.vm.$.appContext.app, router)
    await flushPromises()
    return { wrapper, router, f }
  }
  const tabs = (w: Awaited<ReturnType<typeof openAt>>['wrapper']) =>
    w.findAll('nav.tabs a').map((a) => a.text())

  for (const who of ['member', 'returning'] as const) {
    it(`/settings for a ${who}: the tabs and the unlink button`, async () => {
      const { wrapper, router, f } = await openAt('/settings', who)
      expect(router.currentRoute.value.name).toBe('settings')
      expect(wrapper.get('#settings-title').text()).toBe('設定')
      expect(tabs(wrapper)).toEqual(['会員証', 'クーポン', '履歴', '設定'])
      expect(wrapper.get('[data-testid="unlink"]').text()).toBe('連携を解除する')
      expect(count(f, '/api/me')).toBe(1)
      wrapper.unmount()
    })
  }

  it('/history for a member: the tabs and the history', async () => {
    const { wrapper, router } = await openAt('/history', 'member')
    expect(router.currentRoute.value.name).toBe('history')
    expect(wrapper.get('#history-title').text()).toBe('ポイント履歴')
    expect(tabs(wrapper)).toEqual(['会員証', 'クーポン', '履歴', '設定'])
    wrapper.unmount()
  })

  it('/coupons/12 for a member: the coupon, how to use it, in the coupons tab', async () => {
    const { wrapper, router, f } = await openAt('/coupons/12', 'member')
    expect(router.currentRoute.value.name).toBe('coupon')
    expect(wrapper.get('#coupon-title').text()).toBe('2回目来店 200円引き')
    expect(wrapper.get('[data-testid="coupon-reward"]').text()).toBe('200\u2060円引き')
    expect(wrapper.get('[data-testid="coupon-minimum"]').text()).toBe(
      '1,000\u2060円以上（税込）のお買い上げで使えます',
    )
    expect(wrapper.get('[data-testid="show-card"]').text()).toBe('会員証を表示する')
    expect(tabs(wrapper)).toEqual(['会員証', 'クーポン', '履歴', '設定'])
    expect(wrapper.get('nav.tabs a[aria-current="page"]').text()).toBe('クーポン')
    // Opened directly: the one coupon is asked for, not the whole list.
    expect(count(f, '/api/coupons/12')).toBe(1)
    expect(count(f, '/api/coupons')).toBe(0)
    wrapper.unmount()
  })

  it('/coupons for a member: the list; for a guest: the consent screen', async () => {
    const opened = await openAt('/coupons', 'returning')
    expect(opened.router.currentRoute.value.name).toBe('coupons')
    expect(opened.wrapper.get('#coupons-title').text()).toBe('クーポン')
    expect(opened.wrapper.findAll('[data-testid="coupon-item"]')).toHaveLength(1)
    opened.wrapper.unmount()
    localStorage.clear()
    const guest = await openAt('/coupons', 'guest')
    expect(guest.router.currentRoute.value.name).toBe('link')
    guest.wrapper.unmount()
  })

  it('/settings for a guest: no tabs and nothing to unlink', async () => {
    const { wrapper, router } = await openAt('/settings', 'guest')
    expect(router.currentRoute.value.name).toBe('settings')
    expect(wrapper.find('nav.tabs').exists()).toBe(false)
    expect(wrapper.find('[data-testid="unlink"]').exists()).toBe(false)
    wrapper.unmount()
  })
})

describe('the linking bonus on the guest screens', () => {
  it('is asked of the server as a guest screen opens, and shown only once answered', async () => {
    const m = await load()
    let answer: (r: Response) => void = () => undefined
    const f = m.fakeFetch({
      'GET /api/me': () => json({ linked: false }),
      'GET /api/link/bonus': [
        () => new Promise<Response>((r) => (answer = r)),
        // (Whatever number comes with it, "not eligible" promises nothing.)
        () => json({ eligible: false, points: 200 }),
      ],
    })
    m.fakeServices(f.fetch)
    const router = m.createAppRouter({}, createMemoryHistory())
    const arrived = router.push('/link')
    await vi.waitFor(() => expect(count(f, '/api/link/bonus')).toBe(1))
    await flushPromises()
    expect(router.currentRoute.value.name).not.toBe('link')
    answer(json({ eligible: true, points: 200 }))
    await arrived
    expect(router.currentRoute.value.name).toBe('link')
    expect(m.linkBonusPoints.value).toBe(200)
    // Asked again on the next guest screen: the answer may have changed (an unlink).
    await router.push('/issue')
    expect(count(f, '/api/link/bonus')).toBe(2)
    expect(m.linkBonusPoints.value).toBe(0)
  })
})

describe('the card before the router has arrived', () => {
  async function start(linked: boolean, over: Parameters<typeof api>[2] = {}) {
    const m = await load()
    const f = api(m, linked, over)
    const pinia = createPinia()
    setActivePinia(pinia)
    const i18n = m.createAppI18n()
    const wrapper = mount(m.App, {
      global: { plugins: [pinia, i18n] },
      attachTo: document.body,
    })
    await m.showCardFirst()
    await flushPromises()
    const router = m.createAppRouter({}, createMemoryHistory())
    // As main.ts: the other screens' messages come with the router, merged before it shows them.
    const install = () => {
      i18n.global.mergeLocaleMessage('ja', m.jaScreens)
      return m.installRouter(wrapper.vm.$.appContext.app, router)
    }
    return { ...m, f, wrapper, router, install }
  }

  it('shows a returning member the card with its tabs, and keeps it when the router comes', async () => {
    const { wrapper, f, install, router, currentRouter } = await start(true)
    expect(wrapper.get('[data-testid="points"]').text()).toBe('1,400pt')
    expect(wrapper.find('.qr-box svg').exists()).toBe(true)
    const tabs = wrapper.findAll('nav.tabs a')
    expect(tabs.map((a) => [a.text(), a.attributes('href')])).toEqual([
      ['会員証', '/card'],
      ['クーポン', '/coupons'],
      ['履歴', '/history'],
      ['設定', '/settings'],
    ])
    expect(tabs[0]!.classes()).toContain('router-link-active')
    expect(tabs[0]!.attributes('aria-current')).toBe('page')
    expect(tabs[2]!.attributes('aria-current')).toBeUndefined()

    const card = wrapper.get('.card-screen').element
    await install()
    await flushPromises()
    expect(currentRouter.value).toBe(router)
    expect(router.currentRoute.value.name).toBe('card')
    // The same card: not re-created, so no second QR request.
    expect(wrapper.get('.card-screen').element).toBe(card)
    expect(count(f, '/api/card/qr')).toBe(1)
    expect(wrapper.get('nav.tabs a').classes()).toContain('router-link-active')
    wrapper.unmount()
  })

  it('shows how many coupons the member can use, asked for only once the QR code is there', async () => {
    let answerQr: (r: Response) => void = () => undefined
    const { wrapper, f } = await start(true, {
      'GET /api/card/qr': () => new Promise<Response>((r) => (answerQr = r)),
    })
    await flushPromises()
    expect(wrapper.find('.qr-box svg').exists()).toBe(false)
    expect(count(f, '/api/coupons')).toBe(0)
    answerQr(await qr())
    await vi.waitFor(() => expect(wrapper.find('.qr-box svg').exists()).toBe(true))
    await vi.waitFor(() => expect(wrapper.find('[data-testid="coupon-count"]').exists()).toBe(true))
    const link = wrapper.get('[data-testid="coupon-count"] a')
    expect(link.text()).toBe('使えるクーポン 1\u2060枚')
    expect(link.attributes('href')).toBe('/coupons')
    expect(count(f, '/api/coupons')).toBe(1)
    wrapper.unmount()
  })

  it('a tab tapped before the router waits for it, then opens its screen', async () => {
    const { wrapper, install, router } = await start(true)
    const click = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 })
    wrapper.findAll('nav.tabs a')[2]!.element.dispatchEvent(click)
    expect(click.defaultPrevented).toBe(true)
    await flushPromises()
    expect(wrapper.find('.card-screen').exists()).toBe(true)
    await install()
    await flushPromises()
    await vi.waitFor(() => expect(wrapper.find('#history-title').exists()).toBe(true))
    expect(wrapper.get('#history-title').text()).toBe('ポイント履歴')
    expect(router.currentRoute.value.name).toBe('history')
    expect(wrapper.find('.card-screen').exists()).toBe(false)
    expect(wrapper.findAll('nav.tabs a')[2]!.attributes('aria-current')).toBe('page')
    wrapper.unmount()
  })

  it('a modified click (new tab) is left to the browser', async () => {
    const { wrapper } = await start(true)
    const click = new MouseEvent('click', { bubbles: true, cancelable: true, ctrlKey: true })
    wrapper.findAll('nav.tabs a')[2]!.element.dispatchEvent(click)
    expect(click.defaultPrevented).toBe(false)
    wrapper.unmount()
  })

  it('shows a guest nothing until the router sends them to the consent screen', async () => {
    const { wrapper, install, router, cardFirst } = await start(false)
    expect(cardFirst.value).toBe(false)
    expect(wrapper.find('.card-screen').exists()).toBe(false)
    expect(wrapper.find('nav.tabs').exists()).toBe(false)
    await install()
    await flushPromises()
    expect(router.currentRoute.value.name).toBe('link')
    wrapper.unmount()
  })

  it("falls back to loading the page when the router's code cannot be loaded", async () => {
    const { routerFailed, navigate } = await load()
    const assign = vi.fn()
    const replace = vi.fn()
    vi.stubGlobal('location', { assign, replace, pathname: '/card' })
    try {
      routerFailed(new Error('offline'))
      await navigate('/history')
      expect(assign).toHaveBeenCalledWith('/history')
      await navigate('/link', true)
      expect(replace).toHaveBeenCalledWith('/link')
    } finally {
      vi.unstubAllGlobals()
    }
  })
})
