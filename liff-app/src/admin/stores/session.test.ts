import { describe, expect, it } from 'vitest'
import { ApiFailure } from '../../lib/api.ts'
import { bodyOf, fakeAdmin, sessionInfo } from '../../test/fake-admin.ts'
import { apiError, json } from '../../test/fake-api.ts'

const CODES = Array.from({ length: 10 }, (_, i) => `ABCD${i}-FGHJK`)
const SIGNED_IN = sessionInfo({ csrfToken: 'csrf-1' })

describe('the console session store', () => {
  it('asks the server once whether a session is open; 401 means signed out', async () => {
    const { session, calls } = fakeAdmin({
      'GET /api/admin/session': () => apiError('STAFF_AUTH_REQUIRED', 401),
    })
    expect(await session.check()).toBeNull()
    expect(session.signedIn).toBe(false)
    expect(session.checked).toBe(true)
    expect(session.expired).toBe(false)
    await session.check()
    expect(calls).toHaveLength(1)
  })

  it('shows the code field on TOTP_REQUIRED and signs in with the code next', async () => {
    const { session, calls } = fakeAdmin({
      'POST /api/admin/session': [
        () => apiError('TOTP_REQUIRED', 401),
        () => json(sessionInfo({ csrfToken: 'csrf-9' })),
      ],
    })
    const first = session.signIn('hq-admin', 'correct horse', undefined)
    await expect(first).rejects.toMatchObject({ code: 'TOTP_REQUIRED' })
    expect(session.totpRequired).toBe(true)
    expect(session.signedIn).toBe(false)
    // The first 401 is the sign-in's own answer, not a lost session.
    expect(session.expired).toBe(false)

    await session.signIn('hq-admin', 'correct horse', '123456')
    expect(await bodyOf(calls[0] as Request)).toEqual({
      staffId: 'hq-admin',
      password: 'correct horse',
    })
    expect(await bodyOf(calls[1] as Request)).toEqual({
      staffId: 'hq-admin',
      password: 'correct horse',
      totp: '123456',
    })
    expect(session.totpRequired).toBe(false)
    expect(session.info?.staffId).toBe('hq-admin')
    expect(session.csrfToken()).toBe('csrf-9')
  })

  it('sends the session’s CSRF token and the cookie (same-origin credentials) with its calls', async () => {
    const { session, calls } = fakeAdmin(
      {
        'GET /api/admin/audit': () => json({ items: [], nextCursor: null }),
        'POST /api/admin/session/revoke-all': () => new Response(null, { status: 204 }),
      },
      { signedIn: { csrfToken: 'csrf-abc' } },
    )
    const { adminApi } = await import('../services.ts')
    await adminApi().audit({})
    await session.signOutEverywhere()
    for (const call of calls) {
      expect(call.headers.get('x-csrf-token')).toBe('csrf-abc')
      expect(call.credentials).toBe('same-origin')
    }
    expect(calls.map((c) => c.method)).toEqual(['GET', 'POST'])
    expect(session.signedIn).toBe(false)
  })

  it('notices a session that ended under the user (idle expiry): signed out, marked expired', async () => {
    const { session } = fakeAdmin(
      { 'GET /api/admin/members': () => apiError('STAFF_AUTH_REQUIRED', 401) },
      { signedIn: {} },
    )
    const { adminApi } = await import('../services.ts')
    await expect(adminApi().members('0011')).rejects.toBeInstanceOf(ApiFailure)
    expect(session.signedIn).toBe(false)
    expect(session.expired).toBe(true)
  })

  it('asks an admin without TOTP to enroll, and stops asking once confirmed', async () => {
    const { session, calls } = fakeAdmin(
      {
        'POST /api/admin/totp/enroll': () =>
          json({
            secret: 'JBSWY3DPEHPK3PXP',
            otpauthUrl:
              'otpauth://totp/Membercard:hq-admin?secret=JBSWY3DPEHPK3PXP&issuer=Membercard',
          }),
        'POST /api/admin/totp/confirm': [
          () => apiError('VALIDATION_FAILED', 400),
          () => json({ recoveryCodes: CODES }),
        ],
      },
      { signedIn: { totpEnrolled: false } },
    )
    expect(session.shouldEnroll).toBe(true)
    const enrollment = await session.startEnrollment()
    expect(enrollment.otpauthUrl).toMatch(/^otpauth:\/\/totp\//)
    await expect(session.confirmEnrollment('000000')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    })
    expect(session.shouldEnroll).toBe(true)
    await session.confirmEnrollment('123456')
    expect(await bodyOf(calls[2] as Request)).toEqual({ code: '123456' })
    expect(session.shouldEnroll).toBe(false)
    expect(session.enrollment).toBeNull()
    // The recovery codes are kept to show once, then forgotten (decision 093).
    expect(session.recoveryCodes).toEqual(CODES)
    expect(session.codeStatus?.remaining).toBe(10)
    session.codesKept()
    expect(session.recoveryCodes).toBeNull()
  })

  it('signs in with a recovery code in place of the 6-digit code, and makes new codes with a current one', async () => {
    const { session, calls } = fakeAdmin({
      'POST /api/admin/session': () => json(SIGNED_IN),
      'POST /api/admin/totp/recovery-codes': () => json({ recoveryCodes: CODES }),
    })
    await session.signIn('hq-admin', 'pw', undefined, 'ABCDE-FGHJK')
    expect(await bodyOf(calls[0] as Request)).toEqual({
      staffId: 'hq-admin',
      password: 'pw',
      recoveryCode: 'ABCDE-FGHJK',
    })
    expect(session.usedRecoveryCode).toBe(true)
    await session.regenerateCodes('654321')
    expect(await bodyOf(calls[1] as Request)).toEqual({ code: '654321' })
    expect(session.recoveryCodes).toEqual(CODES)
    expect(session.usedRecoveryCode).toBe(false)
  })

  it('does not ask an operator to enroll', () => {
    const { session } = fakeAdmin({}, { signedIn: { role: 'operator', totpEnrolled: false } })
    expect(session.shouldEnroll).toBe(false)
    expect(session.isAdmin).toBe(false)
  })
})
