import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { serveStatic } from '@hono/node-server/serve-static'
import type { ClientConfig } from '@membercard/shared'
import { type Context, Hono, type Next } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import type { Clock } from './clock.ts'
import type { Config } from './config.ts'
import { isUnavailable } from './db/errors.ts'
import type { Database } from './db/seam.ts'
import { adminAuth, consoleCookie, requireAdmin } from './http/admin-auth.ts'
import { ApiError, errorBody } from './http/api-error.ts'
import { createClientAddress } from './http/client-address.ts'
import { demoHostCheck } from './http/demo-host.ts'
import { answerError } from './http/errors.ts'
import {
  type AppVariables,
  customerAuth,
  requestIdOf,
  requestObserver,
  staffAuth,
} from './http/middleware.ts'
import { markApiAnswer } from './http/node-listener.ts'
import { LOCKED_POLICY, preparePage, sendPage } from './http/page-policy.ts'
import { tillAuth } from './http/till-auth.ts'
import { webCookies } from './http/web-cookies.ts'
import { createAccountLink } from './line/account-link.ts'
import { createIdTokenVerifier, type IdTokenVerifier } from './line/id-token.ts'
import { createLineMessaging, type LineMessaging } from './line/line-service.ts'
import { createLineLoginClient } from './line/login-client.ts'
import type { LineStandIn } from './line/stand-in.ts'
import { createLogger, type Logger } from './logger.ts'
import { metrics } from './metrics.ts'
import { accountLinkRoutes } from './routes/account-link.ts'
import { adminRoutes } from './routes/admin.ts'
import { IMPORT_FILE_PATH } from './routes/admin-io.ts'
import { cardRoutes } from './routes/card.ts'
import { couponRoutes } from './routes/coupons.ts'
import type { RouteDeps } from './routes/deps.ts'
import { linkRoutes } from './routes/link.ts'
import { linkBonusRoutes } from './routes/link-bonus.ts'
import { meRoutes } from './routes/me.ts'
import { dataStats, metricsHandler } from './routes/metrics.ts'
import { openApiRoutes } from './routes/openapi.ts'
import { pointsRoutes } from './routes/points.ts'
import { preferencesRoutes } from './routes/preferences.ts'
import { staffRoutes } from './routes/staff.ts'
import { staffCardRoutes } from './routes/staff-card.ts'
import { staffCouponRoutes } from './routes/staff-coupons.ts'
import { webLoginRoutes } from './routes/web-login.ts'
import { webSessionRoutes } from './routes/web-session.ts'
import { webhookRoutes } from './routes/webhook.ts'
import type { Secrets } from './secrets.ts'
import { createApiKeys } from './services/api-keys.ts'
import { createAuditService } from './services/audit.ts'
import { type CardImportJobs, createCardImportJobs } from './services/card-import-job.ts'
import { couponNoticeSender } from './services/coupon-push.ts'
import { createCouponTill } from './services/coupon-till.ts'
import { createCouponTillUses } from './services/coupon-till-uses.ts'
import { createCouponWallet } from './services/coupon-wallet.ts'
import { createCoupons } from './services/coupons.ts'
import { createDailyStats } from './services/daily-stats.ts'
import { createExports } from './services/exports.ts'
import { createIdempotencyStore } from './services/idempotency.ts'
import { createMarketing } from './services/marketing.ts'
import { createMembership } from './services/membership.ts'
import { createOfflineCodes } from './services/offline-code.ts'
import { createPointsService, type OnLedgerChange } from './services/points.ts'
import { createSegments } from './services/segments.ts'
import { createStaffService } from './services/staff.ts'
import { createStaffAdmin } from './services/staff-admin.ts'
import { totpSealer } from './services/totp.ts'
import { createTotpEnrollment } from './services/totp-enrollment.ts'
import { createWebLogin } from './services/web-login.ts'
import { createWebSessions } from './services/web-sessions.ts'
import { createWebhooks, type Webhooks } from './webhooks/service.ts'

