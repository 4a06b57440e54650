import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'

/**
 * The cookies of LINE Login on the web (docs/decisions/058). Behind an https `PUBLIC_URL` they
 * are `Secure` and named with the `__Host-` prefix (so no other host or path can set them);
 * over plain http (demo mode, tests on a loopback port) they cannot be, and are not.
 */
export interface WebCookies {
  /** The session's token, from the request (undefined when absent). */
  session(c: Context): string | undefined
  setSession(c: Context, token: string, maxAgeSeconds: number): void
  clearSession(c: Context): void
  /** The sign-in binding value, from the request. */
  binding(c: Context): string | undefined
  setBinding(c: Context, value: string, maxAgeSeconds: number): void
  clearBinding(c: Context): void
}

/** Readable by the app (not a secret): "this browser has a web session", to skip LIFF. */
export const SIGNED_IN_HINT = 'mc_signed_in'

/** `publicUrl` is read at each call (a server on port 0 learns its origin once listening). */
export function webCookies(publicUrl: () => string): WebCookies {
  const secure = () => publicUrl().startsWith('https:')
  const name = (base: string) => (secure() ? `__Host-${base}` : base)
  const base = (httpOnly: boolean, maxAge: number) =>
    ({ path: '/', secure: secure(), httpOnly, sameSite: 'Lax', maxAge }) as const
  return {
    session: (c) => getCookie(c, name('mc_session')),
    setSession(c, token, maxAge) {
      setCookie(c, name('mc_session'), token, base(true, maxAge))
      setCookie(c, SIGNED_IN_HINT, '1', base(false, maxAge))
    },
    clearSession(c) {
      deleteCookie(c, name('mc_session'), base(true, 0))
      deleteCookie(c, SIGNED_IN_HINT, base(false, 0))
    },
    binding: (c) => getCookie(c, name('mc_login')),
    setBinding: (c, value, maxAge) => setCookie(c, name('mc_login'), value, base(true, maxAge)),
    clearBinding: (c) => deleteCookie(c, name('mc_login'), base(true, 0)),
  }
}

/**
 * The CSRF defence of cookie-authenticated writes (besides `SameSite=Lax`): the request's
 * `Origin` must be this app's public origin. Browsers send `Origin` with every POST, PUT,
 * PATCH and DELETE; without one, `Sec-Fetch-Site: same-origin` is accepted instead.
 */
export function isSameOrigin(c: Context, publicUrl: string): boolean {
  const origin = c.req.header('Origin')
  if (origin !== undefined) return origin === publicUrl
  return c.req.header('Sec-Fetch-Site') === 'same-origin'
}
