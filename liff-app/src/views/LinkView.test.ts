import { createTestingPinia } from '@pinia/testing'
import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { startI18n } from '../i18n/index.ts'
import { jaScreens } from '../i18n/ja-screens.ts'
import { ApiFailure } from '../lib/api.ts'
import { linkBonusPoints } from '../lib/link-bonus.ts'
import { useMemberStore } from '../stores/member.ts'
import { useSessionStore } from '../stores/session.ts'
import { fakeFetch, fakeServices } from '../test/fake-api.ts'
import LinkView from './LinkView.vue'

/** `bonus`: the linking bonus this user can still get (what the router asked the server). */
async function mountLink(locale: 'ja' | 'en' = 'ja', bonus = 200) {
  linkBonusPoints.value = bonus
  // No API call is expected: the store's actions are stubbed, and any call fails the test.
  const { config } = fakeServices(fakeFetch({}).fetch)
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/link', name: 'link', component: LinkView },
      { path: '/card', name: 'card', component: { template: '<p>card</p>' } },
      { path: '/issue', name: 'issue', component: { template: '<p>issue</p>' } },
    ],
  })
  await router.push('/link')
  const pinia = createTestingPinia({ createSpy: vi.fn, initialState: { session: { config } } })
  // As main.ts does once the router has arrived: the other screens' Japanese messages.
  const i18n = await startI18n(locale)
  i18n.global.mergeLocaleMessage('ja', jaScreens)
  const wrapper = mount(LinkView, {
    global: { plugins: [pinia, router, i18n] },
    attachTo: document.body,
  })
  return { wrapper, router, member: useMemberStore(pinia), session: useSessionStore(pinia) }
}

async function fill(
  wrapper: Awaited<ReturnType<typeof mountLink>>['wrapper'],
  card: string,
  pin: string,
) {
  await wrapper.get('#consent').setValue(true)
  await wrapper.get('#card-number').setValue(card)
  await wrapper.get('#pin').setValue(pin)
  await wrapper.get('form').trigger('submit')
  await flushPromises()
}

