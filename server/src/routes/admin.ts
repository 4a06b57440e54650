import { Hono } from 'hono'
import { adminAuditRoutes } from './admin-audit.ts'
import type { Env, RouteDeps } from './deps.ts'

/**
 * `/api/admin/*`: the head-office console's API. Every route mounted after the guard
 * (`deps.adminAuth`) needs an operator's or admin's session (bearer token, or console cookie
 * with `X-CSRF-Token` on writes); admin-only routes add `deps.requireAdmin`. Mount new admin
 * route modules below the guard.
 */
export function adminRoutes(deps: RouteDeps) {
  return new Hono<Env>().use('*', deps.adminAuth).route('/', adminAuditRoutes(deps))
}
