import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { startI18n } from '../i18n/index.ts'
import { jaScreens } from '../i18n/ja-screens.ts'
import { apiError, fakeFetch, fakeServices, json } from '../test/fake-api.ts'
import PromotionsToggle from './PromotionsToggle.vue'

async function mountToggle() {
  const i18n = await startI18n('ja')
  i18n.global.mergeLocaleMessage('ja', jaScreens)
  const wrapper = mount(PromotionsToggle, { global: { plugins: [i18n] }, attachTo: document.body })
  await flushPromises()
  return {
    wrapper,
    input: () => wrapper.get('[data-testid="promotions"]').element as HTMLInputElement,
  }
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('settings: the promotions switch', () => {
  it('shows the saved preference, labelled in Japanese, as a switch', async () => {
    const api = fakeFetch({ 'GET /api/me/preferences': () => json({ promotions: false }) })
    fakeServices(api.fetch)
    const { wrapper, input } = await mountToggle()
    expect(input().checked).toBe(false)
    expect(input().disabled).toBe(false)
    expect(input().getAttribute('role')).toBe('switch')
    const label = wrapper.get('label[for="promotions"]')
    expect(label.text()).toBe('お得な情報をLINEで受け取る')
    expect(input().getAttribute('aria-describedby')).toBe('promotions-hint')
    expect(api.calls[0]?.headers.get('Authorization')).toMatch(/^Bearer /)
  })

  it('turning it off sends PUT {"promotions": false} and says it is saved', async () => {
    const sent: unknown[] = []
    const api = fakeFetch({
      'GET /api/me/preferences': () => json({ promotions: true }),
      'PUT /api/me/preferences': async (req) => {
        const body = await req.json()
        sent.push(body)
        return json(body)
      },
    })
    fakeServices(api.fetch)
    const { wrapper, input } = await mountToggle()
    expect(input().checked).toBe(true)
    await wrapper.get('[data-testid="promotions"]').setValue(false)
    await flushPromises()
    expect(sent).toEqual([{ promotions: false }])
    expect(input().checked).toBe(false)
    expect(wrapper.get('[role="status"]').text()).toBe('保存しました')
  })

  it('puts the switch back and shows an alert when saving fails', async () => {
    const api = fakeFetch({
      'GET /api/me/preferences': () => json({ promotions: true }),
      'PUT /api/me/preferences': () => apiError('VALIDATION_FAILED', 400),
    })
    fakeServices(api.fetch)
    const { wrapper, input } = await mountToggle()
    await wrapper.get('[data-testid="promotions"]').setValue(false)
    await flushPromises()
    expect(input().checked).toBe(true)
    expect(wrapper.find('[role="alert"]').exists()).toBe(true)
  })
})