/** Everything the app is built from; tests hand in a memory database and a fake clock. */
export interface AppDeps {
  db: Database
  clock: Clock
  config: Config
  secrets: Secrets
  logger?: Logger
  /** Replaces the verifier built from the config. */
  verifier?: IdTokenVerifier
  /** The local LINE stand-in, mounted under `/__line` (demo mode only). */
  standIn?: LineStandIn
  /** The built LIFF app to serve (`liff-app/dist`). */
  staticRoot?: string
  /**
   * Called inside the transaction of every points change the till (or expiry) makes, with the
   * same db: write an outbox row here and it commits or rolls back with the points.
   */
  onLedgerChange?: OnLedgerChange
  /** The Messaging API side (client, outbox, worker); built from the config when absent. */
  line?: LineMessaging
  /** Outbound webhooks (endpoints, events, delivery worker); built from the config when absent. */
  webhooks?: Webhooks
  /** The console's card imports (index.ts resumes interrupted ones); built when absent. */
  cardImports?: CardImportJobs
}

/**
 * Security headers of pages and files: the defaults of Hono's `secureHeaders` (without COEP
 * and CSP), set before the handler runs rather than copied onto the finished response after
 * it, which made every request build a full `Headers` object.
 */
const DOCUMENT_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
]

/** Largest request body accepted. */
export const MAX_BODY_BYTES = 64 * 1024

const STATUS_CODES = {
  400: 'VALIDATION_FAILED',
  401: 'INVALID_ID_TOKEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'SERVICE_UNAVAILABLE',
} as const

