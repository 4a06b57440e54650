import { createHash, randomUUID } from 'node:crypto'
import type { Clock } from '../clock.ts'
import type { Database, Executor as DbExecutor } from '../db/seam.ts'
import type { Logger } from '../logger.ts'
import { lineFriends } from '../repositories/line-friends.ts'
import { messageCounts } from '../repositories/message-counts.ts'
import { outbox as outboxRows } from '../repositories/outbox.ts'
import { rateWindows } from '../repositories/rate-windows.ts'
import { webhookEvents } from '../repositories/webhook-events.ts'
import { type CallFailure, classifyError } from './messaging-client.ts'
import { paceOf } from './pace.ts'

/** The kinds of outbox rows and what each carries. */
export interface OutboxPayloads {
  /** A push (`POST /v2/bot/message/push`, with `X-Line-Retry-Key`). */
  push: { to: string; messages: unknown[] }
  /** A reply to a webhook event; reply tokens are short-lived and single use. */
  reply: { replyToken: string; messages: unknown[] }
  /** Re-apply the rich menu that fits the user's current link state. */
  richmenu_sync: { userId: string }
  /**
   * A multicast (`POST /v2/bot/message/multicast`, ≤ 500 users, with `X-Line-Retry-Key`) of a
   * campaign or an automation run (`owner`), whose counters move when the row is settled.
   */
  multicast: {
    to: string[]
    messages: unknown[]
    customAggregationUnits?: string[]
    owner: DeliveryOwner
  }
  /** Read the user's LINE profile for their language (messages in it where known). */
  profile: { userId: string }
  /** Issue a link token for the account-link flow and reply with the sign-in button. */
  account_link_start: { userId: string; replyToken: string; signInBase: string }
}

export type OutboxKind = keyof OutboxPayloads

/** Whose multicast a row is: a campaign's or an automation run's. */
export type DeliveryOwner = { campaignId: number } | { automationRunId: number }

/** How a row ended: sent (LINE accepted it), failed for good, or skipped (not sent). */
export type SettledOutcome = 'sent' | 'failed' | 'skipped'

/**
 * Called in the transaction that records a row's final outcome, once per row (only the claim
 * that is still current records it): campaigns count their batches here.
 */
export type OnSettled = (tx: DbExecutor, row: OutboxRow, outcome: SettledOutcome) => Promise<void>

/** One claimed row as the worker sees it. */
export interface OutboxRow {
  id: number
  kind: OutboxKind
  lineUserId: string | null
  payload: string
  retryKey: string
  /** This attempt's number (1 for the first). */
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
  multicast: 20,
  richmenu_sync: 20,
  profile: 5,
  // A reply token is valid for a short time only: a reply that cannot go out soon is moot.
  reply: 3,
  account_link_start: 3,
}

/**
 * A claimed row not finished within this long is taken to be abandoned (a crashed worker or
 * instance) and may be claimed again. Longer than a call may take (`callTimeoutMs`).
 */
export const CLAIM_LEASE_MS = 60_000

/** The key of the Messaging API calls' shared rate window (see repositories/rate-windows.ts). */
export const RATE_KEY = 'line-messaging'

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
 * Writes outbox rows. Call `enqueue` with the transaction of the change that causes the
 * message: the row commits or rolls back with it. A row with a `dedupeKey` already queued is
 * not queued again.
 */
export function createOutbox(clock: Clock) {
  return {
    /** Queues a row in `tx`; false when a row with the same dedupe key exists already. */
    enqueue<K extends OutboxKind>(
      tx: DbExecutor,
      kind: K,
      payload: OutboxPayloads[K],
      o: { userId: string | null; dedupeKey?: string; at?: number },
    ): Promise<boolean> {
      const at = o.at ?? clock.now()
      return outboxRows.insert(tx, {
        kind,
        userId: o.userId,
        payload: JSON.stringify(payload),
        retryKey: o.dedupeKey ? retryKeyFor(o.dedupeKey) : randomUUID(),
        at,
      })
    },
  }
}

export type Outbox = ReturnType<typeof createOutbox>

export interface OutboxWorkerDeps {
  db: Database
  clock: Clock
  logger: Logger
  /** False when no access token is configured: rows are marked skipped, and logged. */
  enabled: () => boolean
  executors: { [K in OutboxKind]: Executor<K> }
  /** Told of each row's final outcome, in the transaction that records it. */
  onSettled?: OnSettled
  /** Rows taken per run. */
  batchSize?: number
  /**
   * Most calls per second of the channel, shared by every instance on the database (the
   * platform allows 2,000/s for push and rich menu links).
   */
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
  /** Wall-clock time for the rate windows (Unix ms); tests pass their own. */
  wallClock?: () => number
  /** Waits for the next rate window; tests pass their own. */
  sleep?: (ms: number) => Promise<void>
}

/** What one run did. */
export interface RunResult {
  sent: number
  retried: number
  failed: number
  skipped: number
}

/** The rate window is full: the claim is rolled back and tried again in the next window. */
class WindowFull extends Error {
  override name = 'WindowFull'
}

