import type { ApiKeyScope } from '@membercard/shared'
import type { MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import { API_KEY_PATTERN, type ApiKeys } from '../services/api-keys.ts'
import { ApiError } from './api-error.ts'
import { type AppVariables, bearer } from './middleware.ts'

/** The till's guard of one route, naming what a POS API key needs to call it. */
export type TillAuth = (scope: ApiKeyScope) => MiddlewareHandler<{ Variables: AppVariables }>

/**
 * Staff routes a POS API key may call too (OpenAPI security schemes: the staff token, and
 * `posApiKey`): `tillAuth('scan')` on a route accepts a signed-in till's token, as `staffAuth`
 * does, or an API key (`Authorization: Bearer mck_…`) that has the `scan` scope, which then
 * acts as a clerk of the key's store (`c.get('staff')`). A key without the scope gets 403
 * `FORBIDDEN`; an unknown or revoked key 401 `STAFF_AUTH_REQUIRED`; past its rate 429. A route
 * without `tillAuth` (`staffAuth` alone) refuses every key.
 */
export function tillAuth(
  staffAuth: MiddlewareHandler<{ Variables: AppVariables }>,
  keys: ApiKeys,
): TillAuth {
  const guards = new Map<ApiKeyScope, MiddlewareHandler<{ Variables: AppVariables }>>()
  return (scope) => {
    let guard = guards.get(scope)
    if (!guard) {
      guard = createMiddleware<{ Variables: AppVariables }>(
        async function tillAuthMiddleware(c, next) {
          const token = bearer(c.req.header('Authorization'))
          if (token === undefined || !API_KEY_PATTERN.test(token)) return staffAuth(c, next)
          const principal = await keys.authenticate(token, scope)
          if (!principal) {
            throw new ApiError(
              'STAFF_AUTH_REQUIRED',
              'This API key is not valid, or it has been revoked.',
            )
          }
          c.set('staff', principal)
          await next()
        },
      )
      guards.set(scope, guard)
    }
    return guard
  }
}
