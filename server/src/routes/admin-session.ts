import { type AdminSession, adminSessionRequestSchema, HEAD_OFFICE_ROLES } from '@membercard/shared'
import { type Context, Hono } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import { csrfTokenOf } from '../http/admin-auth.ts'
import { validate } from '../http/validate.ts'
import type { Env, RouteDeps } from './deps.ts'

/**
 * The console's cookie session: sign in (`POST /session`), who is signed in with a CSRF token
 * (`GET /session`), sign out (`DELETE /session`), sign out everywhere
 * (`POST /session/revoke-all`). The cookie is `HttpOnly` (no script reads it), `SameSite=Strict`
 * and `Secure` behind HTTPS; the server ends it after 30 idle minutes or 12 hours.
 */
export function adminSessionRoutes(deps: RouteDeps) {
  const { staff, clientAddress, adminAuth, consoleCookie } = deps
  const clear = (c: Context<Env>) =>
    deleteCookie(c, consoleCookie.name, {
      path: '/',
      secure: consoleCookie.secure,
      httpOnly: true,
      sameSite: 'Strict',
    })
  return new Hono<Env>()
    .post('/session', validate('json', adminSessionRequestSchema), async (c) => {
      const { staffId, password, totp, recoveryCode } = c.req.valid('json')
      const done = await staff.signIn(staffId, password, clientAddress(c), {
        totp,
        recoveryCode,
        kind: 'console',
        roles: HEAD_OFFICE_ROLES,
      })
      setCookie(c, consoleCookie.name, done.token, {
        path: '/',
        httpOnly: true,
        secure: consoleCookie.secure,
        sameSite: 'Strict',
      })
      const body: AdminSession = {
        staffId: done.staffId,
        role: done.role,
        storeCode: done.storeCode,
        totpEnrolled: done.totpEnrolled,
        csrfToken: csrfTokenOf(done.token),
      }
      return c.json(body, 200)
    })
    .get('/session', adminAuth, (c) => {
      const p = c.get('principal')
      const token = c.get('consoleToken')
      const body: AdminSession = {
        staffId: p.staffId,
        role: p.role,
        storeCode: p.storeCode,
        totpEnrolled: Number(p.totpEnrolled) === 1,
        // A bearer client needs no CSRF token.
        csrfToken: token === undefined ? '' : csrfTokenOf(token),
      }
      return c.json(body, 200)
    })
    .delete('/session', adminAuth, async (c) => {
      await staff.logout(c.get('principal').tokenHash)
      clear(c)
      return c.body(null, 204)
    })
    .post('/session/revoke-all', adminAuth, async (c) => {
      await staff.revokeAll(c.get('principal').staffId)
      clear(c)
      return c.body(null, 204)
    })
}