/**
 * Sends outbox rows with retries and backoff, several at a time, from any number of
 * instances on one database. A row is claimed (a lease of CLAIM_LEASE_MS) before it is sent,
 * so no two workers send it at once, and marked sent after; should the process die between
 * the two, the lease runs out, the row is sent again with the same `X-Line-Retry-Key`, and
 * LINE answers 409 (already accepted), which counts as sent: no message lost, none twice.
 * Every claim takes its calls from the rate window the instances share, in the same
 * transaction. See docs/decisions/011-line-messaging-outbox.md and 023-outbox-leases.md.
 */
export function createOutboxWorker(deps: OutboxWorkerDeps) {
  const { db, clock, logger } = deps
  const batchSize = deps.batchSize ?? 50
  const maxPerSecond = Math.max(1, deps.maxPerSecond ?? 200)
  const pollMs = deps.pollMs ?? 1_000
  const gatherMs = deps.gatherMs ?? 20
  const callTimeoutMs = deps.callTimeoutMs ?? 30_000
  const pace = paceOf(maxPerSecond)
  const concurrency = Math.max(1, Math.min(deps.concurrency ?? 10, pace.perWindow))
  const random = deps.random ?? Math.random
  const wallClock = deps.wallClock ?? Date.now
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))

  let timer: NodeJS.Timeout | undefined
  let timerDue = 0
  let running: Promise<RunResult> | undefined
  let started = false
  let again = false
  /** The last run ended on a short claim: run again after `gatherMs` (see `runOnce`). */
  let followUp = false
  /** Settles once the claims of a previous process are released (SQLite, at start). */
  let ready: Promise<unknown> = Promise.resolve()

  /** What happened to one claimed row; recorded with the others of its chunk in one commit. */
  type Outcome =
    | { kind: 'sent'; at: number; note: string | null }
    | { kind: 'failed' | 'skipped'; at: number; error: string }
    | { kind: 'retry'; at: number; next: number; error: string }

  const logOf = (row: OutboxRow) => ({ outboxId: row.id, kind: row.kind, attempts: row.attempts })

  /** Sends one claimed row (no database writes: the caller records the outcome). */
  async function send(row: OutboxRow): Promise<Outcome> {
    const log = logOf(row)
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
      if ((row.kind === 'push' || row.kind === 'multicast') && failure.status === 409) {
        // LINE accepted this retry key before: the earlier attempt went out.
        logger.info('push already accepted by LINE (retry key)', log)
        return { kind: 'sent', at, note: 'accepted before (409 for the retry key)' }
      }
      if (failure.retryable && row.attempts < MAX_ATTEMPTS[row.kind]) {
        const next = at + backoffMs(row.attempts, random)
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
   * In one transaction: claims up to `limit` rows, gives up at once those that cannot go out
   * (no access token, a blocked user), and takes a call from the shared rate window for each
   * of the others; when the window has too few left, the whole claim is rolled back
   * (`WindowFull`). Returns how many rows were claimed and those to send.
   */
  function claimChunk(limit: number, result: RunResult) {
    const now = clock.now()
    return db.transaction(async (tx) => {
      const claimed = await outboxRows.claim(tx, {
        now,
        leaseCutoff: now - CLAIM_LEASE_MS,
        limit,
      })
      const toSend: OutboxRow[] = []
      const skipped: { row: OutboxRow; error: string; log: string }[] = []
      for (const r of claimed) {
        const row = r as OutboxRow
        if (!deps.enabled()) {
          skipped.push({
            row,
            error: 'skipped: no LINE_MESSAGING_ACCESS_TOKEN',
            log: 'messaging call skipped: no channel access token',
          })
        } else if (
          row.kind === 'push' &&
          row.lineUserId &&
          (await lineFriends.blockedAt(tx, row.lineUserId)) !== null
        ) {
          skipped.push({
            row,
            error: 'skipped: the user blocked the account',
            log: 'push skipped: user has blocked the account',
          })
        } else {
          toSend.push(row)
        }
      }
      for (const error of new Set(skipped.map((s) => s.error))) {
        const ids = skipped.filter((s) => s.error === error).map((s) => s.row.id)
        await outboxRows.markManyFailed(tx, { ids, claimedAt: now, at: now, error })
      }
      for (const s of skipped) await deps.onSettled?.(tx, s.row, 'skipped')
      if (toSend.length > 0) {
        const wall = wallClock()
        const taken = await rateWindows.take(tx, {
          key: RATE_KEY,
          window: wall - (wall % pace.windowMs),
          n: toSend.length,
          limit: pace.perWindow,
        })
        if (!taken) throw new WindowFull()
      }
      tx.afterCommit(() => {
        for (const s of skipped) {
          logger.info(s.log, logOf(s.row))
          result.skipped++
        }
      })
      return { claimed: claimed.length, rows: toSend, claimedAt: now }
    })
  }

  /** Records the outcomes of a sent chunk in one transaction. */
  async function record(
    rows: OutboxRow[],
    outcomes: Outcome[],
    claimedAt: number,
    result: RunResult,
  ) {
    await db.transaction(async (tx) => {
      const logs: (() => void)[] = []
      for (const [i, row] of rows.entries()) {
        const o = outcomes[i] as Outcome
        const ref = { id: row.id, claimedAt }
        const log = logOf(row)
        let current: boolean
        if (o.kind === 'sent') {
          current = await outboxRows.markSent(tx, { ...ref, at: o.at, note: o.note })
          if (current) {
            await deps.onSettled?.(tx, row, 'sent')
            if (row.kind === 'push' && o.note === null) {
              const month = quotaMonth(o.at)
              const count = await messageCounts.increment(tx, month)
              logs.push(() => logger.info('push sent', { ...log, month, messagesThisMonth: count }))
            } else {
              logs.push(() => logger.debug('messaging call sent', log))
            }
            logs.push(() => result.sent++)
          }
        } else if (o.kind === 'retry') {
          current = await outboxRows.reschedule(tx, { ...ref, next: o.next, error: o.error })
          if (current) logs.push(() => result.retried++)
        } else {
          current = await outboxRows.markFailed(tx, { ...ref, at: o.at, error: o.error })
          const kind = o.kind
          if (current) {
            await deps.onSettled?.(tx, row, kind)
            logs.push(() => result[kind]++)
          }
        }
        if (!current) {
          logs.push(() => logger.warn('outbox claim lost before its outcome was recorded', log))
        }
      }
      tx.afterCommit(() => {
        for (const l of logs) l()
      })
    })
  }

  /**
   * Sends what is due now, once; resolves with what happened. Claims chunks of up to
   * `concurrency` rows (at most one per user: see repositories/outbox.ts) and sends each
   * chunk's calls at the same time, until nothing is due or `batchSize` rows were taken.
   */
  async function runOnce(drain: boolean): Promise<RunResult> {
    await ready
    const result: RunResult = { sent: 0, retried: 0, failed: 0, skipped: 0 }
    let budget = batchSize
    while (budget > 0) {
      const limit = Math.min(concurrency, budget)
      let chunk: Awaited<ReturnType<typeof claimChunk>>
      try {
        chunk = await claimChunk(limit, result)
      } catch (err) {
        if (!(err instanceof WindowFull)) throw err
        const wall = wallClock()
        await sleep(pace.windowMs - (wall % pace.windowMs))
        continue
      }
      if (chunk.claimed === 0) break
      budget -= chunk.claimed
      if (chunk.rows.length > 0) {
        const outcomes = await Promise.all(chunk.rows.map(send))
        await record(chunk.rows, outcomes, chunk.claimedAt, result)
      }
      // A short claim took every row due but a second row of a user it claimed (one per user
      // a claim). A kicked run leaves those to a run after `gatherMs`, which also takes what is
      // queued meanwhile, rather than making one more claim now that, under a steady load of
      // pushes, finds nothing; a run asked for (`runOnce`) goes on until nothing is due.
      if (!drain && chunk.claimed < limit) {
        followUp = true
        break
      }
    }
    // The batch ran out with rows perhaps still due: go on at once.
    if (budget <= 0) again = true
    return result
  }

  let runningDrains = false
  /**
   * Runs once, or joins the run under way; a run that must `drain` waits for a kicked run under
   * way (which may stop short) and then runs itself.
   */
  function run(drain: boolean): Promise<RunResult> {
    if (running && drain && !runningDrains) {
      return running.catch(() => undefined).then(() => run(true))
    }
    if (!running) {
      runningDrains = drain
      running = runOnce(drain).finally(() => {
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
      run(false)
        .catch((err: unknown) => {
          logger.error('outbox worker run failed', {
            error: err instanceof Error ? err.message.slice(0, 200) : String(err),
          })
        })
        .finally(() => {
          const next = again ? 0 : followUp ? gatherMs : pollMs
          again = false
          followUp = false
          schedule(next)
        })
    }, ms)
    timer.unref?.()
  }

  return {
    runOnce: () => run(true),
    /**
     * Deletes what is no longer needed: outbox rows sent or given up over `keepMs` ago, and
     * webhook event IDs older than that (LINE redelivers within hours, not weeks).
     */
    async purge(
      now: number,
      keepMs = 30 * 86_400_000,
    ): Promise<{ outbox: number; webhookEvents: number }> {
      const before = now - keepMs
      return {
        outbox: await outboxRows.purge(db, before),
        webhookEvents: await webhookEvents.purge(db, before),
      }
    },
    /**
     * Starts polling. On SQLite (one process per database file) the claims left by a previous
     * process are released first; on PostgreSQL, where other instances' claims are live,
     * a crashed instance's claims lapse with their lease.
     */
    start(): void {
      if (started) return
      started = true
      if (db.dialect === 'sqlite') {
        ready = outboxRows.releaseClaims(db).catch((err: unknown) => {
          logger.error('outbox claims could not be released', {
            error: err instanceof Error ? err.message.slice(0, 200) : String(err),
          })
        })
      }
      schedule(0)
    },
    /**
     * Runs soon (after the transaction that queued something has committed). Kicks within
     * `gatherMs` of each other share one run, so a busy till's pushes are claimed and recorded
     * a chunk per commit rather than two commits each.
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
