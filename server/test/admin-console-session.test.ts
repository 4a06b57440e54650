import { describe, expect, it } from 'vitest'
import { CONSOLE_IDLE_MS } from '../src/services/staff.ts'
import {
  consoleSignIn,
  cookieHeaders,
  ROLE_ACCOUNTS,
  ROLE_PASSWORD,
  roleHeaders,
} from './admin-support.ts'
import { createTestContext } from './support.ts'

/**
 * The console's cookie session: who may open it, the cookie's attributes, the CSRF header on
 * cookie writes, idle expiry, sign-out and sign-out everywhere; the bearer token still works.
 */
const ctx = await createTestContext()
const bearer = await roleHeaders(ctx)
const staffBody = (staffId: string) => ({
  staffId,
  role: 'clerk',
  storeCode: 'S001',
  password: 'new-password-1',
})

describe('opening a console session', () => {
  it('an operator and an admin get an HttpOnly, SameSite=Strict cookie and a CSRF token', async () => {
    for (const role of ['operator', 'admin'] as const) {
      const res = await ctx.call('POST', '/api/admin/session', {
        headers: { 'Content-Type': 'application/json' },
        body: { staffId: ROLE_ACCOUNTS[role].staffId, password: ROLE_PASSWORD },
      })
      expect(res.status).toBe(200)
      expect(res.json).toEqual({
        staffId: ROLE_ACCOUNTS[role].staffId,
        role,
        storeCode: null,
        totpEnrolled: false,
        csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/),
      })
      const cookie = res.headers.get('Set-Cookie') ?? ''
      expect(cookie).toMatch(/^membercard-console=[A-Za-z0-9_-]{40,};/)
      expect(cookie).toMatch(/; HttpOnly/)
      expect(cookie).toMatch(/; SameSite=Strict/)
      expect(cookie).toMatch(/; Path=\//)
      // PUBLIC_URL is http here: not Secure (a local demo); see the https test below.
      expect(cookie).not.toMatch(/Secure/)
      // The token is not in the body: a script never sees it.
      expect(res.text).not.toContain(cookie.split(';')[0]?.split('=')[1])
    }
  })

  it('refuses a clerk and a manager with 403 FORBIDDEN and sets no cookie', async () => {
    for (const role of ['clerk', 'manager'] as const) {
      const res = await ctx.call('POST', '/api/admin/session', {
        headers: { 'Content-Type': 'application/json' },
        body: { staffId: ROLE_ACCOUNTS[role].staffId, password: ROLE_PASSWORD },
      })
      expect(res.status, role).toBe(403)
      expect(res.json.error.code).toBe('FORBIDDEN')
      expect(res.headers.get('Set-Cookie')).toBeNull()
    }
  })

  it('answers a wrong password with 401 INVALID_CREDENTIALS and no cookie', async () => {
    const res = await ctx.call('POST', '/api/admin/session', {
      headers: { 'Content-Type': 'application/json' },
      body: { staffId: ROLE_ACCOUNTS.admin.staffId, password: 'wrong-password' },
    })
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('INVALID_CREDENTIALS')
    expect(res.headers.get('Set-Cookie')).toBeNull()
  })

  it('behind an https PUBLIC_URL the cookie is Secure and __Host- prefixed', async () => {
    const https = await createTestContext({ env: { PUBLIC_URL: 'https://members.example.jp' } })
    await roleHeaders(https)
    const s = await consoleSignIn(https, ROLE_ACCOUNTS.admin.staffId)
    expect(s.setCookie).toMatch(/^__Host-membercard-console=/)
    expect(s.setCookie).toMatch(/; Secure/)
    const who = await https.call('GET', '/api/admin/session', { headers: { Cookie: s.cookie } })
    expect(who.status).toBe(200)
  })
})

