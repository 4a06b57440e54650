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
 * staff member's store. A repeat with the same body gets the first answer (with
 * `Idempotent-Replayed: true`); a first request is handed to the handler, which enters and
 * completes its claim in the transaction of its change, so a failed request leaves nothing
 * behind and the same key can be retried. A repeat racing the first (in this process or
 * another on the same database) also gets the first answer: the claim re-checks inside the
 * transaction and throws `IdempotentReplay`, which the app's error handler answers. So the
 * contract's 409 `IDEMPOTENCY_KEY_IN_USE` is never needed: no request waits on another.
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
      const hash = requestFingerprint(c.req.method, c.req.path, await c.req.text())
      const outcome = store.check(c.get('staff').storeCode, key, hash)
      if (outcome.kind === 'replay') {
        c.header('Idempotent-Replayed', 'true')
        c.header('Content-Type', 'application/json')
        return c.body(outcome.body, outcome.status as 200)
      }
      c.set('idempotency', outcome.claim)
      await next()
    },
  )
}
