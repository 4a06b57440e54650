import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { defineComponent, h } from 'vue'
import { isInLineApp, normalizeQrToken } from './scanner.ts'
import { useKeyboardWedge } from './use-keyboard-wedge.ts'

const TOKEN = 'AEAAAAABGUTWBJGMUNRUYSKQRZ3WYCUB7LYQ'

describe('QR token input', () => {
  it('accepts the 36-character base32 token in any case and with spaces around it', () => {
    expect(normalizeQrToken(` ${TOKEN.toLowerCase()}\n`)).toBe(TOKEN)
    expect(normalizeQrToken(TOKEN.slice(1))).toBeNull()
    expect(normalizeQrToken(`${TOKEN.slice(1)}1`)).toBeNull() // 1 is not base32
  })

  it('accepts an offline code (decision 067): the QR form and the short code as typed', () => {
    expect(normalizeQrToken('OFF1-12-12345678')).toBe('OFF1-12-12345678')
    expect(normalizeQrToken(' 12-1234 5678 ')).toBe('OFF1-12-12345678')
    expect(normalizeQrToken('１２－１２３４　５６７８')).toBe('OFF1-12-12345678')
    expect(normalizeQrToken('12-1234567')).toBeNull()
    expect(normalizeQrToken('1212345678')).toBeNull()
    expect(normalizeQrToken('4900000000000011')).toBeNull()
  })

  it('knows the LINE in-app browser by its user agent', () => {
    expect(isInLineApp('Mozilla/5.0 (iPhone) AppleWebKit Line/14.3.0')).toBe(true)
    expect(isInLineApp('Mozilla/5.0 (X11; Linux x86_64) Chrome/131')).toBe(false)
  })
})

describe('keyboard-wedge scanner', () => {
  function mountWedge(clock: { t: number }) {
    const seen: string[] = []
    const Comp = defineComponent({
      setup() {
        useKeyboardWedge(
          (token) => seen.push(token),
          () => clock.t,
        )
        return () => h('div', [h('input', { id: 'field' })])
      },
    })
    const wrapper = mount(Comp, { attachTo: document.body })
    return { seen, wrapper }
  }
  function type(text: string, clock: { t: number }, gapMs: number, target: EventTarget = window) {
    for (const key of [...text, 'Enter']) {
      clock.t += gapMs
      target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }))
    }
  }

  it('hands over a token typed fast and ended with Enter', () => {
    const clock = { t: 0 }
    const { seen, wrapper } = mountWedge(clock)
    type(TOKEN, clock, 5)
    expect(seen).toEqual([TOKEN])
    wrapper.unmount()
  })

  it('ignores typing with long pauses, and keys typed into a text field', () => {
    const clock = { t: 0 }
    const { seen, wrapper } = mountWedge(clock)
    type(TOKEN, clock, 1500)
    type(TOKEN, clock, 5, wrapper.find('#field').element)
    expect(seen).toEqual([])
    wrapper.unmount()
    type(TOKEN, clock, 5)
    expect(seen).toEqual([]) // unmounted: no longer listening
  })
})
