import { z } from 'zod'
import { storeCodeSchema } from './admin-access.ts'

/**
 * POS integration: store API keys and outbound webhooks (docs/pos-integration.md). In the
 * OpenAPI document a key is the security scheme `posApiKey` (HTTP bearer).
 */

/**
 * What a POS API key may do. Each staff route names the scope it needs (server
 * `tillAuth('scan')`); `coupons` is for the coupon routes.
 */
export const API_KEY_SCOPES = ['scan', 'points', 'coupons'] as const
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number]

/** A key's label: 1 to 100 characters. */
export const apiKeyNameSchema = z.string().trim().min(1).max(100)

/** `POST /api/admin/api-keys` body. */
export const apiKeyCreateSchema = z.strictObject({
  storeCode: storeCodeSchema,
  name: apiKeyNameSchema,
  /** Default: every scope. */
  scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(API_KEY_SCOPES.length).optional(),
})

/** A key as listed (never the key itself). */
export interface ApiKeyItem {
  id: number
  /** The key's visible start, e.g. `mck_1a2b3c4d`. */
  prefix: string
  storeCode: string
  storeName: string | null
  name: string
  scopes: ApiKeyScope[]
  createdBy: string
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

/** The answer to creating a key: the key itself, shown this once. */
export interface ApiKeyCreated extends ApiKeyItem {
  key: string
}

/**
 * Events an outbound webhook may subscribe to. Add a type here and emit it from the server
 * (`webhooks.emit(tx, type, orderKey, data)`): nothing else needs to change.
 */
export const WEBHOOK_EVENT_TYPES = [
  'member.linked',
  'member.unlinked',
  'points.changed',
  'coupon.redeemed',
] as const
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

/** `POST /api/admin/webhooks` body. */
export const webhookCreateSchema = z.strictObject({
  url: z
    .string()
    .max(2000)
    .refine((u) => {
      if (!URL.canParse(u)) return false
      const p = new URL(u)
      return (
        (p.protocol === 'https:' || p.protocol === 'http:') &&
        p.username === '' &&
        p.password === ''
      )
    }, 'must be an http:// or https:// URL without credentials'),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length),
})

/** An endpoint as listed (the secret is shown only once, when created). */
export interface WebhookEndpointItem {
  id: number
  url: string
  events: WebhookEventType[]
  createdBy: string
  createdAt: string
  /** The last deliveries' outcome, for the list. */
  pending: number
  failed: number
  lastDeliveredAt: string | null
}

/** The answer to creating an endpoint: the signing secret, shown this once. */
export interface WebhookEndpointCreated extends WebhookEndpointItem {
  secret: string
}

/** One delivery of one event to one endpoint. */
export interface WebhookDeliveryItem {
  id: number
  eventId: string
  eventType: string
  status: 'pending' | 'delivered' | 'failed'
  attempts: number
  /** The HTTP status of the last attempt, null when none answered. */
  lastStatus: number | null
  lastError: string | null
  createdAt: string
  deliveredAt: string | null
  failedAt: string | null
  nextAttemptAt: string | null
}
