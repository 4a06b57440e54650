import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { totpCode } from '../src/services/totp.ts'
import {
  bearerHeaders,
  consoleSignIn,
  cookieHeaders,
  ROLE_ACCOUNTS,
  ROLE_PASSWORD,
  roleHeaders,
} from './admin-support.ts'
import { createTestContext, row } from './support.ts'

/**
 * The TOTP second factor with a fake clock: enroll, confirm, then every sign-in (the till's
 * login and the console's) needs the current code; a code is accepted once; the secret is
 * stored sealed and shown only at enrollment.
 */
const ctx = await createTestContext()
const bearer = await roleHeaders(ctx)
const admin = ROLE_ACCOUNTS.admin.staffId
const login = (body: Record<string, unknown>) =>
  ctx.call('POST', '/api/staff/login', { headers: { 'Content-Type': 'application/json' }, body })
/** Moves the clock to the start of the next 30-second step. */
const nextStep = () => ctx.clock.set((Math.floor(ctx.clock.now() / 30_000) + 1) * 30_000)

let secret = ''
/** A 6-digit code other than `code`. */
const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0')

describe('enrolling', () => {
  it('enroll answers a secret and an otpauth URL; nothing is required until it is confirmed', async () => {
    const res = await ctx.call('POST', '/api/admin/totp/enroll', { headers: bearer.admin })
    expect(res.status).toBe(200)
    expect(res.json.secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(res.json.otpauthUrl).toMatch(/^otpauth:\/\/totp\//)
    expect(res.json.otpauthUrl).toContain(`secret=${res.json.secret}`)
    secret = res.json.secret
    // Stored sealed: the database does not hold the secret itself.
    const stored = await row<{ pending: string; active: string | null }>(
      ctx.db,
      sql`SELECT totp_pending_secret AS pending, totp_secret AS active FROM staff WHERE id = ${admin}`,
    )
    expect(stored?.pending).toMatch(/^v1\./)
    expect(stored?.pending).not.toContain(secret)
    expect(stored?.active).toBeNull()
    expect((await login({ staffId: admin, password: ROLE_PASSWORD })).status).toBe(200)
  })

  it('confirm refuses a wrong code with 400 VALIDATION_FAILED and stays not required', async () => {
    const wrong = await ctx.call('POST', '/api/admin/totp/confirm', {
      headers: bearer.admin,
      body: { code: wrongCode(await totpCode(secret, ctx.clock.now())) },
    })
    expect(wrong.status).toBe(400)
    expect(wrong.json.error.code).toBe('VALIDATION_FAILED')
    const who = await login({ staffId: admin, password: ROLE_PASSWORD })
    expect(who.json.totpEnrolled).toBe(false)
  })

  it('confirm with the current code makes it required; the secret is never answered again', async () => {
    const code = await totpCode(secret, ctx.clock.now())
    const ok = await ctx.call('POST', '/api/admin/totp/confirm', {
      headers: bearer.admin,
      body: { code },
    })
    expect(ok.status).toBe(200)
    // The recovery codes come with the confirmation (decision 093; admin-recovery-codes.test.ts).
    expect(ok.json.recoveryCodes).toHaveLength(10)
    const s = await ctx.call('GET', '/api/admin/session', { headers: bearer.admin })
    expect(s.json.totpEnrolled).toBe(true)
    expect(JSON.stringify(s.json)).not.toContain(secret)
    const staff = await ctx.call('GET', '/api/admin/staff', { headers: bearer.admin })
    expect(JSON.stringify(staff.json)).not.toContain(secret)
    expect(
      staff.json.items.find((i: { staffId: string }) => i.staffId === admin).totpEnrolled,
    ).toBe(true)
    const audit = await ctx.call('GET', '/api/admin/audit?action=totp.enroll', {
      headers: bearer.admin,
    })
    expect(audit.json.items.map((i: { detail: { stage: string } }) => i.detail.stage)).toEqual([
      'confirmed',
      'started',
    ])
    expect(JSON.stringify(audit.json)).not.toContain(secret)
  })
})

describe('signing in once enrolled', () => {
  it('without a code, or with a wrong one: 401 TOTP_REQUIRED (till login and console)', async () => {
    nextStep()
    const none = await login({ staffId: admin, password: ROLE_PASSWORD })
    expect(none.status).toBe(401)
    expect(none.json.error.code).toBe('TOTP_REQUIRED')
    const current = await totpCode(secret, ctx.clock.now())
    const wrong = await login({ staffId: admin, password: ROLE_PASSWORD, totp: wrongCode(current) })
    expect(wrong.status).toBe(401)
    expect(wrong.json.error.code).toBe('TOTP_REQUIRED')
    const console = await ctx.call('POST', '/api/admin/session', {
      headers: { 'Content-Type': 'application/json' },
      body: { staffId: admin, password: ROLE_PASSWORD },
    })
    expect(console.status).toBe(401)
    expect(console.json.error.code).toBe('TOTP_REQUIRED')
    // The wrong password is still INVALID_CREDENTIALS (TOTP says nothing before the password).
    const badPassword = await login({ staffId: admin, password: 'nope-nope', totp: '000000' })
    expect(badPassword.json.error.code).toBe('INVALID_CREDENTIALS')
  })

  it('the current code lets in once; the same code again (same step) is refused', async () => {
    nextStep()
    const code = await totpCode(secret, ctx.clock.now())
    const first = await login({ staffId: admin, password: ROLE_PASSWORD, totp: code })
    expect(first.status).toBe(200)
    expect(first.json.totpEnrolled).toBe(true)
    const replay = await ctx.call('POST', '/api/admin/session', {
      headers: { 'Content-Type': 'application/json' },
      body: { staffId: admin, password: ROLE_PASSWORD, totp: code },
    })
    expect(replay.status).toBe(401)
    expect(replay.json.error.code).toBe('TOTP_REQUIRED')
  })

  it('the same code sent twice at once lets in exactly one (the row decides, on any instance)', async () => {
    // Past the sign-in limits' window (the refusals above count as failures: decision 034).
    ctx.clock.advance(61 * 60_000)
    nextStep()
    const code = await totpCode(secret, ctx.clock.now())
    const both = await Promise.all(
      [1, 2].map(() => login({ staffId: admin, password: ROLE_PASSWORD, totp: code })),
    )
    expect(both.map((r) => r.status).sort()).toEqual([200, 401])
  })

  it('accepts the previous step (clock drift), not one two steps old, and the console signs in with the code', async () => {
    // Past the sign-in limits' window (the refusals above count as failures: decision 034).
    ctx.clock.advance(61 * 60_000)
    nextStep()
    const stale = await totpCode(secret, ctx.clock.now() - 60_000)
    const tooOld = await login({ staffId: admin, password: ROLE_PASSWORD, totp: stale })
    expect(tooOld.status).toBe(401)
    expect(tooOld.json.error.code).toBe('TOTP_REQUIRED')
    const drift = await totpCode(secret, ctx.clock.now() - 30_000)
    const s = await consoleSignIn(ctx, admin, ROLE_PASSWORD, drift)
    const who = await ctx.call('GET', '/api/admin/session', { headers: cookieHeaders(s, false) })
    expect(who.json).toMatchObject({ staffId: admin, totpEnrolled: true })
  })

  it('an account without TOTP still signs in without a code', async () => {
    await expect(bearerHeaders(ctx, ROLE_ACCOUNTS.operator.staffId)).resolves.toHaveProperty(
      'Authorization',
    )
  })
})
