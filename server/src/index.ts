// biome-ignore-all lint/style/noRestrictedGlobals: the process entry point

import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { createApp } from './app.ts'
import { openDatabaseOrExit } from './cli/database.ts'
import { formatCardNumberForPrint } from './cli/print.ts'
import { systemClock } from './clock.ts'
import { type Config, loadConfigOrExit } from './config.ts'
import {
  currentDemoCards,
  DEMO_ADMIN,
  DEMO_CARDS,
  DEMO_STAFF,
  DEMO_STORE,
  ensureDemoAdmin,
  seedDemo,
} from './demo.ts'
import { seedDemoCoupons } from './demo-coupons.ts'
import { createRequestListener } from './http/node-listener.ts'
import { createPublicServer } from './http/public-server.ts'
import { createLineMessaging } from './line/line-service.ts'
import { deployRichMenus } from './line/rich-menus.ts'
import { createLineStandIn, type LineStandIn } from './line/stand-in.ts'
import { createLogger } from './logger.ts'
import { metrics } from './metrics.ts'
import { loadSecrets } from './secrets.ts'
import { createAuditService } from './services/audit.ts'
import { createCardImportJobs } from './services/card-import-job.ts'
import { createCoupons } from './services/coupons.ts'
import { createDailyStats } from './services/daily-stats.ts'
import { backfillDailyStats } from './services/daily-stats-backfill.ts'
import { runExclusive } from './services/jobs.ts'
import { createMarketing } from './services/marketing.ts'
import { startMarketingJobs } from './services/marketing-jobs.ts'
import { startPointsJobs } from './services/points-jobs.ts'
import { startSecurityPurge } from './services/security-purge.ts'
import { createStaffService } from './services/staff.ts'
import { createWebhooks } from './webhooks/service.ts'

const config: Config = loadConfigOrExit()

const logger = createLogger(config.logLevel)
const db = await openDatabaseOrExit(config)
const secrets = loadSecrets(config.secretsPath, config)
// The dashboard's daily counters, filled once from the existing data (an upgraded database).
if (await backfillDailyStats(db, config.points.timeZone, Date.now())) {
  logger.info('filled the dashboard counters from the existing data')
}
let standIn: LineStandIn | undefined
let seeded = false
if (config.demo) {
  standIn = await createLineStandIn({
    issuer: config.line.issuer,
    channelId: config.line.loginChannelId,
    channelSecret: config.line.loginChannelSecret,
    // Read at each sign-in: the public origin is final only once the port is bound.
    callbackUrls: () => [`${config.publicUrl}/login/line/callback`],
  })
  const demoStaff = createStaffService({ db, clock: systemClock })
  seeded = await seedDemo(
    db,
    secrets,
    demoStaff,
    Date.now(),
    createDailyStats(config.points.timeZone),
  )
  await ensureDemoAdmin(demoStaff)
  await seedDemoCoupons(db, DEMO_CARDS[0]?.cardNumber ?? '', Date.now())
}

// The Messaging API side: its outbox worker sends what the app queues (pushes, replies,
// rich menu switches), with retries; claims a previous process left are released.
const line = createLineMessaging({ db, clock: systemClock, config, logger })
if (!line.client.enabled) {
  logger.warn('LINE_MESSAGING_ACCESS_TOKEN is not set: Messaging API calls are skipped')
}

// Outbound webhooks: events queued with the changes, delivered (signed, retried) by a worker.
const webhooks = createWebhooks({
  db,
  clock: systemClock,
  logger,
  serverSecret: secrets.pinHashKey,
  allowPrivate: config.integration.webhookAllowPrivate,
  timeoutMs: config.integration.webhookTimeoutMs,
})
if (config.integration.webhookAllowPrivate) {
  logger.warn('WEBHOOK_ALLOW_PRIVATE=true: webhooks may reach private and loopback addresses')
}

