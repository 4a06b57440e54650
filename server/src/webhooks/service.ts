import { hkdfSync, randomBytes, randomUUID } from 'node:crypto'
import {
  WEBHOOK_EVENT_TYPES,
  type WebhookDeliveryItem,
  type WebhookEndpointItem,
  type WebhookEventType,
} from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database, Executor, Tx } from '../db/seam.ts'
import { NotFound, WebhookTargetRefused } from '../domain/errors.ts'
import type { Logger } from '../logger.ts'
import { webhooks as rows, type WebhookEndpointStats } from '../repositories/webhooks.ts'
import { type AuditActor, recordAudit } from '../services/audit.ts'
import type { CouponRedeemed } from '../services/coupon-till.ts'
import type { MembershipEvents } from '../services/membership.ts'
import type { LedgerChange } from '../services/points.ts'
import { totpSealer } from '../services/totp.ts'
import { checkHost, hostOf } from './address-guard.ts'
import { postJson } from './sender.ts'
import { createDeliveryWorker, type Send } from './worker.ts'

/** The event the console's "send test event" button sends (to one endpoint, subscribed or not). */
export const TEST_EVENT_TYPE = 'webhook.test'

/** The body every delivery carries. */
export interface WebhookEvent {
  id: string
  type: string
  createdAt: string
  data: Record<string, unknown>
}

export interface WebhooksDeps {
  db: Database
  clock: Clock
  logger: Logger
  /** The server secret the endpoints' signing secrets are sealed with (`secrets.pinHashKey`). */
  serverSecret: Buffer
  /** `WEBHOOK_ALLOW_PRIVATE`: private and loopback targets allowed. */
  allowPrivate: boolean
  /** How long one delivery may take. */
  timeoutMs: number
  /** Replaces the HTTP sender (tests). */
  send?: Send
  random?: () => number
  pollMs?: number
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString())

function eventsOf(stored: string): WebhookEventType[] {
  return stored
    .split(',')
    .filter((e): e is WebhookEventType => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(e))
}

function endpointItem(r: WebhookEndpointStats): WebhookEndpointItem {
  return {
    id: r.id,
    url: r.url,
    events: eventsOf(r.events),
    createdBy: r.createdBy,
    createdAt: new Date(r.createdAt).toISOString(),
    pending: Number(r.pending),
    failed: Number(r.failed),
    lastDeliveredAt: iso(r.lastDeliveredAt === null ? null : Number(r.lastDeliveredAt)),
  }
}

/**
 * Outbound webhooks (docs/decisions/090): endpoints an admin registers, events queued in the
 * transaction of the change that causes them (`emit`), and the worker that delivers them.
 */
