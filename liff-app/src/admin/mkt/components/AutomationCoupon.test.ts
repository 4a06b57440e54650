import { flushPromises, mount } from '@vue/test-utils'
import { ElOption, ElSelect } from 'element-plus'
import { describe, expect, it } from 'vitest'
import type { Coupon } from '../../../coupons/types.ts'
import { createAppI18n } from '../../../i18n/index.ts'
import { bodyOf } from '../../../test/fake-admin.ts'
import { fakeFetch, json } from '../../../test/fake-api.ts'
import { adminEn } from '../../i18n/en.ts'
import { adminJa } from '../../i18n/ja.ts'
import { createMktApi, setMktApi } from '../api.ts'
import { activeCoupons, couponChoices } from '../automation-coupons.ts'
import { mktEn } from '../i18n/en.ts'
import { mktJa } from '../i18n/ja.ts'
import type { Automation } from '../types.ts'
import AutomationCard from './AutomationCard.vue'

const coupon = (id: number, title: string, status: 'active' | 'ended' = 'active') =>
  ({ id, title, status }) as Coupon

const birthday = (couponId: number | null): Automation => ({
  kind: 'birthday',
  enabled: false,
  messages: [],
  params: couponId === null ? {} : { couponId },
  lastRun: null,
})

function mountCard(automation: Automation, coupons: Coupon[], locale: 'ja' | 'en' = 'ja') {
  const server = fakeFetch({
    'PUT /api/admin/automations/birthday': async (req) =>
      json({ ...automation, ...((await req.clone().json()) as object) }),
  })
  setMktApi(createMktApi({ csrfToken: () => 'csrf', signedOut: () => {} }, server.fetch))
  const i18n = createAppI18n()
  i18n.global.mergeLocaleMessage('ja', { admin: { ...adminJa, mkt: mktJa } })
  i18n.global.mergeLocaleMessage('en', { admin: { ...adminEn, mkt: mktEn } })
  i18n.global.locale.value = locale
  const wrapper = mount(AutomationCard, {
    props: { automation, liffId: null, storeName: 'デモストア', coupons },
    global: { plugins: [i18n] },
    attachTo: document.body,
  })
  return { wrapper, calls: server.calls }
}

async function save(wrapper: ReturnType<typeof mountCard>['wrapper']) {
  const button = wrapper.findAll('button').find((b) => b.text() === '保存' || b.text() === 'Save')
  await button?.trigger('click')
  await flushPromises()
}

describe('the automation card’s coupon picker (params.couponId)', () => {
  it('offers the active coupons, labelled (Japanese first), and saves the one picked', async () => {
    const { wrapper, calls } = mountCard(birthday(null), [
      coupon(7, '誕生日 500円引き'),
      coupon(9, 'ドリンク無料'),
    ])
    await flushPromises()
    const field = wrapper.get('[data-testid="automation-coupon"]')
    const label = field.get('label')
    expect(label.text()).toBe('あわせて配布するクーポン（任意）')
    // The label names the select's own input (a click on it focuses the combobox).
    const input = field.get(`#${label.attributes('for')}`)
    expect(input.attributes('role')).toBe('combobox')
    expect(input.attributes('aria-label')).toBe('あわせて配布するクーポン（任意）')
    expect(field.get('#auto-birthday-coupon-hint').text()).toContain('配布中のクーポン')
    const select = wrapper.findComponent(ElSelect)
    expect(select.props('modelValue')).toBeNull()
    expect(wrapper.findAllComponents(ElOption).map((o) => o.props('label'))).toEqual([
      '誕生日 500円引き',
      'ドリンク無料',
    ])
    select.vm.$emit('update:modelValue', 9)
    await flushPromises()
    await save(wrapper)
    expect(calls).toHaveLength(1)
    expect(await bodyOf(calls[0] as Request)).toEqual({
      enabled: false,
      messages: [],
      params: { couponId: 9 },
    })
    wrapper.unmount()
  })

  it('shows the saved coupon, clears it to none (null is sent), and names an ended one so', async () => {
    const { wrapper, calls } = mountCard(birthday(3), [coupon(7, '誕生日 500円引き')], 'en')
    const select = wrapper.findComponent(ElSelect)
    expect(select.props('modelValue')).toBe(3)
    expect(wrapper.get('[data-testid="automation-coupon"] label').text()).toBe(
      'Coupon to give with it (optional)',
    )
    expect(wrapper.findAllComponents(ElOption).map((o) => o.props('label'))).toEqual([
      '#3 (ended: remove it)',
      '誕生日 500円引き',
    ])
    select.vm.$emit('update:modelValue', null)
    await flushPromises()
    await save(wrapper)
    expect(await bodyOf(calls[0] as Request)).toEqual({
      enabled: false,
      messages: [],
      params: { couponId: null },
    })
    wrapper.unmount()
  })
})

describe('the picker’s choices', () => {
  it('reads every page and keeps only active coupons', async () => {
    const pages: Record<string, { items: Coupon[]; nextCursor: string | null }> = {
      '': { items: [coupon(5, 'a'), coupon(4, 'old', 'ended')], nextCursor: 'c1' },
      c1: { items: [coupon(2, 'b')], nextCursor: null },
    }
    const asked: string[] = []
    const active = await activeCoupons(async (cursor) => {
      asked.push(cursor ?? '')
      return pages[cursor ?? ''] as { items: Coupon[]; nextCursor: string | null }
    })
    expect(asked).toEqual(['', 'c1'])
    expect(active.map((c) => c.id)).toEqual([5, 2])
  })

  it('puts a saved coupon that is not active first, marked ended', () => {
    const active = [coupon(5, 'a')]
    expect(couponChoices(active, 5)).toEqual([{ id: 5, title: 'a', ended: false }])
    expect(couponChoices(active, null)).toEqual([{ id: 5, title: 'a', ended: false }])
    expect(couponChoices(active, 8)[0]).toEqual({ id: 8, title: '#8', ended: true })
  })
})
