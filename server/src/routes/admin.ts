import { Hono } from 'hono'
import { adminAccountRoutes } from './admin-accounts.ts'
import { adminAuditRoutes } from './admin-audit.ts'
import { adminSegmentRoutes } from './admin-segments.ts'
import { adminSessionRoutes } from './admin-session.ts'
import { adminTotpRoutes } from './admin-totp.ts'
import type { Env, RouteDeps } from './deps.ts'

/**
 * `/api/admin/*`: the head-office console's API. Every route mounted after the guard
 * (`deps.adminAuth`) needs an operator's or admin's session (bearer token, or console cookie
 * with `X-CSRF-Token` on writes); admin-only routes add `deps.requireAdmin`. Mount new admin
 * route modules below the guard (after `.use('*', deps.adminAuth)`).
 */
export function adminRoutes(deps: RouteDeps) {
  return (
    new Hono<Env>()
      // The console's sign-in is before the guard (its other routes check the session).
      .route('/', adminSessionRoutes(deps))
      .use('*', deps.adminAuth)
      .route('/', adminTotpRoutes(deps))
      .route('/', adminAuditRoutes(deps))
      .route('/', adminAccountRoutes(deps))
      .route('/', adminSegmentRoutes(deps))
  )
}