export function createWebhooks(deps: WebhooksDeps) {
  const { db, clock, allowPrivate } = deps
  const sealer = totpSealer(
    Buffer.from(
      hkdfSync('sha256', deps.serverSecret, Buffer.alloc(0), 'membercard webhook v1', 32),
    ),
  )
  const send: Send =
    deps.send ??
    ((url, body, headers) =>
      postJson(url, body, headers, { timeoutMs: deps.timeoutMs, allowPrivate }))
  const worker = createDeliveryWorker({
    db,
    clock,
    logger: deps.logger,
    send,
    openSecret: (sealed) => sealer.open(sealed),
    random: deps.random,
    pollMs: deps.pollMs,
  })
  const kick = () => worker.kick()

  /** Queues one event to `endpointIds` in `tx`; the worker runs once `tx` has committed. */
  async function queue(
    tx: Tx,
    endpointIds: number[],
    type: string,
    orderKey: string,
    data: Record<string, unknown>,
  ): Promise<string> {
    const at = clock.now()
    const event: WebhookEvent = {
      id: randomUUID(),
      type,
      createdAt: new Date(at).toISOString(),
      data,
    }
    const body = JSON.stringify(event)
    for (const endpointId of endpointIds) {
      await rows.insertDelivery(tx, {
        endpointId,
        eventId: event.id,
        eventType: type,
        orderKey,
        body,
        at,
      })
    }
    tx.afterCommit(kick)
    return event.id
  }

  /**
   * Queues event `type` in `tx` (the transaction of the change) for every endpoint subscribed
   * to it; events of one `orderKey` (a member: `card:<id>`) reach each endpoint in order.
   * `data` is read only when some endpoint is subscribed. Returns the event's ID, or null.
   */
  async function emit(
    tx: Tx,
    type: WebhookEventType,
    orderKey: string,
    data: Record<string, unknown> | ((ex: Executor) => Promise<Record<string, unknown>>),
  ): Promise<string | null> {
    const ids = (await rows.active(tx))
      .filter((e) => eventsOf(e.events).includes(type))
      .map((e) => e.id)
    if (ids.length === 0) return null
    return queue(tx, ids, type, orderKey, typeof data === 'function' ? await data(tx) : data)
  }

  const cardData = async (ex: Executor, cardId: number) => ({
    cardId,
    cardNumber: await rows.cardNumber(ex, cardId),
  })

  const membershipEvents: MembershipEvents = {
    async linked(tx, e) {
      await emit(tx, 'member.linked', `card:${e.cardId}`, async (ex) => ({
        ...(await cardData(ex, e.cardId)),
        method: e.method,
        bonusPoints: e.bonusPoints,
        linkedAt: new Date(e.at).toISOString(),
      }))
    },
    async unlinked(tx, e) {
      await emit(tx, 'member.unlinked', `card:${e.cardId}`, async (ex) => ({
        ...(await cardData(ex, e.cardId)),
        unlinkedAt: new Date(e.at).toISOString(),
      }))
    },
  }

  return {
    worker,
    emit,
    membershipEvents,

    /** The ledger hook, in the transaction of the change: `points.changed`. */
    async onLedgerChange(tx: Tx, c: LedgerChange): Promise<void> {
      if (c.points === 0) return
      await emit(tx, 'points.changed', `card:${c.cardId}`, async (ex) => ({
        transactionId: String(c.entryId),
        ...(await cardData(ex, c.cardId)),
        type: c.type,
        points: c.points,
        balance: c.balance,
        storeCode: c.storeCode,
        staffId: c.staffId,
        purchaseAmount: c.purchaseAmount,
        occurredAt: new Date(c.at).toISOString(),
      }))
    },

    /**
     * The till's coupon hook, in the transaction of the use: `coupon.redeemed` (after the
     * `points.changed` of a bonus-points reward, in the member's order). A reversal sends no
     * event of its own; its bonus points' `void` entry sends `points.changed`.
     */
    async onCouponRedeemed(tx: Tx, e: CouponRedeemed): Promise<void> {
      await emit(tx, 'coupon.redeemed', `card:${e.cardId}`, async (ex) => ({
        redemptionId: e.redemptionId,
        memberCouponId: e.memberCouponId,
        couponId: e.couponId,
        couponTitle: e.couponTitle,
        ...(await cardData(ex, e.cardId)),
        storeCode: e.storeCode,
        staffId: e.staffId,
        purchaseAmount: e.purchaseAmount,
        pointsAwarded: e.pointsAwarded,
        occurredAt: new Date(e.at).toISOString(),
      }))
    },

    /**
     * Registers an endpoint; the answer carries its signing secret, shown this once. A URL
     * whose host is (or resolves to) a private or loopback address is refused unless
     * `WEBHOOK_ALLOW_PRIVATE=true` (and checked again at every delivery).
     */
    async create(
      by: AuditActor,
      input: { url: string; events: readonly WebhookEventType[] },
    ): Promise<WebhookEndpointItem & { secret: string }> {
      const checked = await checkHost(hostOf(new URL(input.url)), allowPrivate)
      if (!checked.ok) throw new WebhookTargetRefused(`url: ${checked.reason}.`)
      const events = [...new Set(input.events)]
      const secret = `whsec_${randomBytes(32).toString('base64url')}`
      const id = await db.transaction(async (tx) => {
        const at = clock.now()
        const made = await rows.insertEndpoint(tx, {
          url: input.url,
          events: events.join(','),
          secret: sealer.seal(secret),
          by: by.actor,
          at,
        })
        await recordAudit(tx, clock, {
          ...by,
          action: 'webhook.create',
          target: `webhook:${made}`,
          detail: { url: input.url, events },
        })
        return made
      })
      const item = (await rows.list(db)).find((e) => e.id === id)
      if (!item) throw new Error('the endpoint just created is missing')
      return { ...endpointItem(item), secret }
    },

    /** Endpoints not removed, with their deliveries' figures. */
    list: async (): Promise<WebhookEndpointItem[]> => (await rows.list(db)).map(endpointItem),

    /** Removes an endpoint: its pending deliveries are not sent. Throws `NotFound`. */
    async remove(by: AuditActor, id: number): Promise<void> {
      await db.transaction(async (tx) => {
        if (!(await rows.remove(tx, id, clock.now()))) throw new NotFound(`No webhook ${id}.`)
        await recordAudit(tx, clock, { ...by, action: 'webhook.remove', target: `webhook:${id}` })
      })
    },

    /** An endpoint's latest deliveries, newest first. Throws `NotFound`. */
    async deliveries(id: number, limit = 50): Promise<WebhookDeliveryItem[]> {
      const endpoint = await rows.endpoint(db, id)
      if (!endpoint || endpoint.deletedAt !== null) throw new NotFound(`No webhook ${id}.`)
      return (await rows.deliveries(db, id, limit)).map((d) => ({
        id: d.id,
        eventId: d.eventId,
        eventType: d.eventType,
        status: d.deliveredAt !== null ? 'delivered' : d.failedAt !== null ? 'failed' : 'pending',
        attempts: d.attempts,
        lastStatus: d.lastStatus,
        lastError: d.lastError,
        createdAt: new Date(d.createdAt).toISOString(),
        deliveredAt: iso(d.deliveredAt),
        failedAt: iso(d.failedAt),
        nextAttemptAt: d.deliveredAt === null && d.failedAt === null ? iso(d.nextAttemptAt) : null,
      }))
    },

    /** Queues a `webhook.test` event to one endpoint; its ID. Throws `NotFound`. */
    async sendTest(by: AuditActor, id: number): Promise<{ eventId: string }> {
      return db.transaction(async (tx) => {
        const endpoint = await rows.endpoint(tx, id)
        if (!endpoint || endpoint.deletedAt !== null) throw new NotFound(`No webhook ${id}.`)
        const eventId = randomUUID()
        const eventIdUsed = await queue(tx, [id], TEST_EVENT_TYPE, `test:${eventId}`, {
          message: 'テストイベントです。This is a test event.',
        })
        await recordAudit(tx, clock, {
          ...by,
          action: 'webhook.test',
          target: `webhook:${id}`,
          detail: { eventId: eventIdUsed },
        })
        return { eventId: eventIdUsed }
      })
    },
  }
}

export type Webhooks = ReturnType<typeof createWebhooks>
