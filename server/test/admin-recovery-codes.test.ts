import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createStaffService } from '../src/services/staff.ts'
import { totpCode } from '../src/services/totp.ts'
import { bearerHeaders, ROLE_PASSWORD } from './admin-support.ts'
import { createTestContext } from './support.ts'

/**
 * TOTP recovery codes (decision 093): ten single-use codes answered once at enrollment (and
 * when regenerated with a current code), stored as scrypt hashes; each signs in once in place
 * of the 6-digit code, audit-logged; the count left is shown.
 */
const ctx = await createTestContext()
const staffService = createStaffService({ db: ctx.db, clock: ctx.clock, secrets: ctx.secrets })
/** Each enrollment hashes ten codes with scrypt: slow on a busy shared machine. */
const SCRYPT_TIMEOUT = 60_000
const CODE = /^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$/

const json = { 'Content-Type': 'application/json' }
const login = (body: Record<string, unknown>) =>
  ctx.call('POST', '/api/staff/login', { headers: json, body })
const consoleLogin = (body: Record<string, unknown>) =>
  ctx.call('POST', '/api/admin/session', { headers: json, body })
/** Moves the clock to the start of the next 30-second step, past the sign-in limits' window. */
const later = () => {
  ctx.clock.advance(61 * 60_000)
  ctx.clock.set((Math.floor(ctx.clock.now() / 30_000) + 1) * 30_000)
}

let accounts = 0
/** A new admin, enrolled: its headers, TOTP secret and the recovery codes of the confirmation. */
async function enrolledAdmin() {
  const staffId = `rc-admin-${++accounts}`
  await staffService.upsert({ staffId, role: 'admin', password: ROLE_PASSWORD })
  const headers = await bearerHeaders(ctx, staffId)
  const enroll = await ctx.call('POST', '/api/admin/totp/enroll', { headers })
  const secret = enroll.json.secret as string
  const confirm = await ctx.call('POST', '/api/admin/totp/confirm', {
    headers,
    body: { code: await totpCode(secret, ctx.clock.now()) },
  })
  expect(confirm.status).toBe(200)
  return { staffId, headers, secret, codes: confirm.json.recoveryCodes as string[] }
}

const status = async (headers: Record<string, string>) =>
  (await ctx.call('GET', '/api/admin/totp/recovery-codes', { headers })).json

async function audit(action: string, staffId: string) {
  const rows = await ctx.db.execute<{ detail: string }>(
    sql`SELECT detail FROM audit_log WHERE action = ${action} AND actor = ${staffId} ORDER BY id`,
  )
  return rows.map((r) => JSON.parse(r.detail) as Record<string, unknown>)
}

describe('recovery codes at enrollment', { timeout: SCRYPT_TIMEOUT }, () => {
  it('confirming answers 10 distinct codes, stored only as scrypt hashes; 10 left', async () => {
    const a = await enrolledAdmin()
    expect(a.codes).toHaveLength(10)
    for (const c of a.codes) expect(c).toMatch(CODE)
    expect(new Set(a.codes).size).toBe(10)
    const stored = await ctx.db.execute<{ hash: string }>(
      sql`SELECT code_hash AS hash FROM staff_recovery_codes WHERE staff_id = ${a.staffId}`,
    )
    expect(stored).toHaveLength(10)
    for (const { hash } of stored) {
      expect(hash).toMatch(/^scrypt\$/)
      for (const c of a.codes) {
        expect(hash).not.toContain(c.replace('-', ''))
      }
    }
    const s = await status(a.headers)
    expect(s.remaining).toBe(10)
    expect(Date.parse(s.generatedAt)).toBe(ctx.clock.now())
    expect(JSON.stringify(await audit('totp.enroll', a.staffId))).not.toContain(a.codes[0])
  })

  it('an account without TOTP has none, and cannot make any', async () => {
    const staffId = 'rc-plain'
    await staffService.upsert({ staffId, role: 'operator', password: ROLE_PASSWORD })
    const headers = await bearerHeaders(ctx, staffId)
    expect(await status(headers)).toEqual({ remaining: 0, generatedAt: null })
    const make = await ctx.call('POST', '/api/admin/totp/recovery-codes', {
      headers,
      body: { code: '123456' },
    })
    expect(make.status).toBe(400)
    expect(make.json.error.code).toBe('VALIDATION_FAILED')
    // A recovery code sent for an account without TOTP lets nothing more in than the password.
    expect(
      (await login({ staffId, password: 'wrong-one', recoveryCode: 'AAAAA-AAAAA' })).status,
    ).toBe(401)
  })
})