// `pnpm serve` serves what `pnpm build` made; without it the API still runs.
const staticRoot = resolve(import.meta.dirname, '../../liff-app/dist')
if (!existsSync(resolve(staticRoot, 'index.html'))) {
  logger.warn(
    'the LIFF app is not built (liff-app/dist/index.html is missing): serving the API only; run `pnpm build`, or `pnpm start` to build and serve',
  )
}

// The console's card imports: the app takes the files; interrupted ones are finished below.
const cardImports = createCardImportJobs({
  db,
  clock: systemClock,
  pinKey: secrets.pinHashKey,
  stats: createDailyStats(config.points.timeZone),
  logger,
})

const app = createApp({
  db,
  clock: systemClock,
  config,
  secrets,
  logger,
  standIn,
  line,
  webhooks,
  staticRoot,
  cardImports,
})

// Header, request and keep-alive timeouts and connection caps for a public endpoint.
const server = createPublicServer(createRequestListener(app.fetch, { hostname: config.host }), {
  trustProxy: config.trustProxy,
})
server.listen(config.port, config.host, async () => {
  const info = server.address() as AddressInfo
  // This server's own address as a client reaches it: loopback for a wildcard (0.0.0.0, ::),
  // which is not an address to connect to, nor one demo mode's Host check accepts.
  const self =
    info.address === '0.0.0.0' ? '127.0.0.1' : info.address === '::' ? '::1' : info.address
  const selfOrigin = `http://${self.includes(':') ? `[${self}]` : self}:${info.port}`
  if (config.demo) {
    // The stand-in lives on this server: point the LINE base at the port actually bound.
    const base = `${selfOrigin}/__line`
    config.line.apiBase = base
    config.line.apiDataBase = base
  }
  const url =
    config.host === '0.0.0.0' || config.host === '::'
      ? selfOrigin
      : `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${info.port}`
  // PORT=0 binds a free port: the default public origin is the one actually bound.
  if (config.port === 0 && config.publicUrl.endsWith(':0')) {
    config.publicUrl = `${config.publicUrl.slice(0, -2)}:${info.port}`
    if (config.demo) config.line.authorizeUrl = `${config.publicUrl}/__line/oauth2/v2.1/authorize`
  }
  logger.info('listening', { url, demo: config.demo })
  if (config.demoAllowNetwork) {
    logger.warn('demo mode is reachable from the network (DEMO_ALLOW_NETWORK=true)', {
      host: config.host,
    })
  }
  // Started once the LINE base is final (in demo mode it is this server's own port).
  line.worker.start()
  webhooks.worker.start()
  if (config.demo) {
    // The demo LINE has no menus until deployed: deploy the repository's menus to it.
    deployRichMenus({
      db,
      client: line.client,
      clock: systemClock,
      logger,
      liffId: config.line.liffId,
    })
      .then(() => line.worker.kick())
      .catch((err: unknown) => {
        logger.warn('demo rich menu deploy failed', { error: (err as Error).message.slice(0, 200) })
      })
  }
  if (config.demo) {
    const demoCards = await currentDemoCards(db).catch(() => [])
    const lines = [
      '',
      `  LINE digital membership card — DEMO MODE (no LINE account needed)`,
      ...(config.demoAllowNetwork
        ? [
            '',
            `  !!! DEMO_ALLOW_NETWORK=true: this demo listens on ${config.host}, beyond this machine.`,
            '  !!! Anyone who reaches it can sign in as ANY LINE user and read the recorded messages.',
            `  !!! It answers only to localhost and PUBLIC_URL's host (${new URL(config.publicUrl).hostname}).`,
            '  !!! Never use it with real members or on a public network.',
          ]
        : []),
      `  Customer app:  ${url}/`,
      `  Till (staff):  ${url}/staff`,
      '',
      `  Demo point cards${seeded ? ' (seeded just now)' : ''}:`,
      ...demoCards.map(
        (c) =>
          `    ${formatCardNumberForPrint(c.cardNumber)}  PIN ${c.pin}  ${c.name} (${c.rank}, ${c.points} pt)`,
      ),
      '',
      `  Demo staff at ${DEMO_STORE.code} ${DEMO_STORE.name}:`,
      ...DEMO_STAFF.map((s) => `    ${s.staffId} / ${s.password} (${s.role})`),
      '',
      `  Head-office console:  ${url}/admin`,
      `    ${DEMO_ADMIN.staffId} / ${DEMO_ADMIN.password} (${DEMO_ADMIN.role}; no TOTP code yet: the console offers to enroll one)`,
      '',
    ]
    console.log(lines.join('\n'))
  }
})

