import { createMiddleware } from 'hono/factory'
import {
  type IdempotencyClaim,
  type IdempotencyStore,
  requestFingerprint,
} from '../services/idempotency.ts'
import { ApiError } from './api-error.ts'
import type { AppVariables } from './middleware.ts'

/** Variables the idempotency middleware sets. */
export interface IdempotencyVariables {
  idempotency: IdempotencyClaim
}

/** A key: 1–255 visible ASCII characters (an sf-string's quotes are accepted and removed). */
const KEY = /^[\x21-\x7e]{1,255}$/

/**
 * `Idempotency-Key` on a mutating staff route. Must follow `staffAuth`: keys are scoped to the
 * staff member's store. A first request is claimed and handed to the handler, which completes
 * the claim in the transaction of its change; a repeat with the same body gets the first
 * answer (with `Idempotent-Replayed: true`); a failed request gives its key back.
 */
export function idempotencyKey(store: IdempotencyStore) {
  return createMiddleware<{ Variables: AppVariables & IdempotencyVariables }>(
    async function idempotencyKeyMiddleware(c, next) {
      let key = c.req.header('Idempotency-Key')?.trim()
      if (key?.startsWith('"') && key.endsWith('"') && key.length >= 2) key = key.slice(1, -1)
      if (!key) {
        throw new ApiError(
          'IDEMPOTENCY_KEY_MISSING',
          'Send an Idempotency-Key header (a new random value per intended transaction).',
        )
      }
      if (!KEY.test(key)) {
        throw new ApiError(
          'VALIDATION_FAILED',
          'Idempotency-Key: 1 to 255 visible ASCII characters (a UUID is ideal).',
        )
      }
      const scope = c.get('staff').storeCode
      const hash = requestFingerprint(c.req.method, c.req.path, await c.req.text())
      const outcome = store.claim(scope, key, hash)
      if (outcome.kind === 'replay') {
        c.header('Idempotent-Replayed', 'true')
        c.header('Content-Type', 'application/json')
        return c.body(outcome.body, outcome.status as 200)
      }
      c.set('idempotency', outcome.claim)
      try {
        await next()
      } finally {
        // Anything but a completed success gives the key back; a completed claim is untouched.
        if (c.error || c.res.status >= 400) store.release(scope, key)
      }
    },
  )
}
