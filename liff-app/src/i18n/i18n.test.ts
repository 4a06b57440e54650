import { describe, expect, it } from 'vitest'
import { en } from './en.ts'
import { initialLocale } from './index.ts'
import { ja } from './ja.ts'

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  )
}

describe('languages', () => {
  it('follows the device: Japanese by default, English on an English phone', () => {
    expect(initialLocale(null, ['ja-JP'])).toBe('ja')
    expect(initialLocale(null, ['en-US', 'ja'])).toBe('en')
    expect(initialLocale(null, ['ko-KR'])).toBe('ja')
    expect(initialLocale(null, [])).toBe('ja')
  })

  it('keeps the language the user chose', () => {
    expect(initialLocale('en', ['ja-JP'])).toBe('en')
    expect(initialLocale('fr', ['ja-JP'])).toBe('ja')
  })

  it('has every message in both languages', () => {
    expect(keys(en).sort()).toEqual(keys(ja).sort())
  })
})
