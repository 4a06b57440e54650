import { ERROR_STATUS } from '@membercard/shared/errors'
import { describe, expect, it } from 'vitest'
import { TillApiError } from './api.ts'
import { tillErrorMessage, tillFailure } from './errors.ts'
import { staffMessages } from './messages.ts'

/** A translator over the till's messages, as the app's i18n merges them (under `staff`). */
function translator(lang: 'ja' | 'en') {
  return (key: string, named: Record<string, unknown> = {}) => {
    let node: unknown = { staff: staffMessages[lang] }
    for (const part of key.split('.')) node = (node as Record<string, unknown>)[part]
    if (typeof node !== 'string') throw new Error(`no message ${key}`)
    return node.replace(/\{(\w+)\}/g, (_, k: string) => String(named[k]))
  }
}

describe('the till’s one mapping from error codes to messages', () => {
  it('has a message in Japanese and English for every code of the shared list', () => {
    for (const lang of ['ja', 'en'] as const) {
      const t = translator(lang)
      for (const code of Object.keys(ERROR_STATUS)) {
        const status = ERROR_STATUS[code as keyof typeof ERROR_STATUS]
        expect(tillErrorMessage(t, new TillApiError(code as never, status))).not.toBe('')
      }
    }
  })

  it('says what to do for the codes a clerk meets', () => {
    const t = translator('ja')
    expect(tillErrorMessage(t, new TillApiError('QR_EXPIRED', 410))).toContain(
      'もう一度会員証を表示',
    )
    expect(tillErrorMessage(t, new TillApiError('FORBIDDEN', 403))).toContain('店長')
    expect(tillErrorMessage(t, new TillApiError('TOO_MANY_ATTEMPTS', 429, 120))).toContain(
      '2\u00a0分',
    )
    // The QR single-use rule's code (409), once the server sends it.
    expect(tillErrorMessage(t, new TillApiError('QR_ALREADY_USED', 409))).toBe(
      'このQRコードは使用済みか、別の店舗で読み取られています。お客様に会員証の新しいQRコードを表示してもらい、読み取り直してください。',
    )
    expect(tillErrorMessage(translator('en'), new TillApiError('QR_ALREADY_USED', 409))).toContain(
      'Ask the customer to show a fresh code',
    )
    // Anything else: try again, then tell a manager.
    expect(tillErrorMessage(t, new Error('boom'))).toBe(staffMessages.ja.errors.default)
    expect(tillFailure({ code: 'NOT_A_CODE' })).toEqual({ code: 'INTERNAL_ERROR' })
  })
})
