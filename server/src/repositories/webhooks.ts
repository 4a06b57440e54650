import { type Placeholder, type SQL, sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** An endpoint as stored (its secret sealed). */
export interface WebhookEndpointRow {
  id: number
  url: string
  /** Comma-separated event types. */
  events: string
  secret: string
  createdBy: string
  createdAt: number
  deletedAt: number | null
}

/** An endpoint with its deliveries' figures, for the console's list. */
export interface WebhookEndpointStats extends WebhookEndpointRow {
  pending: number
  failed: number
  lastDeliveredAt: number | null
}

/** A delivery to queue. */
export interface DeliveryInsert {
  endpointId: number
  eventId: string
  eventType: string
  orderKey: string
  body: string
  at: number
}

/** A delivery a worker has just claimed. */
export interface ClaimedDelivery {
  id: number
  endpointId: number
  eventId: string
  body: string
  /** This attempt's number (1 for the first). */
  attempts: number
  createdAt: number
}

/** A delivery as the console lists it. */
export interface DeliveryRow {
  id: number
  eventId: string
  eventType: string
  attempts: number
  lastStatus: number | null
  lastError: string | null
  createdAt: number
  nextAttemptAt: number
  deliveredAt: number | null
  failedAt: number | null
}

const ENDPOINT = sql`id, url, events, secret, created_by AS "createdBy", created_at AS "createdAt",
  deleted_at AS "deletedAt"`

const insertEndpoint = query<
  { url: string; events: string; secret: string; by: string; at: number },
  { id: number }
>(
  (p) => sql`INSERT INTO webhook_endpoints (url, events, secret, created_by, created_at)
    VALUES (${p.url}, ${p.events}, ${p.secret}, ${p.by}, ${p.at}) RETURNING id`,
)
const endpointById = query<{ id: number }, WebhookEndpointRow>(
  (p) => sql`SELECT ${ENDPOINT} FROM webhook_endpoints WHERE id = ${p.id}`,
)
const activeEndpoints = query<Record<string, never>, { id: number; events: string }>(
  () => sql`SELECT id, events FROM webhook_endpoints WHERE deleted_at IS NULL ORDER BY id`,
)
const listEndpoints = query<Record<string, never>, WebhookEndpointStats>(
  () => sql`SELECT e.id, e.url, e.events, e.secret, e.created_by AS "createdBy",
      e.created_at AS "createdAt", e.deleted_at AS "deletedAt",
      (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id
        AND d.delivered_at IS NULL AND d.failed_at IS NULL) AS pending,
      (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id
        AND d.failed_at IS NOT NULL) AS failed,
      (SELECT max(d.delivered_at) FROM webhook_deliveries d WHERE d.endpoint_id = e.id)
        AS "lastDeliveredAt"
    FROM webhook_endpoints e WHERE e.deleted_at IS NULL ORDER BY e.id`,
)
const removeEndpoint = query<{ id: number; at: number }>(
  (p) => sql`UPDATE webhook_endpoints SET deleted_at = ${p.at}
    WHERE id = ${p.id} AND deleted_at IS NULL`,
)
const insertDelivery = query<DeliveryInsert>(
  (p) => sql`INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, order_key, body,
      created_at, next_attempt_at)
    VALUES (${p.endpointId}, ${p.eventId}, ${p.eventType}, ${p.orderKey}, ${p.body}, ${p.at},
      ${p.at})
    ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
)
const deliveries = query<{ endpointId: number; limit: number }, DeliveryRow>(
  (p) => sql`SELECT id, event_id AS "eventId", event_type AS "eventType", attempts,
      last_status AS "lastStatus", last_error AS "lastError", created_at AS "createdAt",
      next_attempt_at AS "nextAttemptAt", delivered_at AS "deliveredAt", failed_at AS "failedAt"
    FROM webhook_deliveries WHERE endpoint_id = ${p.endpointId}
    ORDER BY id DESC LIMIT ${p.limit}`,
)

type ClaimParams = { now: number; leaseCutoff: number; limit: number }

/**
 * Claims up to `limit` due deliveries, oldest first, and counts the attempt. A delivery is due
 * when it is neither delivered nor given up, its time has come, nobody holds a live claim on
 * it, and no earlier delivery to the same endpoint with the same order key (the member) is
 * unfinished: one member's events reach an endpoint in order, a later one waiting while an
 * earlier one is in backoff. So a claim takes at most one delivery per (endpoint, member).
 * `lock` is PostgreSQL's `FOR UPDATE SKIP LOCKED` (SQLite's write transaction is exclusive).
 */
function claimSql(p: { readonly [K in keyof ClaimParams]: Placeholder }, lock: SQL): SQL {
  return sql`UPDATE webhook_deliveries SET claimed_at = ${p.now}, attempts = attempts + 1
    WHERE id IN (
      SELECT d.id FROM webhook_deliveries d
       WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= ${p.now}
         AND (d.claimed_at IS NULL OR d.claimed_at < ${p.leaseCutoff})
         AND NOT EXISTS (
           SELECT 1 FROM webhook_deliveries e
            WHERE e.endpoint_id = d.endpoint_id AND e.order_key = d.order_key AND e.id < d.id
              AND e.delivered_at IS NULL AND e.failed_at IS NULL)
       ORDER BY d.id LIMIT ${p.limit}${lock})
    RETURNING id, endpoint_id AS "endpointId", event_id AS "eventId", body, attempts,
      created_at AS "createdAt"`
}
const claim = query<ClaimParams, ClaimedDelivery>((p) => claimSql(p, sql``))
const claimSkipLocked = query<ClaimParams, ClaimedDelivery>((p) =>
  claimSql(p, sql` FOR UPDATE SKIP LOCKED`),
)

type Ref = { id: number; claimedAt: number }
// Only the claim still current records its outcome (a worker whose lease ran out changes nothing).
const markDelivered = query<Ref & { at: number; status: number }>(
  (p) => sql`UPDATE webhook_deliveries SET delivered_at = ${p.at}, claimed_at = NULL,
      last_status = ${p.status}, last_error = NULL
    WHERE id = ${p.id} AND claimed_at = ${p.claimedAt}`,
)
const reschedule = query<Ref & { next: number; status: number | null; error: string }>(
  (p) => sql`UPDATE webhook_deliveries SET next_attempt_at = ${p.next}, claimed_at = NULL,
      last_status = ${p.status}, last_error = ${p.error}
    WHERE id = ${p.id} AND claimed_at = ${p.claimedAt}`,
)
const markFailed = query<Ref & { at: number; status: number | null; error: string }>(
  (p) => sql`UPDATE webhook_deliveries SET failed_at = ${p.at}, claimed_at = NULL,
      last_status = ${p.status}, last_error = ${p.error}
    WHERE id = ${p.id} AND claimed_at = ${p.claimedAt}`,
)
const releaseClaims = query(
  () => sql`UPDATE webhook_deliveries SET claimed_at = NULL WHERE claimed_at IS NOT NULL`,
)
const purge = query<{ before: number }>(
  (p) => sql`DELETE FROM webhook_deliveries WHERE delivered_at < ${p.before}
    OR failed_at < ${p.before}`,
)
const cardNumberOf = query<{ id: number }, { cardNumber: string }>(
  (p) => sql`SELECT card_number AS "cardNumber" FROM point_cards WHERE id = ${p.id}`,
)

/** Outbound webhook endpoints and their deliveries. */
export const webhooks = {
  insertEndpoint: async (
    db: Executor,
    e: { url: string; events: string; secret: string; by: string; at: number },
  ) => {
    const row = await db.get(insertEndpoint, e)
    if (!row) throw new Error('no id for the new webhook endpoint')
    return row.id
  },
  endpoint: (db: Executor, id: number) => db.get(endpointById, { id }),
  /** Endpoints not removed: id and events, for queueing an event. */
  active: (db: Executor) => db.all(activeEndpoints, {}),
  /** Endpoints not removed, with their deliveries' figures. */
  list: (db: Executor) => db.all(listEndpoints, {}),
  /** Removes an endpoint (its row stays); false when it was removed already. */
  remove: async (db: Executor, id: number, at: number) =>
    (await db.run(removeEndpoint, { id, at })) === 1,
  /** Queues a delivery; a second one of the same event to the same endpoint is dropped. */
  insertDelivery: (db: Executor, d: DeliveryInsert) => db.run(insertDelivery, d),
  /** An endpoint's latest deliveries, newest first. */
  deliveries: (db: Executor, endpointId: number, limit: number) =>
    db.all(deliveries, { endpointId, limit }),
  async claim(db: Executor, c: ClaimParams): Promise<ClaimedDelivery[]> {
    const rows = await db.all(db.dialect === 'postgres' ? claimSkipLocked : claim, c)
    return rows.sort((a, b) => a.id - b.id)
  },
  markDelivered: async (db: Executor, r: Ref & { at: number; status: number }) =>
    (await db.run(markDelivered, r)) === 1,
  reschedule: async (
    db: Executor,
    r: Ref & { next: number; status: number | null; error: string },
  ) => (await db.run(reschedule, r)) === 1,
  markFailed: async (db: Executor, r: Ref & { at: number; status: number | null; error: string }) =>
    (await db.run(markFailed, r)) === 1,
  /** Drops every claim (a database only one process uses, at its start). */
  releaseClaims: (db: Executor) => db.run(releaseClaims, {}),
  /** Deletes deliveries finished before `before`; how many. */
  purge: (db: Executor, before: number) => db.run(purge, { before }),
  cardNumber: async (db: Executor, cardId: number) =>
    (await db.get(cardNumberOf, { id: cardId }))?.cardNumber ?? null,
}
