import { randomUUID } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import { routePath } from 'hono/route'
import type { IdTokenVerifier } from '../line/id-token.ts'
import { IdTokenError } from '../line/id-token.ts'
import type { Logger } from '../logger.ts'
import type { Principal, StaffPrincipal, StaffService } from '../services/staff.ts'
import type { WebSessions } from '../services/web-sessions.ts'
import { ApiError } from './api-error.ts'
import { nodeRequestId } from './node-listener.ts'
import { isSameOrigin, type WebCookies } from './web-cookies.ts'

/** Variables the middlewares set. */
export interface AppVariables {
  requestId: string
  lineUserId: string
  lineName: string | undefined
  /** The till's staff member (a session of an account with a store): `staffAuth` sets it. */
  staff: StaffPrincipal
  /** The head-office principal of an admin route: `adminAuth` sets it. */
  principal: Principal
  /** The console session's token when the request came with the console cookie. */
  consoleToken: string | undefined
}

/**
 * The request's ID: the one the Node layer put on the answer (`X-Request-Id`, see
 * node-listener.ts), or, for an app called without it (tests' `app.request`), one made here.
 */
export function requestIdOf(c: Context<{ Variables: AppVariables }>): string {
  const fromNode = nodeRequestId(c.env)
  if (fromNode) return fromNode
  let id = c.get('requestId')
  if (!id) {
    id = randomUUID()
    c.set('requestId', id)
  }
  return id
}

/** Records one finished request: method, route pattern, status, seconds. */
export type RequestObserve = (
  method: string,
  route: string,
  status: number,
  seconds: number,
) => void

/**
 * After each request: the structured request log line (method, path, status, time, request ID,
 * client address; never the query or headers) when `logger` is given, and one observation for
 * the metrics when `observe` is given, labelled with the route pattern that answered (Hono's
 * `routePath`: `/api/staff/transactions/:id{...}/void`, never the path with its IDs).
 */
export function requestObserver(opts: {
  logger?: Logger | undefined
  clientAddress: (c: Context) => string
  observe?: RequestObserve | undefined
}): MiddlewareHandler<{ Variables: AppVariables }> {
  const { logger, clientAddress, observe } = opts
  return async function requestObserverMiddleware(c, next) {
    const start = performance.now()
    await next()
    const ms = performance.now() - start
    if (observe) observe(c.req.method, routePath(c), c.res.status, ms / 1000)
    if (logger) {
      logger.info('request', {
        requestId: requestIdOf(c),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(ms * 10) / 10,
        ip: clientAddress(c),
      })
    }
  }
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearer(header: string | undefined): string | undefined {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return m?.[1]
}

/** What the customer routes need to accept a web session (LINE Login on the web). */
export interface WebSessionAuth {
  sessions: WebSessions
  cookies: WebCookies
  /** The public origin a cookie-authenticated write must come from. */
  publicUrl: () => string
}

/** Methods that change something: with a cookie, they must come from our own origin. */
const WRITES: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Customer routes: only a request with a verified LINE ID token (`Authorization: Bearer`) or,
 * without one, a live web session cookie gets past; the LINE user is the token's or the
 * session's `sub`, never anything from the body. A cookie-authenticated write must come from
 * this app's origin (CSRF; docs/decisions/058).
 */
export function customerAuth(verifier: IdTokenVerifier, web?: WebSessionAuth) {
  return createMiddleware<{ Variables: AppVariables }>(
    async function customerAuthMiddleware(c, next) {
      const header = c.req.header('Authorization')
      const token = bearer(header)
      if (!token && header === undefined && web) {
        const cookie = web.cookies.session(c)
        if (cookie !== undefined) {
          if (WRITES.has(c.req.method) && !isSameOrigin(c, web.publicUrl())) {
            throw new ApiError('FORBIDDEN', 'A signed-in write must come from this app.')
          }
          const principal = await web.sessions.authenticate(cookie)
          if (!principal) {
            // The app reads the hint cookie at start: gone, it offers to sign in at once.
            web.cookies.clearSession(c)
            throw new ApiError('INVALID_ID_TOKEN', 'The web session has ended: sign in again.')
          }
          c.set('lineUserId', principal.lineUserId)
          c.set('lineName', principal.name)
          return next()
        }
      }
      if (!token) throw new ApiError('INVALID_ID_TOKEN', 'A LINE ID token is required.')
      try {
        const verified = await verifier.verify(token)
        c.set('lineUserId', verified.sub)
        c.set('lineName', verified.name)
      } catch (err) {
        if (err instanceof IdTokenError) {
          if (err.reason === 'expired')
            throw new ApiError('ID_TOKEN_EXPIRED', 'The LINE ID token has expired.')
          if (err.reason === 'unavailable') {
            throw new ApiError(
              'SERVICE_UNAVAILABLE',
              'LINE sign-in cannot be checked right now. Try again shortly.',
              {
                'Retry-After': '5',
              },
            )
          }
          throw new ApiError('INVALID_ID_TOKEN', 'The LINE ID token is not valid.')
        }
        throw err
      }
      await next()
    },
  )
}

/** Staff routes: an opaque staff token; a LINE ID token never passes. */
export function staffAuth(service: StaffService) {
  return createMiddleware<{ Variables: AppVariables }>(async function staffAuthMiddleware(c, next) {
    const token = bearer(c.req.header('Authorization'))
    const principal = token ? await service.authenticate(token) : null
    if (!principal) throw new ApiError('STAFF_AUTH_REQUIRED', 'Staff sign-in is required.')
    if (principal.storeCode === null || principal.storeName === null) {
      throw new ApiError('FORBIDDEN', 'This account has no store: the till needs a store account.')
    }
    c.set('staff', { ...principal, storeCode: principal.storeCode, storeName: principal.storeName })
    await next()
  })
}
