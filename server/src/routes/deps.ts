import type { Context, MiddlewareHandler } from 'hono'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import type { Database } from '../db/seam.ts'
import type { AppVariables } from '../http/middleware.ts'
import type { IdTokenVerifier } from '../line/id-token.ts'
import type { Logger } from '../logger.ts'
import type { Secrets } from '../secrets.ts'
import type { DailyStats } from '../services/daily-stats.ts'
import type { IdempotencyStore } from '../services/idempotency.ts'
import type { Membership } from '../services/membership.ts'
import type { PointsService } from '../services/points.ts'
import type { StaffService } from '../services/staff.ts'

/** What the route modules are built from. */
export interface RouteDeps {
  db: Database
  clock: Clock
  config: Config
  secrets: Secrets
  logger: Logger
  verifier: IdTokenVerifier
  membership: Membership
  staff: StaffService
  /** Till points operations (award, redeem, void, adjust, today, expiry). */
  points: PointsService
  /** The dashboard's daily counters (kept in the till's time zone). */
  stats: DailyStats
  /** Idempotency-Key records of mutating staff calls. */
  idempotency: IdempotencyStore
  /** Verifies the LINE ID token; put it on every customer route. */
  customerAuth: MiddlewareHandler<Env>
  /** Checks the staff token; put it on every staff route but login. */
  staffAuth: MiddlewareHandler<Env>
  /** The client's address (TRUST_PROXY decides whether X-Forwarded-For is believed). */
  clientAddress: (c: Context) => string
}

/** Hono environment of every route module. */
export type Env = { Variables: AppVariables }