describe('the consent and link screen', () => {
  it('labels every input and shows the linking bonus', async () => {
    const { wrapper } = await mountLink()
    for (const id of ['consent', 'card-number', 'pin']) {
      expect(wrapper.find(`label[for="${id}"]`).exists()).toBe(true)
    }
    expect(wrapper.get('[data-testid="bonus"]').text()).toBe('連携で200\u2060ポイントプレゼント')
    expect(wrapper.get('#pin').attributes('type')).toBe('password')
    wrapper.unmount()
  })

  it('promises no bonus to a user who has had it (an unlink and a relink bring none)', async () => {
    const { wrapper } = await mountLink('ja', 0)
    expect(wrapper.find('[data-testid="bonus"]').exists()).toBe(false)
    expect(wrapper.text()).not.toContain('ポイントプレゼント')
    wrapper.unmount()
  })

  it('groups the card number by four as typed', async () => {
    const { wrapper } = await mountLink()
    const input = wrapper.get('#card-number')
    await input.setValue('4900-0000 00000011x99')
    expect((input.element as HTMLInputElement).value).toBe('4900 0000 0000 0011')
    wrapper.unmount()
  })

  it('catches a typo by the check digit without calling the server', async () => {
    const { wrapper, member } = await mountLink()
    await fill(wrapper, '4900000000000012', '1234')
    expect(wrapper.get('#card-number-error').text()).toContain('カード番号に誤りがあります')
    expect(wrapper.get('#card-number').attributes('aria-invalid')).toBe('true')
    expect(member.link).not.toHaveBeenCalled()
    wrapper.unmount()
  })

  it('shows a wrong PIN next to the PIN and clears it', async () => {
    const { wrapper, member } = await mountLink()
    vi.mocked(member.link).mockRejectedValueOnce(new ApiFailure('CARD_OR_PIN_WRONG', 422))
    await fill(wrapper, '4900 0000 0000 0011', '9999')
    expect(member.link).toHaveBeenCalledWith({
      cardNumber: '4900000000000011',
      pin: '9999',
      consent: { version: 'v1', accepted: true },
    })
    expect(wrapper.get('#pin-error').text()).toContain('カード番号または暗証番号が違います')
    expect((wrapper.get('#pin').element as HTMLInputElement).value).toBe('')
    wrapper.unmount()
  })

  it('says how many minutes to wait after too many attempts, in English too', async () => {
    const { wrapper, member } = await mountLink('en')
    vi.mocked(member.link).mockRejectedValueOnce(new ApiFailure('TOO_MANY_ATTEMPTS', 429, 840))
    await fill(wrapper, '4900000000000011', '1111')
    expect(wrapper.get('[data-testid="form-error"]').text()).toBe(
      'Too many wrong tries, so linking this card is paused. Try again in 14 minutes, or ask the store: they can clear the lock.',
    )
    wrapper.unmount()
  })

  it('says from what time to try again after a long lock, and that the store can clear it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date(2026, 10, 30, 9, 0, 0))
    try {
      const { wrapper, member } = await mountLink()
      vi.mocked(member.link).mockRejectedValueOnce(
        new ApiFailure('TOO_MANY_ATTEMPTS', 429, 17 * 3600 + 300),
      )
      await fill(wrapper, '4900000000000011', '1111')
      expect(wrapper.get('[data-testid="form-error"]').text()).toBe(
        '入力の誤りが続いたため、このカードの連携を一時的に止めています。12/1 2:05以降にもう一度お試しいただくか、店舗にお問い合わせください（ロックを解除できます）。',
      )
      wrapper.unmount()
    } finally {
      vi.useRealTimers()
    }
  })

  it('tells the user when the card belongs to another account', async () => {
    const { wrapper, member } = await mountLink()
    vi.mocked(member.link).mockRejectedValueOnce(new ApiFailure('CARD_ALREADY_LINKED', 409))
    await fill(wrapper, '4900000000000011', '1234')
    expect(wrapper.get('#card-number-error').text()).toContain('別のLINEアカウントと連携済み')
    wrapper.unmount()
  })

  it("on CONSENT_OUTDATED shows the server's current terms again and asks for consent anew", async () => {
    const { wrapper, member, session, router } = await mountLink()
    expect(wrapper.get('[data-testid="consent-version"]').text()).toBe('同意内容の版：v1')
    vi.mocked(member.link).mockRejectedValueOnce(new ApiFailure('CONSENT_OUTDATED', 409))
    // The server's settings now carry the new version (what `GET /api/config` answers).
    vi.mocked(session.refreshConfig).mockImplementationOnce(async () => {
      const fresh = { ...(session.config as NonNullable<typeof session.config>) }
      fresh.consentVersion = 'v2'
      session.config = fresh
      return fresh
    })
    await fill(wrapper, '4900000000000011', '1234')
    expect(session.refreshConfig).toHaveBeenCalledTimes(1)
    expect(router.currentRoute.value.name).toBe('link')
    expect(wrapper.get('#consent-error').text()).toBe(
      '同意いただく内容が更新されました。最新の内容をお読みのうえ、もう一度同意にチェックを入れてください。',
    )
    expect((wrapper.get('#consent').element as HTMLInputElement).checked).toBe(false)
    expect(document.activeElement?.id).toBe('consent')
    expect(wrapper.get('[data-testid="consent-version"]').text()).toBe('同意内容の版：v2')
    // Agreeing again sends the current version.
    vi.mocked(member.link).mockResolvedValueOnce(200)
    await fill(wrapper, '4900000000000011', '1234')
    expect(vi.mocked(member.link).mock.calls.at(-1)?.[0]).toEqual({
      cardNumber: '4900000000000011',
      pin: '1234',
      consent: { version: 'v2', accepted: true },
    })
    expect(router.currentRoute.value.name).toBe('card')
    wrapper.unmount()
  })

  it('says so in English too on CONSENT_OUTDATED', async () => {
    const { wrapper, member } = await mountLink('en')
    vi.mocked(member.link).mockRejectedValueOnce(new ApiFailure('CONSENT_OUTDATED', 409))
    await fill(wrapper, '4900000000000011', '1234')
    expect(wrapper.get('#consent-error').text()).toBe(
      'The terms have been updated. Please read the current terms above and tick the box again.',
    )
    wrapper.unmount()
  })

  it('goes to the card after linking, saying the bonus granted', async () => {
    const { wrapper, member, router, session } = await mountLink()
    vi.mocked(member.link).mockResolvedValueOnce(200)
    await fill(wrapper, '4900000000000011', '1234')
    expect(router.currentRoute.value.name).toBe('card')
    expect(session.flash).toHaveBeenCalledWith(
      '連携が完了しました。200\u2060ポイントを付与しました',
    )
    wrapper.unmount()
  })

  it('says honestly that no bonus came when the card had had it (the bonus was promised)', async () => {
    const { wrapper, member, router, session } = await mountLink()
    vi.mocked(member.link).mockResolvedValueOnce(0)
    await fill(wrapper, '4900000000000011', '1234')
    expect(router.currentRoute.value.name).toBe('card')
    expect(session.flash).toHaveBeenCalledWith(
      '連携が完了しました。このカードは以前に連携ボーナスを受け取っているため、今回のポイント付与はありません。',
    )
    wrapper.unmount()
  })

  it('just says linked when no bonus was promised, in English too', async () => {
    const { wrapper, member, session } = await mountLink('en', 0)
    vi.mocked(member.link).mockResolvedValueOnce(0)
    await fill(wrapper, '4900000000000011', '1234')
    expect(session.flash).toHaveBeenCalledWith('Your card is linked')
    wrapper.unmount()
  })
})
