import { Hono } from 'hono'
import { createCalendar } from '../services/calendar.ts'
import { createKpiService } from '../services/kpis.ts'
import { createMembersService } from '../services/members.ts'
import { adminAuditRoutes } from './admin-audit.ts'
import { adminKpiRoutes } from './admin-kpis.ts'
import { adminMemberRoutes } from './admin-members.ts'
import type { Env, RouteDeps } from './deps.ts'

/**
 * `/api/admin/*`: the head-office console's API. Every route mounted after the guard
 * (`deps.adminAuth`) needs an operator's or admin's session (bearer token, or console cookie
 * with `X-CSRF-Token` on writes); admin-only routes add `deps.requireAdmin`. Mount new admin
 * route modules below the guard.
 */
export function adminRoutes(deps: RouteDeps) {
  const { db, clock, secrets, membership, points, audit } = deps
  const kpis = createKpiService({
    db,
    clock,
    calendar: createCalendar(deps.config.points.timeZone),
  })
  const members = createMembersService({ db, clock, secrets, membership, points, audit })
  return new Hono<Env>()
    .use('*', deps.adminAuth)
    .route('/', adminAuditRoutes(deps))
    .route('/', adminKpiRoutes(kpis))
    .route('/', adminMemberRoutes(deps, members))
}
