import { createHmac, timingSafeEqual } from 'node:crypto'
import { HEAD_OFFICE_ROLES, type StaffRole } from '@membercard/shared'
import type { Context, MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import type { Principal, StaffService } from '../services/staff.ts'
import { ApiError } from './api-error.ts'
import type { AppVariables } from './middleware.ts'

/** The console's session cookie: its name and whether it is `Secure`. */
export interface ConsoleCookie {
  name: string
  secure: boolean
}

/**
 * The console cookie for a public origin: behind HTTPS it is `Secure` and named with the
 * `__Host-` prefix (the browser then refuses it without `Secure`, with a `Domain` or another
 * `Path`); on plain HTTP (a local demo) neither.
 */
export function consoleCookie(publicUrl: string): ConsoleCookie {
  const secure = new URL(publicUrl).protocol === 'https:'
  return { name: secure ? '__Host-membercard-console' : 'membercard-console', secure }
}

/**
 * The CSRF token of a console session: an HMAC keyed by the session's own token, so it needs
 * no storage, differs per session, and cannot be made without the (HttpOnly) cookie.
 */
export function csrfTokenOf(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('membercard csrf v1').digest('base64url')
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function bearer(header: string | undefined): string | undefined {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return m?.[1]
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Who calls an admin route: a staff token (`Authorization: Bearer`, as API clients send it)
 * or the console's cookie. Answers 401 `STAFF_AUTH_REQUIRED` without a live session, 403
 * `FORBIDDEN` for a clerk or manager, and 403 `FORBIDDEN` for a cookie-authenticated write
 * without the session's `X-CSRF-Token`. Sets `principal` (and `consoleToken` for the cookie).
 */
export function adminAuth(
  staff: StaffService,
  cookie: ConsoleCookie,
): MiddlewareHandler<{ Variables: AppVariables }> {
  return createMiddleware<{ Variables: AppVariables }>(async function adminAuthMiddleware(c, next) {
    const principal = await adminPrincipal(c, staff, cookie)
    if (!principal) throw new ApiError('STAFF_AUTH_REQUIRED', 'Sign in to the console first.')
    if (!(HEAD_OFFICE_ROLES as readonly StaffRole[]).includes(principal.role)) {
      throw new ApiError('FORBIDDEN', 'This is for head-office staff (operator or admin).')
    }
    const consoleToken = c.get('consoleToken')
    if (consoleToken !== undefined && WRITES.has(c.req.method)) {
      const sent = c.req.header('X-CSRF-Token')
      if (sent === undefined || !sameToken(sent, csrfTokenOf(consoleToken))) {
        throw new ApiError('FORBIDDEN', 'Send the X-CSRF-Token header of this console session.')
      }
    }
    await next()
  })
}

/**
 * The principal of the request, from the bearer token when one is sent (then the cookie is
 * not looked at), else from the console cookie; null when neither names a live session.
 */
export async function adminPrincipal(
  c: Context<{ Variables: AppVariables }>,
  staff: StaffService,
  cookie: ConsoleCookie,
): Promise<Principal | null> {
  const header = c.req.header('Authorization')
  if (header !== undefined) {
    const token = bearer(header)
    const principal = token ? await staff.authenticate(token, 'bearer') : null
    if (principal) c.set('principal', principal)
    return principal
  }
  const token = getCookie(c, cookie.name)
  const principal = token ? await staff.authenticate(token, 'console') : null
  if (principal && token) {
    c.set('principal', principal)
    c.set('consoleToken', token)
  }
  return principal
}

/** After `adminAuth`: only an `admin` gets past (an operator gets 403 `FORBIDDEN`). */
export const requireAdmin = createMiddleware<{ Variables: AppVariables }>(
  async function requireAdminMiddleware(c, next) {
    if (c.get('principal')?.role !== 'admin') {
      throw new ApiError('FORBIDDEN', 'Only an admin can do this.')
    }
    await next()
  },
)
