import { createHash, randomUUID } from 'node:crypto'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/client.ts'
import type { Logger } from '../logger.ts'
import { type CallFailure, classifyError } from './messaging-client.ts'

/** The kinds of outbox rows and what each carries. */
export interface OutboxPayloads {
  /** A push (`POST /v2/bot/message/push`, with `X-Line-Retry-Key`). */
  push: { to: string; messages: unknown[] }
  /** A reply to a webhook event; reply tokens are short-lived and single use. */
  reply: { replyToken: string; messages: unknown[] }
  /** Re-apply the rich menu that fits the user's current link state. */
  richmenu_sync: { userId: string }
  /** Read the user's LINE profile for their language (messages in it where known). */
  profile: { userId: string }
  /** Issue a link token for the account-link flow and reply with the sign-in button. */
  account_link_start: { userId: string; replyToken: string; signInBase: string }
}

export type OutboxKind = keyof OutboxPayloads

/** One row as the worker sees it. */
export interface OutboxRow {
  id: number
  kind: OutboxKind
  lineUserId: string | null
  payload: string
  retryKey: string
  attempts: number
}

/** What an executor says about a row. */
export type ExecuteResult = { done: true } | { skipped: string }

/** Sends one row; throws what the SDK throws. */
export type Executor<K extends OutboxKind> = (
  payload: OutboxPayloads[K],
  row: OutboxRow,
) => Promise<ExecuteResult>

/** How often each kind is tried before it is given up (and logged as failed). */
export const MAX_ATTEMPTS: Record<OutboxKind, number> = {
  // Backoff doubles from 2 s up to 30 min: 20 attempts span about 7 hours of LINE outage.
  push: 20,
  richmenu_sync: 20,
  profile: 5,
  // A reply token is valid for a short time only: a reply that cannot go out soon is moot.
  reply: 3,
  account_link_start: 3,
}

/** A claimed row not finished within this long is taken to be abandoned (a crashed worker). */
export const CLAIM_LEASE_MS = 60_000

/** Delay before attempt `attempts + 1` (attempts ≥ 1), with ±20 % jitter. */
export function backoffMs(attempts: number, random = Math.random): number {
  const base = Math.min(2_000 * 2 ** (attempts - 1), 30 * 60_000)
  return Math.round(base * (0.8 + 0.4 * random()))
}

