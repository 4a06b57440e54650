import { base32nopad } from '@scure/base'
import { describe, expect, it } from 'vitest'
import { offlineCode } from './offline-code.ts'

// RFC 6238 appendix B (SHA-1 seed "12345678901234567890", 8 digits, 30-second steps).
const secret = base32nopad.encode(new TextEncoder().encode('12345678901234567890'))
const key = { linkId: 42, secret, digits: 8, period: 30, qrPrefix: 'OFF1-' }

describe('offline card codes on the phone (decision 067)', () => {
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
  ])('matches the RFC 6238 test vector at T=%i', (t, digits) => {
    const code = offlineCode(key, t * 1000)
    expect(code.short).toBe(`42-${digits}`)
    expect(code.qr).toBe(`OFF1-42-${digits}`)
    expect(code.nextAt).toBe((Math.floor(t / 30) + 1) * 30_000)
  })
})
