import { ERROR_STATUS } from '@membercard/shared/errors'
import { describe, expect, it } from 'vitest'
import { ERROR_MESSAGES, failureMessage } from './error-messages.ts'

describe('the error-code → message map', () => {
  it('has a Japanese and an English message for every code of the shared list, and NETWORK', () => {
    const codes = [...Object.keys(ERROR_STATUS), 'NETWORK'].sort()
    expect(Object.keys(ERROR_MESSAGES).sort()).toEqual(codes)
    for (const [code, m] of Object.entries(ERROR_MESSAGES)) {
      expect(m.ja, code).toMatch(/[ぁ-んァ-ン一-龥]/)
      expect(m.en, code).toMatch(/^[A-Z]/)
      expect(m.ja, code).not.toBe(m.en)
    }
  })

  it('fills the wait of TOO_MANY_ATTEMPTS', () => {
    expect(failureMessage('TOO_MANY_ATTEMPTS', 'ja', { minutes: 15 })).toContain('15分')
    expect(failureMessage('TOO_MANY_ATTEMPTS', 'en', { minutes: 3 })).toContain('about 3 min')
  })
})