/** The call took too long; it is retried (with the same retry key). */
export class CallTimeoutError extends Error {
  override name = 'CallTimeoutError'
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallTimeoutError(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

/**
 * A retry key (a UUID, as LINE wants) derived from a stable key, so enqueueing the same
 * notice twice (the same ledger entry, the same expiry batch) yields one row and one push.
 */
export function retryKeyFor(dedupeKey: string): string {
  const h = createHash('sha256').update(dedupeKey).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((Number.parseInt(h[16] ?? '0', 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/** The month a message counts against (LINE's quotas are per calendar month, JST). */
export function quotaMonth(at: number): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: '2-digit',
  }).format(new Date(at))
}

/**
 * Writes outbox rows. Call `enqueue` inside the transaction of the change that causes the
 * message: the row commits or rolls back with it. A row with a `dedupeKey` already queued
 * is not queued again.
 */
export function createOutbox(db: Db, clock: Clock) {
  const insert = db.$client.prepare(
    `INSERT INTO outbox (kind, line_user_id, payload, retry_key, next_attempt_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (retry_key) DO NOTHING`,
  )
  return {
    /** Queues a row; returns false when a row with the same dedupe key exists already. */
    enqueue<K extends OutboxKind>(
      kind: K,
      payload: OutboxPayloads[K],
      o: { userId: string | null; dedupeKey?: string; at?: number },
    ): boolean {
      const now = o.at ?? clock.now()
      const retryKey = o.dedupeKey ? retryKeyFor(o.dedupeKey) : randomUUID()
      const info = insert.run(kind, o.userId, JSON.stringify(payload), retryKey, now, now)
      return info.changes === 1
    },
  }
}

export type Outbox = ReturnType<typeof createOutbox>

export interface OutboxWorkerDeps {
  db: Db
  clock: Clock
  logger: Logger
  /** False when no access token is configured: rows are marked skipped, and logged. */
  enabled: () => boolean
  executors: { [K in OutboxKind]: Executor<K> }
  /** Rows taken per run. */
  batchSize?: number
  /** Most calls per second (the platform allows 2,000/s for push and rich menu links). */
  maxPerSecond?: number
  /** Calls in flight at once (rows of different users). */
  concurrency?: number
  /** How long a kick waits for more rows before the run (ms). */
  gatherMs?: number
  /** Idle polling interval of `start()`. */
  pollMs?: number
  /**
   * How long one call may take before it counts as a (retryable) failure. A push that
   * reached LINE anyway is safe: the retry carries the same retry key.
   */
  callTimeoutMs?: number
  random?: () => number
}

/** What one run did. */
export interface RunResult {
  sent: number
  retried: number
  failed: number
  skipped: number
}

/**
 * Sends outbox rows with retries and backoff, several at a time. A row is claimed before it is sent (so two
 * workers never send it at once) and marked sent after; should the process die between
 * the two, the claim lapses, the row is sent again with the same `X-Line-Retry-Key`, and
 * LINE answers 409 (already accepted), which counts as sent: no message lost, none twice.
 */
export function createOutboxWorker(deps: OutboxWorkerDeps) {
  const { db, clock, logger } = deps
  const sqlite = db.$client
  const batchSize = deps.batchSize ?? 50
  const maxPerSecond = deps.maxPerSecond ?? 200
  const pollMs = deps.pollMs ?? 1_000
  const gatherMs = deps.gatherMs ?? 20
  const callTimeoutMs = deps.callTimeoutMs ?? 30_000
  const concurrency = Math.max(1, Math.min(deps.concurrency ?? 10, maxPerSecond))
  const random = deps.random ?? Math.random

  // Pushes to one user go out in the order they were queued: a push waits while an earlier
  // one to the same user is pending (in SQL, so waiting rows never crowd out the batch).
  const due = sqlite.prepare<[number, number, number], OutboxRow>(
    `SELECT id, kind, line_user_id AS lineUserId, payload, retry_key AS retryKey, attempts
       FROM outbox o
      WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
        AND (claimed_at IS NULL OR claimed_at < ?)
        AND NOT (kind = 'push' AND line_user_id IS NOT NULL AND EXISTS (
              SELECT 1 FROM outbox e
               WHERE e.line_user_id = o.line_user_id AND e.kind = 'push' AND e.id < o.id
                 AND e.sent_at IS NULL AND e.failed_at IS NULL))
      ORDER BY id LIMIT ?`,
  )
  const claim = sqlite.prepare<[number, number, number]>(
    `UPDATE outbox SET claimed_at = ?, attempts = attempts + 1
      WHERE id = ? AND sent_at IS NULL AND failed_at IS NULL
        AND (claimed_at IS NULL OR claimed_at < ?)`,
  )
  const markSent = sqlite.prepare<[number, string | null, number]>(
    `UPDATE outbox SET sent_at = ?, claimed_at = NULL, last_error = ? WHERE id = ?`,
  )
  const markFailed = sqlite.prepare<[number, string, number]>(
    `UPDATE outbox SET failed_at = ?, claimed_at = NULL, last_error = ? WHERE id = ?`,
  )
  const reschedule = sqlite.prepare<[number, string, number]>(
    `UPDATE outbox SET next_attempt_at = ?, claimed_at = NULL, last_error = ? WHERE id = ?`,
  )
  const countMessage = sqlite.prepare<[string], { count: number }>(
    `INSERT INTO message_counts (month, count) VALUES (?, 1)
       ON CONFLICT (month) DO UPDATE SET count = count + 1 RETURNING count`,
  )
  const blocked = sqlite.prepare<[string], { blockedAt: number | null }>(
    `SELECT blocked_at AS blockedAt FROM line_friends WHERE line_user_id = ?`,
  )

  let timer: NodeJS.Timeout | undefined
  let timerDue = 0
  let running: Promise<RunResult> | undefined
  let started = false
  let again = false

  /** What happened to one claimed row; recorded with the others of its chunk in one commit. */
  type Outcome =
    | { kind: 'sent'; at: number; note: string | null }
    | { kind: 'failed' | 'skipped'; at: number; error: string }
    | { kind: 'retry'; at: number; next: number; error: string }

  /** Sends one claimed row (no database writes: the caller records the outcome). */
  async function send(row: OutboxRow): Promise<Outcome> {
    const attempts = row.attempts + 1
    const log = { outboxId: row.id, kind: row.kind, attempts }
    try {
      const executor = deps.executors[row.kind] as Executor<OutboxKind>
      const outcome = await withTimeout(executor(JSON.parse(row.payload), row), callTimeoutMs)
      const at = clock.now()
      if ('skipped' in outcome) {
        logger.info('messaging call skipped', { ...log, reason: outcome.skipped })
        return { kind: 'skipped', at, error: `skipped: ${outcome.skipped}` }
      }
      return { kind: 'sent', at, note: null }
    } catch (err) {
      const failure: CallFailure = classifyError(err)
      const at = clock.now()
      if (row.kind === 'push' && failure.status === 409) {
        // LINE accepted this retry key before: the earlier attempt went out.
        logger.info('push already accepted by LINE (retry key)', log)
        return { kind: 'sent', at, note: 'accepted before (409 for the retry key)' }
      }
      if (failure.retryable && attempts < MAX_ATTEMPTS[row.kind]) {
        const next = at + backoffMs(attempts, random)
        logger.warn('messaging call failed, will retry', {
          ...log,
          status: failure.status,
          error: failure.message,
          retryInMs: next - at,
        })
        return { kind: 'retry', at, next, error: failure.message }
      }
      logger.error('messaging call failed for good', {
        ...log,
        status: failure.status,
        error: failure.message,
      })
      return { kind: 'failed', at, error: failure.message }
    }
  }

  /**
   * Claims `rows` in one commit, sends them at the same time, records every outcome in one
   * more commit: two commits per chunk however many rows it holds (with synchronous=FULL each
   * commit is an fsync, which would otherwise cost as much as the change that queued the row).
   */
  async function processChunk(rows: OutboxRow[], result: RunResult): Promise<void> {
    const now = clock.now()
    const claimed = sqlite
      .transaction(() => {
        const out: OutboxRow[] = []
        for (const row of rows) {
          if (claim.run(now, row.id, now - CLAIM_LEASE_MS).changes !== 1) continue
          const log = { outboxId: row.id, kind: row.kind, attempts: row.attempts + 1 }
          if (!deps.enabled()) {
            markFailed.run(now, 'skipped: no LINE_MESSAGING_ACCESS_TOKEN', row.id)
            logger.info('messaging call skipped: no channel access token', log)
            result.skipped++
          } else if (
            row.kind === 'push' &&
            row.lineUserId &&
            blocked.get(row.lineUserId)?.blockedAt
          ) {
            markFailed.run(now, 'skipped: the user blocked the account', row.id)
            logger.info('push skipped: user has blocked the account', log)
            result.skipped++
          } else {
            out.push(row)
          }
        }
        return out
      })
      .immediate()
    if (claimed.length === 0) return
    const outcomes = await Promise.all(claimed.map(send))
    sqlite
      .transaction(() => {
        claimed.forEach((row, i) => {
          const o = outcomes[i] as Outcome
          if (o.kind === 'sent') {
            markSent.run(o.at, o.note, row.id)
            result.sent++
            const log = { outboxId: row.id, kind: row.kind, attempts: row.attempts + 1 }
            if (row.kind === 'push' && o.note === null) countSent(o.at, log)
            else logger.debug('messaging call sent', log)
          } else if (o.kind === 'retry') {
            reschedule.run(o.next, o.error, row.id)
            result.retried++
          } else {
            markFailed.run(o.at, o.error, row.id)
            result[o.kind]++
          }
        })
      })
      .immediate()
  }

  function countSent(at: number, log: Record<string, unknown>): void {
    const month = quotaMonth(at)
    const row = countMessage.get(month)
    logger.info('push sent', { ...log, month, messagesThisMonth: row?.count ?? 0 })
  }

  /**
   * Sends what is due now, once; resolves with what happened. Rows go out in chunks of up to
   * `concurrency` calls at once; a chunk never holds two rows for one user, so each user's
   * calls keep their queue order (a profile read before the push that uses its language).
   */
  async function runOnce(): Promise<RunResult> {
    const result: RunResult = { sent: 0, retried: 0, failed: 0, skipped: 0 }
    const now = clock.now()
    const rows = due.all(now, now - CLAIM_LEASE_MS, batchSize)
    let windowStart = Date.now()
    let inWindow = 0
    let chunk: OutboxRow[] = []
    const users = new Set<string>()
    const flush = async () => {
      if (chunk.length === 0) return
      if (inWindow + chunk.length > maxPerSecond) {
        const wait = 1_000 - (Date.now() - windowStart)
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        windowStart = Date.now()
        inWindow = 0
      }
      inWindow += chunk.length
      await processChunk(chunk, result)
      chunk = []
      users.clear()
    }
    for (const row of rows) {
      if (chunk.length >= concurrency || (row.lineUserId && users.has(row.lineUserId))) {
        await flush()
      }
      chunk.push(row)
      if (row.lineUserId) users.add(row.lineUserId)
    }
    await flush()
    // A full batch, or a sent push that may have unblocked the next one to the same user.
    if (rows.length === batchSize || result.sent > 0) again = true
    return result
  }

  /** Runs once, or joins the run under way. */
  function run(): Promise<RunResult> {
    if (!running) {
      running = runOnce().finally(() => {
        running = undefined
      })
    }
    return running
  }

  function schedule(ms: number): void {
    if (!started) return
    if (timer) clearTimeout(timer)
    timerDue = Date.now() + ms
    timer = setTimeout(() => {
      timer = undefined
      run()
        .catch((err: unknown) => {
          logger.error('outbox worker run failed', {
            error: err instanceof Error ? err.message.slice(0, 200) : String(err),
          })
        })
        .finally(() => {
          const more = again
          again = false
          schedule(more ? 0 : pollMs)
        })
    }, ms)
    timer.unref?.()
  }

  return {
    runOnce: run,
    /**
     * Deletes what is no longer needed: outbox rows sent or given up over `keepMs` ago, and
     * webhook event IDs older than that (LINE redelivers within hours, not weeks).
     */
    purge(now: number, keepMs = 30 * 86_400_000): { outbox: number; webhookEvents: number } {
      const before = now - keepMs
      const o = sqlite
        .prepare('DELETE FROM outbox WHERE sent_at < ? OR failed_at < ?')
        .run(before, before)
      const w = sqlite.prepare('DELETE FROM webhook_events WHERE received_at < ?').run(before)
      return { outbox: o.changes, webhookEvents: w.changes }
    },
    /** Starts polling (and releases claims left by a previous process of this database). */
    start(): void {
      if (started) return
      started = true
      // One worker per database: whatever this database shows as claimed, a previous
      // process left behind when it stopped; the retry key keeps a resend from duplicating.
      sqlite.prepare('UPDATE outbox SET claimed_at = NULL WHERE claimed_at IS NOT NULL').run()
      schedule(0)
    },
    /**
     * Runs soon (after the transaction that queued something has committed). Kicks within
     * `gatherMs` of each other share one run, so a busy till's pushes are claimed and recorded
     * a chunk per commit rather than two commits each (a commit is an fsync).
     */
    kick(): void {
      if (!started) return
      if (running) {
        again = true
        return
      }
      if (timer && timerDue <= Date.now() + gatherMs) return
      schedule(gatherMs)
    },
    /** Stops polling and waits for a run under way. */
    async stop(): Promise<void> {
      started = false
      if (timer) clearTimeout(timer)
      timer = undefined
      await running?.catch(() => undefined)
    },
  }
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>