describe('signing in with a recovery code', { timeout: SCRYPT_TIMEOUT }, () => {
  it('works once per code (till and console), lower case and without the hyphen too; audited with the count left', async () => {
    later()
    const a = await enrolledAdmin()
    const [first, second] = a.codes as [string, string]
    const ok = await login({ staffId: a.staffId, password: ROLE_PASSWORD, recoveryCode: first })
    expect(ok.status).toBe(200)
    const again = await login({ staffId: a.staffId, password: ROLE_PASSWORD, recoveryCode: first })
    expect(again.status).toBe(401)
    expect(again.json.error.code).toBe('TOTP_REQUIRED')
    const typed = second.replace('-', '').toLowerCase()
    const console = await consoleLogin({
      staffId: a.staffId,
      password: ROLE_PASSWORD,
      recoveryCode: ` ${typed.slice(0, 3)} ${typed.slice(3)} `,
    })
    expect(console.status).toBe(200)
    expect((await status(a.headers)).remaining).toBe(8)
    expect(await audit('totp.recoveryCodeUsed', a.staffId)).toEqual([
      { remaining: 9 },
      { remaining: 8 },
    ])
    const signIns = await audit('session.signIn', a.staffId)
    expect(signIns.filter((d) => d.secondFactor === 'recoveryCode')).toHaveLength(2)
    const failed = await audit('session.signInFailed', a.staffId)
    expect(failed.at(-1)).toEqual({
      reason: 'TOTP_REQUIRED',
      kind: 'bearer',
      secondFactor: 'recoveryCode',
    })
    const everything = await ctx.db.execute<{ detail: string }>(sql`SELECT detail FROM audit_log`)
    expect(everything.some((r) => r.detail.includes(first.replace('-', '')))).toBe(false)
  })

  it('a wrong code or a wrong password spends nothing', async () => {
    later()
    const a = await enrolledAdmin()
    const wrong = await login({
      staffId: a.staffId,
      password: ROLE_PASSWORD,
      recoveryCode: 'ZZZZZ-ZZZZZ',
    })
    expect(wrong.status).toBe(401)
    expect(wrong.json.error.code).toBe('TOTP_REQUIRED')
    const badPassword = await login({
      staffId: a.staffId,
      password: 'not-the-password',
      recoveryCode: a.codes[0],
    })
    expect(badPassword.json.error.code).toBe('INVALID_CREDENTIALS')
    expect((await status(a.headers)).remaining).toBe(10)
    // Another admin's code is not this one's.
    const b = await enrolledAdmin()
    const swapped = await login({
      staffId: a.staffId,
      password: ROLE_PASSWORD,
      recoveryCode: b.codes[0],
    })
    expect(swapped.status).toBe(401)
    expect((await status(b.headers)).remaining).toBe(10)
  })

  it('the same code sent twice at once lets in exactly one', async () => {
    later()
    const a = await enrolledAdmin()
    const both = await Promise.all(
      [1, 2].map(() =>
        login({ staffId: a.staffId, password: ROLE_PASSWORD, recoveryCode: a.codes[3] }),
      ),
    )
    expect(both.map((r) => r.status).sort()).toEqual([200, 401])
    expect((await status(a.headers)).remaining).toBe(9)
  })
})

describe('regenerating', { timeout: SCRYPT_TIMEOUT }, () => {
  it('needs a current code (taken once); the new codes replace every old one', async () => {
    later()
    const a = await enrolledAdmin()
    await login({ staffId: a.staffId, password: ROLE_PASSWORD, recoveryCode: a.codes[0] })
    expect((await status(a.headers)).remaining).toBe(9)
    const wrong = await ctx.call('POST', '/api/admin/totp/recovery-codes', {
      headers: a.headers,
      body: { code: '000000' },
    })
    expect(wrong.status).toBe(400)
    ctx.clock.set((Math.floor(ctx.clock.now() / 30_000) + 1) * 30_000)
    const code = await totpCode(a.secret, ctx.clock.now())
    const made = await ctx.call('POST', '/api/admin/totp/recovery-codes', {
      headers: a.headers,
      body: { code },
    })
    expect(made.status).toBe(200)
    const fresh = made.json.recoveryCodes as string[]
    expect(fresh).toHaveLength(10)
    expect(fresh.some((c) => a.codes.includes(c))).toBe(false)
    expect((await status(a.headers)).remaining).toBe(10)
    const replay = await ctx.call('POST', '/api/admin/totp/recovery-codes', {
      headers: a.headers,
      body: { code },
    })
    expect(replay.status).toBe(400)
    const old = await login({
      staffId: a.staffId,
      password: ROLE_PASSWORD,
      recoveryCode: a.codes[1],
    })
    expect(old.json.error.code).toBe('TOTP_REQUIRED')
    const now = await login({ staffId: a.staffId, password: ROLE_PASSWORD, recoveryCode: fresh[1] })
    expect(now.status).toBe(200)
    expect(await audit('totp.recoveryCodes', a.staffId)).toEqual([
      { stage: 'regenerated', recoveryCodes: 10 },
    ])
  })

  it('an account with recovery codes can be removed', async () => {
    later()
    const a = await enrolledAdmin()
    const other = await enrolledAdmin()
    const res = await ctx.call('DELETE', `/api/admin/staff/${a.staffId}`, {
      headers: other.headers,
    })
    expect(res.status).toBe(204)
    const left = await ctx.db.execute<{ n: number }>(
      sql`SELECT COUNT(*) AS n FROM staff_recovery_codes WHERE staff_id = ${a.staffId}`,
    )
    expect(Number(left[0]?.n)).toBe(0)
  })
})
