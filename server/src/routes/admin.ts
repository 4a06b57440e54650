import { Hono } from 'hono'
import { createCalendar } from '../services/calendar.ts'
import { createCardLocks } from '../services/card-locks.ts'
import { createKpiService } from '../services/kpis.ts'
import { createMembersService } from '../services/members.ts'
import { adminAccountRoutes } from './admin-accounts.ts'
import { adminApiKeyRoutes } from './admin-api-keys.ts'
import { adminAuditRoutes } from './admin-audit.ts'
import { adminAutomationRoutes } from './admin-automations.ts'
import { adminCampaignRoutes } from './admin-campaigns.ts'
import { adminCouponRoutes } from './admin-coupons.ts'
import { adminIoRoutes } from './admin-io.ts'
import { adminKpiRoutes } from './admin-kpis.ts'
import { adminMemberRoutes } from './admin-members.ts'
import { adminSegmentRoutes } from './admin-segments.ts'
import { adminSessionRoutes } from './admin-session.ts'
import { adminTotpRoutes } from './admin-totp.ts'
import { adminWebhookRoutes } from './admin-webhooks.ts'
import type { Env, RouteDeps } from './deps.ts'

/**
 * `/api/admin/*`: the head-office console's API. Every route mounted after the guard
 * (`deps.adminAuth`) needs an operator's or admin's session (bearer token, or console cookie
 * with `X-CSRF-Token` on writes); admin-only routes add `deps.requireAdmin`. Mount new admin
 * route modules below the guard (after `.use('*', deps.adminAuth)`).
 */
export function adminRoutes(deps: RouteDeps) {
  const { db, clock, secrets, membership, points, audit } = deps
  const kpis = createKpiService({
    db,
    clock,
    calendar: createCalendar(deps.config.points.timeZone),
  })
  const members = createMembersService({
    db,
    clock,
    membership,
    points,
    audit,
    locks: createCardLocks({ db, clock, secrets }),
  })
  return (
    new Hono<Env>()
      // The console's sign-in is before the guard (its other routes check the session).
      .route('/', adminSessionRoutes(deps))
      .use('*', deps.adminAuth)
      .route('/', adminTotpRoutes(deps))
      .route('/', adminAuditRoutes(deps))
      .route('/', adminAccountRoutes(deps))
      .route('/', adminKpiRoutes(kpis))
      .route('/', adminMemberRoutes(deps, members))
      .route('/', adminIoRoutes(deps))
      .route('/', adminSegmentRoutes(deps))
      .route('/', adminApiKeyRoutes(deps))
      .route('/', adminWebhookRoutes(deps))
      .route('/', adminCampaignRoutes(deps))
      .route('/', adminAutomationRoutes(deps))
      .route('/', adminCouponRoutes(deps))
  )
}