describe('using the session', () => {
  it('GET /api/admin/session answers who is signed in with the CSRF token; 401 without a cookie', async () => {
    const s = await consoleSignIn(ctx, ROLE_ACCOUNTS.operator.staffId)
    const who = await ctx.call('GET', '/api/admin/session', { headers: { Cookie: s.cookie } })
    expect(who.status).toBe(200)
    expect(who.json).toMatchObject({
      staffId: ROLE_ACCOUNTS.operator.staffId,
      role: 'operator',
      csrfToken: s.csrfToken,
    })
    const none = await ctx.call('GET', '/api/admin/session')
    expect(none.status).toBe(401)
  })

  it('a cookie write without the X-CSRF-Token header, or with a wrong one, is 403 and changes nothing', async () => {
    const s = await consoleSignIn(ctx, ROLE_ACCOUNTS.admin.staffId)
    const missing = await ctx.call('POST', '/api/admin/staff', {
      headers: cookieHeaders(s, false),
      body: staffBody('csrf-victim-1'),
    })
    expect(missing.status).toBe(403)
    expect(missing.json.error.code).toBe('FORBIDDEN')
    const wrong = await ctx.call('POST', '/api/admin/staff', {
      headers: cookieHeaders(s, 'x'.repeat(43)),
      body: staffBody('csrf-victim-1'),
    })
    expect(wrong.status).toBe(403)
    // Another session's token does not fit this one.
    const other = await consoleSignIn(ctx, ROLE_ACCOUNTS.admin.staffId)
    const crossed = await ctx.call('POST', '/api/admin/staff', {
      headers: cookieHeaders(s, other.csrfToken),
      body: staffBody('csrf-victim-1'),
    })
    expect(crossed.status).toBe(403)
    const list = await ctx.call('GET', '/api/admin/staff', { headers: cookieHeaders(s, false) })
    expect(list.status).toBe(200)
    expect(list.json.items.map((i: { staffId: string }) => i.staffId)).not.toContain(
      'csrf-victim-1',
    )
    const right = await ctx.call('POST', '/api/admin/staff', {
      headers: cookieHeaders(s),
      body: staffBody('csrf-victim-1'),
    })
    expect(right.status).toBe(201)
  })

  it('the bearer token keeps working for API clients, with no CSRF header', async () => {
    const res = await ctx.call('POST', '/api/admin/staff', {
      headers: bearer.admin,
      body: staffBody('bearer-made-1'),
    })
    expect(res.status).toBe(201)
  })

  it('a bearer token is not a cookie, and a cookie token is not a bearer token', async () => {
    const s = await consoleSignIn(ctx, ROLE_ACCOUNTS.admin.staffId)
    const token = s.cookie.split('=')[1]
    const asBearer = await ctx.call('GET', '/api/admin/audit', {
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(asBearer.status).toBe(401)
    const bearerToken = bearer.admin.Authorization?.split(' ')[1]
    const asCookie = await ctx.call('GET', '/api/admin/audit', {
      headers: { Cookie: `membercard-console=${bearerToken}` },
    })
    expect(asCookie.status).toBe(401)
  })

  it('ends after 30 idle minutes; use keeps it alive', async () => {
    const s = await consoleSignIn(ctx, ROLE_ACCOUNTS.operator.staffId)
    for (let i = 0; i < 3; i++) {
      ctx.clock.advance(CONSOLE_IDLE_MS - 60_000)
      const alive = await ctx.call('GET', '/api/admin/session', { headers: { Cookie: s.cookie } })
      expect(alive.status, `use ${i}`).toBe(200)
    }
    ctx.clock.advance(CONSOLE_IDLE_MS + 1)
    const idle = await ctx.call('GET', '/api/admin/session', { headers: { Cookie: s.cookie } })
    expect(idle.status).toBe(401)
  })

  it('DELETE /api/admin/session signs out (the cookie is cleared and no longer works)', async () => {
    const s = await consoleSignIn(ctx, ROLE_ACCOUNTS.operator.staffId)
    const noCsrf = await ctx.call('DELETE', '/api/admin/session', {
      headers: cookieHeaders(s, false),
    })
    expect(noCsrf.status).toBe(403)
    const out = await ctx.call('DELETE', '/api/admin/session', { headers: cookieHeaders(s) })
    expect(out.status).toBe(204)
    expect(out.headers.get('Set-Cookie')).toMatch(/^membercard-console=;.*Max-Age=0/)
    const after = await ctx.call('GET', '/api/admin/session', { headers: { Cookie: s.cookie } })
    expect(after.status).toBe(401)
  })

  it('sign-out everywhere ends every session of the account, bearer tokens included, and only its', async () => {
    const a = await consoleSignIn(ctx, ROLE_ACCOUNTS.operator.staffId)
    const b = await consoleSignIn(ctx, ROLE_ACCOUNTS.operator.staffId)
    const res = await ctx.call('POST', '/api/admin/session/revoke-all', {
      headers: cookieHeaders(a),
    })
    expect(res.status).toBe(204)
    for (const s of [a, b]) {
      const after = await ctx.call('GET', '/api/admin/session', { headers: { Cookie: s.cookie } })
      expect(after.status).toBe(401)
    }
    const operatorBearer = await ctx.call('GET', '/api/admin/audit', { headers: bearer.operator })
    expect(operatorBearer.status).toBe(401)
    const adminBearer = await ctx.call('GET', '/api/admin/audit', { headers: bearer.admin })
    expect(adminBearer.status).toBe(200)
  })
})
