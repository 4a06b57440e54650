import type { Context, MiddlewareHandler } from 'hono'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import type { Database } from '../db/seam.ts'
import type { ConsoleCookie } from '../http/admin-auth.ts'
import type { AppVariables } from '../http/middleware.ts'
import type { TillAuth } from '../http/till-auth.ts'
import type { IdTokenVerifier } from '../line/id-token.ts'
import type { Logger } from '../logger.ts'
import type { Secrets } from '../secrets.ts'
import type { ApiKeys } from '../services/api-keys.ts'
import type { AuditService } from '../services/audit.ts'
import type { CardImportJobs } from '../services/card-import-job.ts'
import type { CouponTill } from '../services/coupon-till.ts'
import type { CouponTillUses } from '../services/coupon-till-uses.ts'
import type { CouponWallet } from '../services/coupon-wallet.ts'
import type { CouponsService } from '../services/coupons.ts'
import type { DailyStats } from '../services/daily-stats.ts'
import type { Exports } from '../services/exports.ts'
import type { IdempotencyStore } from '../services/idempotency.ts'
import type { Marketing } from '../services/marketing.ts'
import type { Membership } from '../services/membership.ts'
import type { OfflineCodes } from '../services/offline-code.ts'
import type { PointsService } from '../services/points.ts'
import type { SegmentsService } from '../services/segments.ts'
import type { StaffService } from '../services/staff.ts'
import type { StaffAdmin } from '../services/staff-admin.ts'
import type { TotpEnrollmentService } from '../services/totp-enrollment.ts'
import type { Webhooks } from '../webhooks/service.ts'

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
  offlineCodes: OfflineCodes
  /** Idempotency-Key records of mutating staff calls. */
  idempotency: IdempotencyStore
  /** Verifies the LINE ID token; put it on every customer route. */
  customerAuth: MiddlewareHandler<Env>
  /** Checks the staff token; put it on every staff route but login. */
  staffAuth: MiddlewareHandler<Env>
  /**
   * `tillAuth('points')`: a staff token, or a POS API key with that scope (instead of
   * `staffAuth` on the staff routes a key may call; docs/decisions/089).
   */
  tillAuth: TillAuth
  /** POS API keys (create, list, revoke, authenticate). */
  apiKeys: ApiKeys
  /** Outbound webhooks: endpoints, deliveries, events (docs/decisions/090). */
  webhooks: Webhooks
  /** The client's address (TRUST_PROXY decides whether X-Forwarded-For is believed). */
  clientAddress: (c: Context) => string
  /**
   * Every `/api/admin/*` route is behind it (routes/admin.ts puts it there): a live session of
   * an operator or admin (bearer token or console cookie + CSRF header on writes); sets
   * `principal`. 401 without credentials, 403 `FORBIDDEN` for a clerk or manager.
   */
  adminAuth: MiddlewareHandler<Env>
  /** After `adminAuth`, on admin-only routes: an operator gets 403 `FORBIDDEN`. */
  requireAdmin: MiddlewareHandler<Env>
  /** The audit trail: `audit.record(tx, {actor, action, target, address, detail})`. */
  audit: AuditService
  /** The console's session cookie. */
  consoleCookie: ConsoleCookie
  /** Stores and staff accounts, as head office manages them. */
  staffAdmin: StaffAdmin
  /** Segment counts and the member's promotions preference (docs/segments.md). */
  segments: SegmentsService
  /** Saved segments, campaigns and automations (docs/segments.md). */
  marketing: Marketing
  /** TOTP enrollment of the signed-in account. */
  totpEnrollment: TotpEnrollmentService
  /** Card imports uploaded from the console. */
  cardImports: CardImportJobs
  /** CSV exports of members and the ledger. */
  exports: Exports
  /** Coupon definitions, issuing and usage (head office). */
  coupons: CouponsService
  /** Coupons at the till: usable after a scan, use, reversal. */
  couponTill: CouponTill
  /** The store's coupon uses of today, for a reversal at the till. */
  couponTillUses: CouponTillUses
  /** The member's own coupons. */
  couponWallet: CouponWallet
}

/** Hono environment of every route module. */
export type Env = { Variables: AppVariables }