// Points expiry and idempotency-record cleanup, on a timer inside the server.
const stopPointsJobs = startPointsJobs({
  db,
  clock: systemClock,
  secrets,
  rules: config.points,
  logger,
  onLedgerChange: async (tx, change) => {
    metrics.ledgerWrite(change.type)
    await webhooks.onLedgerChange(tx, change)
  },
})

// Link and sign-in attempts, expired staff sessions and account-link tokens: hourly, on one
// instance at a time.
const stopSecurityPurge = startSecurityPurge({ db, clock: systemClock, logger })

// Scheduled campaigns and the daily automations (at the messaging settings' Asia/Tokyo hour), every
// minute on one instance at a time; each start and each day's run is taken once.
const stopMarketingJobs = startMarketingJobs({
  db,
  clock: systemClock,
  logger,
  marketing: createMarketing({
    db,
    clock: systemClock,
    logger,
    line,
    audit: createAuditService({ db, clock: systemClock, timeZone: config.points.timeZone }),
    expiryDays: config.points.expiryDays,
    coupons: createCoupons({
      db,
      clock: systemClock,
      timeZone: config.points.timeZone,
      expiryDays: config.points.expiryDays,
    }),
  }),
})

// Pre-expiry notices (once per expiry batch) and old outbox rows, hourly and after start, on
// one instance at a time (the lease is kept for most of the hour).
const queueExpiryNotices = async () => {
  try {
    await runExclusive(
      db,
      'expiry-notices',
      55 * 60_000,
      async () => {
        const n = await line.queuePreExpiryNotices(Date.now(), config.points.expiryDays)
        if (n > 0) logger.info('pre-expiry notices queued', { count: n })
        const purged = await line.worker.purge(Date.now())
        if (purged.outbox + purged.webhookEvents > 0)
          logger.info('messaging records purged', purged)
        const deliveries = await webhooks.worker.purge(Date.now())
        if (deliveries > 0) logger.info('webhook deliveries purged', { deliveries })
      },
      { keep: true },
    )
  } catch (err) {
    logger.error('pre-expiry notices failed', { error: (err as Error).message.slice(0, 200) })
  }
}
setTimeout(queueExpiryNotices, 10_000).unref()
setInterval(queueExpiryNotices, 60 * 60_000).unref()

// Console imports a stopped process left reading or merging (docs/decisions/086): at start and
// every minute, each once its process's lease has run out, on one instance at a time.
const recoverImports = async () => {
  try {
    const n = await cardImports.recover()
    if (n > 0) logger.info('interrupted card imports finished', { count: n })
  } catch (err) {
    logger.error('card import recovery failed', { error: (err as Error).message.slice(0, 200) })
  }
}
void recoverImports()
setInterval(recoverImports, 60_000).unref()

/**
 * Ctrl-C (SIGINT) or SIGTERM: stop taking connections, let the requests and the outbox sends
 * in progress finish, close the database, exit 0. A repeated signal (a terminal and tsx may
 * both deliver one) changes nothing; work still running after 5 s is abandoned (exit 1).
 */
let stopping = false
function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  logger.info('shutting down', { signal })
  stopPointsJobs()
  stopSecurityPurge()
  stopMarketingJobs()
  setTimeout(() => {
    logger.warn('shutdown took over 5 s: exiting with work unfinished')
    process.exit(1)
  }, 5000).unref()
  const closed = new Promise<void>((done) => server.close(() => done()))
  Promise.all([closed, line.worker.stop(), webhooks.worker.stop()])
    .then(() => db.close())
    .then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed', { error: (err as Error).message.slice(0, 200) })
        process.exit(1)
      },
    )
}
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))
