import type { Operations } from '../describe.ts'
import * as s from '../schemas.ts'

const KEY = {
  id: 4,
  prefix: 'mck_1a2b3c4d',
  storeCode: 'S001',
  storeName: '渋谷店',
  name: 'スマレジ 1号機',
  scopes: ['scan', 'points'],
  createdBy: 'hq-admin',
  createdAt: '2026-11-30T01:00:00.000Z',
  lastUsedAt: '2026-11-30T02:10:00.000Z',
  revokedAt: null,
}
const ENDPOINT = {
  id: 2,
  url: 'https://crm.example.jp/hooks/membercard',
  events: ['member.linked', 'points.changed'],
  createdBy: 'hq-admin',
  createdAt: '2026-11-30T01:00:00.000Z',
  pending: 0,
  failed: 0,
  lastDeliveredAt: '2026-11-30T02:10:01.000Z',
}

/** POS integration in the console: store API keys and outbound webhooks (admin only). */
export const integrationOperations = {
  'GET /api/admin/api-keys': {
    summary: 'Every POS API key (admin only)',
    description: 'Keys are listed by their visible prefix; the key itself is never shown again.',
    tag: 'Console',
    auth: 'admin',
    ok: { status: 200, description: 'The keys.', schema: s.apiKeys, example: { items: [KEY] } },
  },
  'POST /api/admin/api-keys': {
    summary: 'Create a POS API key for a store (admin only)',
    description:
      'The answer carries the key once: it acts as a till of the store on the staff routes its ' +
      'scopes allow (`Authorization: Bearer <key>`, security scheme `posApiKey`).',
    tag: 'Console',
    auth: 'admin',
    requestExample: { storeCode: 'S001', name: 'スマレジ 1号機', scopes: ['scan', 'points'] },
    ok: {
      status: 201,
      description: 'Created; the key is shown this once.',
      schema: s.apiKeyCreated,
      example: { ...KEY, lastUsedAt: null, key: 'mck_1a2b3c4d_…' },
    },
    errors: ['NOT_FOUND'],
  },
  'POST /api/admin/api-keys/{id}/revoke': {
    summary: 'Revoke a POS API key at once, on every instance (admin only)',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The key, revoked.',
      schema: s.apiKey,
      example: { ...KEY, revokedAt: '2026-11-30T03:00:00.000Z' },
    },
    errors: ['NOT_FOUND'],
  },
  'GET /api/admin/webhooks': {
    summary: 'Every outbound webhook endpoint (admin only)',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The endpoints, with their pending and failed deliveries.',
      schema: s.webhookEndpoints,
      example: { items: [ENDPOINT] },
    },
  },
  'POST /api/admin/webhooks': {
    summary: 'Register an outbound webhook endpoint (admin only)',
    description:
      'Events are sent as JSON `{id, type, createdAt, data}` signed in `X-Membercard-Signature` ' +
      '(docs/pos-integration.md). Private and loopback targets are refused.',
    tag: 'Console',
    auth: 'admin',
    requestExample: { url: ENDPOINT.url, events: ENDPOINT.events },
    ok: {
      status: 201,
      description: 'Registered; the signing secret is shown this once.',
      schema: s.webhookEndpointCreated,
      example: { ...ENDPOINT, lastDeliveredAt: null, secret: 'whsec_…' },
    },
  },
  'DELETE /api/admin/webhooks/{id}': {
    summary: 'Remove an outbound webhook endpoint (admin only)',
    tag: 'Console',
    auth: 'admin',
    ok: { status: 204, description: 'Removed: nothing more is delivered to it.' },
    errors: ['NOT_FOUND'],
  },
  'GET /api/admin/webhooks/{id}/deliveries': {
    summary: 'The last deliveries to an endpoint (admin only)',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'Deliveries, newest first (never their bodies).',
      schema: s.webhookDeliveries,
      example: {
        items: [
          {
            id: 91,
            eventId: 'evt_8f2c…',
            eventType: 'points.changed',
            status: 'delivered',
            attempts: 1,
            lastStatus: 200,
            lastError: null,
            createdAt: '2026-11-30T02:10:00.000Z',
            deliveredAt: '2026-11-30T02:10:01.000Z',
            failedAt: null,
            nextAttemptAt: null,
          },
        ],
      },
    },
    errors: ['NOT_FOUND'],
  },
  'POST /api/admin/webhooks/{id}/test': {
    summary: 'Send a test event to an endpoint (admin only)',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 202,
      description: 'Queued for delivery.',
      schema: s.webhookTestSent,
      example: { eventId: 'evt_test_1c9e…' },
    },
    errors: ['NOT_FOUND'],
  },
} satisfies Operations