/** Builds the HTTP app from its dependencies. */
export function createApp(deps: AppDeps) {
  const { db, clock, config, secrets } = deps
  const logger = deps.logger ?? createLogger(config.logLevel)
  const verifier =
    deps.verifier ??
    createIdTokenVerifier({
      // Read lazily: in demo mode the stand-in's base is known only once the port is bound.
      get apiBase() {
        return config.line.apiBase
      },
      issuer: config.line.issuer,
      channelId: config.line.loginChannelId,
      channelSecret: config.line.loginChannelSecret,
      now: () => clock.now(),
    })
  const staffService = createStaffService({ db, clock, secrets })
  const offlineCodes = createOfflineCodes({ db, clock, sealer: totpSealer(secrets.pinHashKey) })
  const cookie = consoleCookie(config.publicUrl)
  const line = deps.line ?? createLineMessaging({ db, clock, config, logger })
  const clientAddress = createClientAddress(config.trustProxy)
  // LINE Login on the web: sessions in the database, cookies named by PUBLIC_URL's scheme.
  const webSessions = createWebSessions({ db, clock })
  const cookies = webCookies(() => config.publicUrl)
  const channelSecret = config.line.loginChannelSecret
  const webLogin =
    channelSecret === undefined
      ? undefined
      : createWebLogin({
          db,
          clock,
          verifier,
          sessions: webSessions,
          client: createLineLoginClient({
            get authorizeUrl() {
              return config.line.authorizeUrl
            },
            get apiBase() {
              return config.line.apiBase
            },
            get redirectUri() {
              return `${config.publicUrl}/login/line/callback`
            },
            issuer: config.line.issuer,
            channelId: config.line.loginChannelId,
            channelSecret,
            botPrompt: config.line.botPrompt,
            now: () => clock.now(),
          }),
        })
  const stats = createDailyStats(config.points.timeZone)
  const webhooks =
    deps.webhooks ??
    createWebhooks({
      db,
      clock,
      logger,
      serverSecret: secrets.pinHashKey,
      allowPrivate: config.integration.webhookAllowPrivate,
      timeoutMs: config.integration.webhookTimeoutMs,
    })
  const apiKeys = createApiKeys({
    db,
    clock,
    ratePerSecond: config.integration.apiKeyRatePerSecond,
  })
  const staffGuard = staffAuth(staffService)
  const audit = createAuditService({ db, clock, timeZone: config.points.timeZone })
  // Metrics (GET /metrics): the data layer's figures are read at each scrape.
  if (config.metricsToken !== undefined) metrics.enableDefaultMetrics()
  metrics.setCollector(dataStats(db, clock))
  const points = createPointsService({
    db,
    clock,
    secrets,
    offlineCodes,
    rules: config.points,
    stats,
    onLedgerChange: async (tx, change) => {
      await line.onLedgerChange(tx, change)
      await webhooks.onLedgerChange(tx, change)
      tx.afterCommit(() => metrics.ledgerWrite(change.type))
      await deps.onLedgerChange?.(tx, change)
    },
  })
  const coupons = createCoupons({
    db,
    clock,
    timeZone: config.points.timeZone,
    expiryDays: config.points.expiryDays,
    notice: couponNoticeSender(line),
  })
  const routeDeps: RouteDeps = {
    db,
    clock,
    config,
    secrets,
    logger,
    verifier,
    membership: createMembership({
      db,
      clock,
      secrets,
      linkBonusPoints: config.linkBonusPoints,
      consentVersion: config.consentVersion,
      events: {
        linked: async (tx, e) => {
          await line.membershipEvents.linked?.(tx, e)
          await webhooks.membershipEvents.linked?.(tx, e)
          if (e.bonusPoints > 0) tx.afterCommit(() => metrics.ledgerWrite('bonus'))
        },
        unlinked: async (tx, e) => {
          await line.membershipEvents.unlinked?.(tx, e)
          await webhooks.membershipEvents.unlinked?.(tx, e)
        },
      },
      expiryDays: config.points.expiryDays,
      stats,
      rankRules: {
        rankMultipliers: config.points.rankMultipliers,
        rankThresholds: config.points.rankThresholds,
      },
    }),
    staff: staffService,
    stats,
    offlineCodes,
    points,
    idempotency: createIdempotencyStore({
      db,
      clock,
      retentionMs: config.points.idempotencyRetentionMs,
    }),
    customerAuth: customerAuth(verifier, {
      sessions: webSessions,
      cookies,
      publicUrl: () => config.publicUrl,
    }),
    staffAuth: staffGuard,
    tillAuth: tillAuth(staffGuard, apiKeys),
    apiKeys,
    webhooks,
    clientAddress,
    adminAuth: adminAuth(staffService, cookie),
    requireAdmin,
    audit,
    segments: createSegments({ db, clock, expiryDays: config.points.expiryDays }),
    marketing: createMarketing({
      db,
      clock,
      logger,
      line,
      audit,
      expiryDays: config.points.expiryDays,
      coupons,
    }),
    consoleCookie: cookie,
    staffAdmin: createStaffAdmin({ db, clock }),
    totpEnrollment: createTotpEnrollment({
      db,
      clock,
      sealer: totpSealer(secrets.pinHashKey),
      issuer: config.storeName,
    }),
    cardImports:
      deps.cardImports ??
      createCardImportJobs({ db, clock, pinKey: secrets.pinHashKey, stats, logger }),
    exports: createExports({ db, clock, timeZone: config.points.timeZone }),
    coupons,
    couponTill: createCouponTill({
      db,
      clock,
      rules: config.points,
      points,
      coupons,
      onRedeemed: (tx, e) => webhooks.onCouponRedeemed(tx, e),
    }),
    couponTillUses: createCouponTillUses({ db, clock, rules: config.points }),
    couponWallet: createCouponWallet({ db, clock }),
  }

  const clientConfig: ClientConfig = {
    mode: config.demo ? 'demo' : 'line',
    liffId: config.line.liffId ?? null,
    storeName: config.storeName,
    bonusPoints: config.linkBonusPoints,
    consentVersion: config.consentVersion,
    privacyPolicyUrl: config.privacyPolicyUrl,
    qrTtlSeconds: config.cardTokenTtlSeconds,
    oaBasicId: config.line.oaBasicId ?? null,
  }

  const customer = new Hono<{ Variables: AppVariables }>()
    .route('/', meRoutes(routeDeps))
    .route('/', preferencesRoutes(routeDeps))
    .route('/', linkRoutes(routeDeps))
    .route('/', linkBonusRoutes(routeDeps))
    .route('/', cardRoutes(routeDeps))
    .route('/', pointsRoutes(routeDeps))
    .route('/', couponRoutes(routeDeps))

  const api = new Hono<{ Variables: AppVariables }>()
    .get('/config', (c) => c.json(clientConfig, 200))
    // The OpenAPI document of every /api route and its reference page (decision 087).
    .route('/', openApiRoutes({ routes: () => app.routes, title: `${config.storeName} API` }))
    .route('/', webSessionRoutes({ ...routeDeps, sessions: webSessions, cookies }))
    .route('/staff', staffRoutes(routeDeps))
    .route('/staff', staffCouponRoutes(routeDeps))
    .route('/staff', staffCardRoutes(routeDeps))
    .route('/admin', adminRoutes(routeDeps))
    .route('/', customer)

  const app = new Hono<{ Variables: AppVariables }>()
  // X-Request-Id and the API's security headers are set by the Node layer
  // (http/node-listener.ts); pages and files get theirs here.
  // The request log line (an info line) and the request metrics (with METRICS_TOKEN) share
  // one middleware; with neither it is not installed.
  const logRequests = logger.enabled('info')
  if (logRequests || config.metricsToken !== undefined) {
    app.use(
      requestObserver({
        logger: logRequests ? logger : undefined,
        clientAddress,
        observe: config.metricsToken !== undefined ? metrics.observeRequest : undefined,
      }),
    )
  }
  // Demo mode answers only to loopback names and PUBLIC_URL's host (DNS rebinding, decision 030).
  if (config.demo) app.use(demoHostCheck(config.publicUrl))
  // The SDK calls `/v2/bot/...` at the origin of the LINE base (see line/messaging-client.ts):
  // in demo mode that is this server; served before the body limit (rich menu images).
  const standIn = deps.standIn
  if (standIn) app.all('/v2/bot/*', (c) => standIn.app.fetch(c.req.raw))
  const tooLarge = (c: Context) =>
    c.json(errorBody('PAYLOAD_TOO_LARGE', `The body is over ${MAX_BODY_BYTES} bytes.`), 413)
  const countBody = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge })
  // A body of declared length is judged by its Content-Length, as bodyLimit judges it, but
  // without touching `c.req.raw.body`: @hono/node-server then reads the body straight from the
  // socket when the route asks for it, instead of building a fetch Request and a web stream
  // (decision 102). Node's parser delivers exactly the declared length and refuses a request
  // that declares both a length and a transfer encoding. A chunked body is counted by bodyLimit.
  const limitBody = async (c: Context, next: Next): Promise<Response | undefined> => {
    const length = c.req.header('Content-Length')
    if (length === undefined || c.req.header('Transfer-Encoding') !== undefined) {
      return (await countBody(c, next)) ?? undefined
    }
    if (Number.parseInt(length, 10) > MAX_BODY_BYTES) return tooLarge(c)
    await next()
  }
  // One middleware for what every request passes (each level of Hono's middleware chain costs
  // a card request a promise and a closure): pages get the document headers; an API request
  // that sends a body must send JSON; a body over the limit is refused. GET and HEAD bodies
  // are never read: skipping them spares every card and QR request a full fetch Request
  // (bodyLimit reads `c.req.raw.body`, which makes @hono/node-server build one).
  // The API/page decision is made here, once, on the path Hono routes on (decoded, without dot
  // segments, the path of an absolute-form target): the Node layer adds the API headers to the
  // answers marked here (docs/decisions/032).
  app.use(function requestGate(c, next) {
    const method = c.req.method
    if (!c.req.path.startsWith('/api/')) {
      for (const [name, value] of DOCUMENT_HEADERS) c.header(name, value)
      // Pages replace it with their own (http/page-policy.ts).
      c.header('Content-Security-Policy', LOCKED_POLICY)
      return method === 'GET' || method === 'HEAD' ? next() : limitBody(c, next)
    }
    markApiAnswer(c.env)
    if (method === 'PUT' && IMPORT_FILE_PATH.test(c.req.path)) {
      // A card file from the console: streamed into the import with its own type and size
      // checks (routes/admin-io.ts), not held to the JSON limit.
      return next()
    }
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      const type = c.req.header('Content-Type') ?? ''
      const length = c.req.header('Content-Length')
      if (!/^application\/json\b/i.test(type) && !(length === '0' && type === '')) {
        throw new ApiError(
          'UNSUPPORTED_MEDIA_TYPE',
          'Send JSON with Content-Type: application/json.',
        )
      }
    }
    return method === 'GET' || method === 'HEAD' ? next() : limitBody(c, next)
  })
  app.get('/metrics', metricsHandler({ token: config.metricsToken, metrics }))
  app.get('/healthz', async (c) => {
    try {
      await db.ping()
    } catch (err) {
      if (!isUnavailable(err)) throw err
      c.header('Retry-After', '5')
      return c.json(errorBody('SERVICE_UNAVAILABLE', 'The database is unavailable.'), 503)
    }
    return c.json({ ok: true }, 200)
  })
  const routes = app.route('/api', api)

  if (deps.standIn) app.route('/__line', deps.standIn.app)

  app.all('/api/*', (c) => c.json(errorBody('NOT_FOUND', 'No such route.'), 404))
  const accountLink = createAccountLink({ db, clock, membership: routeDeps.membership })
  app.route('/webhook', webhookRoutes({ ...routeDeps, line, accountLink }))
  app.route('/account-link', accountLinkRoutes({ ...routeDeps, accountLink }))
  app.route('/login/line', webLoginRoutes({ ...routeDeps, webLogin, cookies }))
  app.all('/webhook/*', (c) => c.json(errorBody('NOT_FOUND', 'No such route.'), 404))
  app.all('/__line/*', (c) => c.json(errorBody('NOT_FOUND', 'No such route.'), 404))

  if (deps.staticRoot && existsSync(join(deps.staticRoot, 'index.html'))) {
    const root = deps.staticRoot
    const indexHtml = readFileSync(join(root, 'index.html'), 'utf8')
    // The build preloads both LIFF modes' chunks, each marked with its mode: a customer page
    // keeps only this server's mode (its download starts with the app's, not after the
    // settings arrive); the till's pages use no LIFF and keep neither.
    const withoutModes = (keep?: string) =>
      indexHtml.replace(/<link\b[^>]*\bdata-liff-mode="([a-z]+)"[^>]*>\s*/g, (tag, mode) =>
        mode === keep ? tag : '',
      )
    const customerPage = preparePage(withoutModes(clientConfig.mode))
    const staffPage = preparePage(withoutModes())
    const line = !config.demo
    app.use(
      '/assets/*',
      serveStatic({
        root,
        // The build writes .br and .gz beside each asset: serve them to browsers that accept them.
        precompressed: true,
        onFound: (_path, c) => {
          c.header('Cache-Control', 'public, max-age=31536000, immutable')
        },
      }),
    )
    // Path-based routes of the single-page app all get its index (never the file as built),
    // under the Content-Security-Policy of its kind with a fresh nonce (docs/decisions/031).
    const page = (c: Context) => {
      const staff = c.req.path === '/staff' || c.req.path.startsWith('/staff/')
      return staff
        ? sendPage(c, staffPage, { kind: 'till', line })
        : sendPage(c, customerPage, { kind: 'customer', line })
    }
    app.get('/', page)
    app.get('/index.html', page)
    // The head office's console is a page of its own (`admin.html`, its own bundle): every
    // path under /admin gets it; the build leaves it out only when built without it.
    const adminPath = join(root, 'admin.html')
    if (existsSync(adminPath)) {
      // Under the console's page policy (http/page-policy.ts), with a fresh style nonce.
      const adminPage = preparePage(readFileSync(adminPath, 'utf8'))
      const consolePage = (c: Context) => sendPage(c, adminPage, { kind: 'console', line })
      app.get('/admin', consolePage)
      app.get('/admin/*', consolePage)
      app.get('/admin.html', consolePage)
    }
    app.use('*', serveStatic({ root, precompressed: true }))
    app.get('*', page)
  }

  app.notFound((c) => c.json(errorBody('NOT_FOUND', 'No such route.'), 404))
  app.onError((err, c) => {
    const answer = answerError(err, c)
    if (answer) {
      if (answer.status === 503) {
        logger.error('storage fault', {
          requestId: requestIdOf(c),
          code: String((err as { code?: unknown }).code ?? (err as Error).message).slice(0, 100),
        })
      }
      return answer
    }
    if (err instanceof HTTPException && err.status < 500) {
      const code = STATUS_CODES[err.status as keyof typeof STATUS_CODES] ?? 'VALIDATION_FAILED'
      const message =
        err.status === 400 ? 'The request body is not valid JSON.' : err.message || code
      return c.json(errorBody(code, message), err.status)
    }
    logger.error('unhandled error', {
      requestId: requestIdOf(c),
      path: c.req.path,
      error: err.name,
      message: err.message.slice(0, 300),
    })
    return c.json(errorBody('INTERNAL_ERROR', 'Something went wrong on our side.'), 500)
  })

  return routes
}

/** The app's type, for the LIFF app's typed client (`hc<AppType>`). */
export type AppType = ReturnType<typeof createApp>
