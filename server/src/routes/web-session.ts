import { Hono } from 'hono'
import { ApiError } from '../http/api-error.ts'
import { isSameOrigin, type WebCookies } from '../http/web-cookies.ts'
import type { WebSessions } from '../services/web-sessions.ts'
import type { Env, RouteDeps } from './deps.ts'

/**
 * `DELETE /api/session`: signs this browser out of its web session (LINE Login on the web):
 * the session is revoked in the database (so on every instance) and its cookies are cleared.
 * 204 whether or not there was one. Like every cookie-authenticated write, it must come from
 * this app's origin.
 */
export function webSessionRoutes(deps: RouteDeps & { sessions: WebSessions; cookies: WebCookies }) {
  const { sessions, cookies, config } = deps
  return new Hono<Env>().delete('/session', async (c) => {
    const token = cookies.session(c)
    if (token !== undefined) {
      if (!isSameOrigin(c, config.publicUrl)) {
        throw new ApiError('FORBIDDEN', 'Signing out must come from this app.')
      }
      await sessions.revoke(token)
    }
    cookies.clearSession(c)
    c.header('Cache-Control', 'no-store')
    return c.body(null, 204)
  })
}
