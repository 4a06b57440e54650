import { describe, expect, it } from 'vitest'
import { TillApiError } from './api.ts'
import { tillErrorMessage } from './errors.ts'
import { staffMessages } from './messages.ts'

/** `t` over the till's messages in one language (keys under `staff.`). */
function translator(locale: 'ja' | 'en') {
  return (key: string) => {
    let node: unknown = staffMessages[locale]
    for (const part of key.replace(/^staff\./, '').split('.')) {
      node = (node as Record<string, unknown>)[part]
    }
    if (typeof node !== 'string') throw new Error(`no message ${key}`)
    return node
  }
}

describe("the till's error messages", () => {
  it('on QR_ALREADY_USED asks for a fresh code, Japanese first and in English', () => {
    const err = new TillApiError('QR_ALREADY_USED', 409)
    expect(tillErrorMessage(translator('ja'), err)).toBe(
      'このQRコードは使用済みか、別の店舗で読み取られています。お客様に会員証の新しいQRコードを表示してもらい、読み取り直してください。',
    )
    expect(tillErrorMessage(translator('en'), err)).toContain(
      'Ask the customer to show a fresh code',
    )
  })
})
