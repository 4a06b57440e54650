import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAppI18n } from '../../../i18n/index.ts'
import { bodyOf } from '../../../test/fake-admin.ts'
import { fakeFetch, json } from '../../../test/fake-api.ts'
import { adminEn } from '../../i18n/en.ts'
import { adminJa } from '../../i18n/ja.ts'
import { createMktApi, setMktApi } from '../api.ts'
import { mktEn } from '../i18n/en.ts'
import { mktJa } from '../i18n/ja.ts'
import SegmentAudience from './SegmentAudience.vue'

function mountAudience(routes: Parameters<typeof fakeFetch>[0]) {
  const server = fakeFetch(routes)
  setMktApi(createMktApi({ csrfToken: () => 'csrf', signedOut: () => {} }, server.fetch))
  const i18n = createAppI18n()
  i18n.global.mergeLocaleMessage('ja', { admin: { ...adminJa, mkt: mktJa } })
  i18n.global.mergeLocaleMessage('en', { admin: { ...adminEn, mkt: mktEn } })
  i18n.global.locale.value = 'ja'
  const wrapper = mount(SegmentAudience, {
    props: { segment: null },
    global: { plugins: [i18n] },
  })
  return { wrapper, calls: server.calls }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('the live count of a segment', () => {
  it('asks once, a moment after the last of several quick changes, and shows matched and reachable', async () => {
    vi.useFakeTimers()
    const { wrapper, calls } = mountAudience({
      'POST /api/admin/segments/count': () => json({ matched: 1234, reachable: 987 }),
    })
    expect(wrapper.text()).toContain('条件を完成させると人数を表示します')
    const gold = { all: [{ field: 'rank' as const, op: 'in' as const, value: ['gold'] }] }
    await wrapper.setProps({ segment: { all: [] } })
    await vi.advanceTimersByTimeAsync(100)
    await wrapper.setProps({ segment: gold })
    await vi.advanceTimersByTimeAsync(399)
    expect(calls).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    await flushPromises()
    expect(calls).toHaveLength(1)
    expect(await bodyOf(calls[0] as Request)).toEqual({ segment: gold })
    expect(wrapper.get('[data-testid="count-matched"]').text()).toBe('1,234 人')
    expect(wrapper.get('[data-testid="count-reachable"]').text()).toBe('987 人')
    // An incomplete segment again: no count shown, nothing asked.
    await wrapper.setProps({ segment: null })
    await vi.advanceTimersByTimeAsync(1000)
    expect(calls).toHaveLength(1)
    expect(wrapper.find('[data-testid="count-matched"]').exists()).toBe(false)
    expect(wrapper.emitted('counted')?.at(-1)).toEqual([null])
  })

  it('drops an answer that comes after a newer question', async () => {
    vi.useFakeTimers()
    let release: (r: Response) => void = () => {}
    const { wrapper } = mountAudience({
      'POST /api/admin/segments/count': [
        () => new Promise<Response>((r) => (release = r)),
        () => json({ matched: 5, reachable: 4 }),
      ],
    })
    await wrapper.setProps({ segment: { all: [] } })
    await vi.advanceTimersByTimeAsync(400)
    const slow = release
    await wrapper.setProps({ segment: { any: [] } })
    await vi.advanceTimersByTimeAsync(400)
    await flushPromises()
    slow(json({ matched: 999, reachable: 999 }))
    await flushPromises()
    expect(wrapper.get('[data-testid="count-matched"]').text()).toBe('5 人')
  })
})
