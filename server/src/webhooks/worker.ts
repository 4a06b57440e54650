import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import type { Logger } from '../logger.ts'
import { type ClaimedDelivery, webhooks } from '../repositories/webhooks.ts'
import type { SendOutcome } from './sender.ts'
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts'

/** A delivery is retried for this long after its event, then given up (and shown as failed). */
export const RETRY_FOR_MS = 24 * 60 * 60_000

/**
 * A claimed delivery not finished within this long is taken to be abandoned (a crashed
 * instance) and may be claimed again: longer than a delivery may take.
 */
export const DELIVERY_LEASE_MS = 5 * 60_000

/** Delay before attempt `attempts + 1`: 10 s doubling to 1 hour, with ±20 % jitter. */
export function deliveryBackoffMs(attempts: number, random = Math.random): number {
  const base = Math.min(10_000 * 2 ** (attempts - 1), 60 * 60_000)
  return Math.round(base * (0.8 + 0.4 * random()))
}

/** Sends one body to one URL (webhooks/sender.ts `postJson`; tests may pass their own). */
export type Send = (
  url: string,
  body: string,
  headers: Record<string, string>,
) => Promise<SendOutcome>

export interface DeliveryWorkerDeps {
  db: Database
  clock: Clock
  logger: Logger
  send: Send
  /** The endpoint's signing secret, from its sealed form. */
  openSecret: (sealed: string) => string
  /** Deliveries sent at once (of different members or endpoints). */
  concurrency?: number
  /** Idle polling interval (retries, and events queued by other instances). */
  pollMs?: number
  random?: () => number
  /** Wall-clock time for the signature's timestamp (receivers compare it with theirs). */
  wallClock?: () => number
}

/** What one run did. */
export interface DeliveryRunResult {
  delivered: number
  retried: number
  failed: number
}

/**
 * Delivers queued webhook events from any number of instances on one database: claims due
 * deliveries (a lease, one per endpoint and member at a time: repositories/webhooks.ts), POSTs
 * each signed body, and records the outcome; a non-2xx answer, a timeout or a refused target
 * is retried with exponential backoff until a day after the event. At least once: a delivery
 * whose instance died before recording it is sent again after the lease, with the same event
 * id, so receivers deduplicate by `id`. It runs beside the till, never in its requests.
 */
export function createDeliveryWorker(deps: DeliveryWorkerDeps) {
  const { db, clock, logger } = deps
  const concurrency = Math.max(1, deps.concurrency ?? 10)
  const pollMs = deps.pollMs ?? 1_000
  const random = deps.random ?? Math.random
  const wallClock = deps.wallClock ?? Date.now
  let timer: NodeJS.Timeout | undefined
  let running: Promise<DeliveryRunResult> | undefined
  let started = false
  let again = false
  let ready: Promise<unknown> = Promise.resolve()

  type Outcome =
    | { kind: 'delivered'; at: number; status: number }
    | { kind: 'retry' | 'failed'; at: number; next: number; status: number | null; error: string }

  async function deliver(row: ClaimedDelivery): Promise<Outcome> {
    const endpoint = await webhooks.endpoint(db, row.endpointId)
    const at0 = clock.now()
    if (!endpoint || endpoint.deletedAt !== null) {
      return { kind: 'failed', at: at0, next: at0, status: null, error: 'endpoint removed' }
    }
    const t = Math.floor(wallClock() / 1000)
    let sent: SendOutcome
    try {
      const secret = deps.openSecret(endpoint.secret)
      sent = await deps.send(endpoint.url, row.body, {
        [SIGNATURE_HEADER]: signatureHeader(secret, t, row.body),
        'X-Membercard-Event-Id': row.eventId,
      })
    } catch (err) {
      sent = { status: null, error: err instanceof Error ? err.message.slice(0, 200) : 'failed' }
    }
    const at = clock.now()
    if (sent.status !== null && sent.status >= 200 && sent.status < 300) {
      return { kind: 'delivered', at, status: sent.status }
    }
    const error = sent.status === null ? sent.error : `HTTP ${sent.status}`
    const deadline = row.createdAt + RETRY_FOR_MS
    if (at >= deadline) return { kind: 'failed', at, next: at, status: sent.status, error }
    const next = Math.min(at + deliveryBackoffMs(row.attempts, random), deadline)
    return { kind: 'retry', at, next, status: sent.status, error }
  }

  async function runOnce(): Promise<DeliveryRunResult> {
    await ready
    const result: DeliveryRunResult = { delivered: 0, retried: 0, failed: 0 }
    for (;;) {
      const now = clock.now()
      const claimed = await db.transaction((tx) =>
        webhooks.claim(tx, { now, leaseCutoff: now - DELIVERY_LEASE_MS, limit: concurrency }),
      )
      if (claimed.length === 0) break
      const outcomes = await Promise.all(claimed.map(deliver))
      await db.transaction(async (tx) => {
        for (const [i, row] of claimed.entries()) {
          const o = outcomes[i] as Outcome
          const ref = { id: row.id, claimedAt: now }
          const log = { deliveryId: row.id, eventId: row.eventId, attempts: row.attempts }
          if (o.kind === 'delivered') {
            if (await webhooks.markDelivered(tx, { ...ref, at: o.at, status: o.status })) {
              result.delivered++
            }
          } else if (o.kind === 'retry') {
            if (await webhooks.reschedule(tx, { ...ref, ...o })) {
              result.retried++
              tx.afterCommit(() =>
                logger.warn('webhook delivery failed, will retry', {
                  ...log,
                  error: o.error,
                  retryInMs: o.next - o.at,
                }),
              )
            }
          } else if (await webhooks.markFailed(tx, { ...ref, ...o })) {
            result.failed++
            tx.afterCommit(() =>
              logger.error('webhook delivery given up', { ...log, error: o.error }),
            )
          }
        }
      })
    }
    return result
  }

  function run(): Promise<DeliveryRunResult> {
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
    timer = setTimeout(() => {
      timer = undefined
      run()
        .catch((err: unknown) => {
          logger.error('webhook worker run failed', {
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
    /** Delivers what is due now, once (or joins the run under way). */
    runOnce: run,
    /** Starts polling; on SQLite (one process per file) a previous process's claims are released. */
    start(): void {
      if (started) return
      started = true
      if (db.dialect === 'sqlite') {
        ready = webhooks.releaseClaims(db).catch(() => undefined)
      }
      schedule(0)
    },
    /** Runs soon: call once what was queued has committed. */
    kick(): void {
      if (!started) return
      if (running) {
        again = true
        return
      }
      schedule(0)
    },
    /** Stops polling and waits for a run under way. */
    async stop(): Promise<void> {
      started = false
      if (timer) clearTimeout(timer)
      timer = undefined
      await running?.catch(() => undefined)
    },
    /** Deletes deliveries finished over `keepMs` ago. */
    purge: (now: number, keepMs = 30 * 86_400_000) => webhooks.purge(db, now - keepMs),
  }
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>
