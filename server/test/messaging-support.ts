import { createHmac } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll } from 'vitest'
import { createApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { createLineMessaging } from '../src/line/line-service.ts'
import { deployRichMenus } from '../src/line/rich-menus.ts'
import { randomUserId } from '../src/line/stand-in.ts'
import { memoryLogger } from '../src/logger.ts'
import { loadSecrets } from '../src/secrets.ts'
import { type CallOptions, CHANNEL_ID, callApp, openTestDatabase, startStandIn } from './support.ts'

export const CHANNEL_SECRET = 'test-messaging-channel-secret'
export const LIFF_ID = '1234567890-abcdefgh'

/** Base64(HMAC-SHA256(secret, body)), as LINE signs a webhook body. */
export function sign(body: string | Buffer, secret = CHANNEL_SECRET): string {
  return createHmac('sha256', secret).update(body).digest('base64')
}

let eventSeq = 0
/** A webhook event from a user, with a fresh webhookEventId unless given. */
export function userEvent(userId: string, type: string, extra: Record<string, unknown> = {}) {
  eventSeq++
  return {
    type,
    mode: 'active',
    timestamp: Date.now(),
    webhookEventId: `01HTEST${String(eventSeq).padStart(19, '0')}`,
    deliveryContext: { isRedelivery: false },
    source: { type: 'user', userId },
    replyToken: `reply-token-${eventSeq}`,
    ...extra,
  }
}

/**
 * A fresh app on an in-memory database with the Messaging API configured against the
 * stand-in LINE on a loopback port; the outbox worker is driven by hand (`drain`).
 */
export async function createMessagingContext(
  opts: { env?: Record<string, string>; databasePath?: string } = {},
) {
  const { line: standIn, clock, base } = await startStandIn()
  const config = loadConfig({
    LINE_LOGIN_CHANNEL_ID: CHANNEL_ID,
    LINE_API_BASE: base,
    LINE_API_DATA_BASE: base,
    LIFF_ID,
    LINE_MESSAGING_CHANNEL_SECRET: CHANNEL_SECRET,
    LINE_MESSAGING_ACCESS_TOKEN: 'test-access-token',
    DATABASE_PATH: opts.databasePath ?? ':memory:',
    SECRETS_PATH: ':memory:',
    ...opts.env,
  })
  const db = await openTestDatabase(config.databasePath)
  const secrets = loadSecrets(':memory:')
  const logger = memoryLogger()
  const line = createLineMessaging({ db, clock, config, logger, random: () => 0.5 })
  const app = createApp({ db, clock, config, secrets, logger, line })
  afterAll(() => line.worker.stop())

  async function userHeaders(sub: string) {
    const token = await standIn.mintIdToken({ sub })
    return { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
  }

  const call = (method: string, path: string, o: CallOptions = {}) => callApp(app, method, path, o)

  /** Posts a signed webhook body (or one with the given signature header). */
  async function webhook(body: unknown, o: { signature?: string | null } = {}) {
    const raw = typeof body === 'string' ? body : JSON.stringify(body)
    const headers: Record<string, string> = { 'Content-Type': 'application/json' }
    const signature = o.signature === undefined ? sign(raw) : o.signature
    if (signature !== null) headers['X-Line-Signature'] = signature
    return call('POST', '/webhook/line', { headers, body: raw })
  }

  /** Runs the worker until nothing more is due now. */
  async function drain() {
    const total = { sent: 0, retried: 0, failed: 0, skipped: 0 }
    for (let i = 0; i < 20; i++) {
      const r = await line.worker.runOnce()
      total.sent += r.sent
      total.retried += r.retried
      total.failed += r.failed
      total.skipped += r.skipped
      if (r.sent + r.retried + r.failed + r.skipped === 0) break
    }
    return total
  }

  /** Accepted calls to the stand-in whose path starts with `prefix`. */
  const callsTo = (prefix: string, method?: string) =>
    standIn.calls.filter((c) => c.path.startsWith(prefix) && (!method || c.method === method))

  /** Pushes and replies accepted for `userId` / with reply tokens. */
  const pushesTo = (userId: string) =>
    callsTo('/v2/bot/message/push').filter((c) => (c.body as { to: string }).to === userId)

  const deploy = () =>
    deployRichMenus({
      db,
      client: line.client,
      clock,
      logger,
      liffId: config.line.liffId,
      sleep: async () => {},
    })

  return {
    app,
    db,
    clock,
    config,
    secrets,
    logger,
    line,
    standIn,
    userHeaders,
    call,
    webhook,
    drain,
    callsTo,
    pushesTo,
    deploy,
    newUser: randomUserId,
  }
}

export type MessagingContext = Awaited<ReturnType<typeof createMessagingContext>>

/** An outbox row as the tests read it. */
export interface OutboxTestRow {
  id: number
  kind: string
  userId: string | null
  retryKey: string
  attempts: number
  sentAt: number | null
  failedAt: number | null
  lastError: string | null
  nextAttemptAt: number
  claimedAt: number | null
}

/** The outbox rows, oldest first. */
export function outboxRows(ctx: Pick<MessagingContext, 'db'>): Promise<OutboxTestRow[]> {
  return ctx.db.execute<OutboxTestRow>(
    sql`SELECT id, kind, line_user_id AS "userId", retry_key AS "retryKey", attempts,
          sent_at AS "sentAt", failed_at AS "failedAt", last_error AS "lastError",
          next_attempt_at AS "nextAttemptAt", claimed_at AS "claimedAt"
        FROM outbox ORDER BY id`,
  )
}
