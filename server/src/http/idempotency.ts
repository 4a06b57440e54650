import { createMiddleware } from 'hono/factory'
import {
  type IdempotencyClaim,
  type IdempotencyStore,
  requestFingerprint,
} from '../services/idempotency.ts'
import { afterCommitFaultHook } from '../test-fault-hook.ts'
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
 * behind and the same key can be retried. A repeat that arrives while the first is still
 * being handled by this process (e.g. waiting for its group commit) gets 409
 * `IDEMPOTENCY_KEY_IN_USE` with `Retry-After: 1`; one racing it from another process on the
 * same database gets the stored answer (the claim re-checks inside the transaction and throws
 * `IdempotentReplay`, which the app's error handler answers).
 */
export function idempotencyKey(
  store: IdempotencyStore,
  /** Whose keys these are: the till's store's, or (the console) each signed-in account's. */
  scopeKind: 'store' | 'account' = 'store',
) {
  /** Keys being handled by this process: scope, newline, key. */
  const inFlight = new Set<string>()
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
      const scope =
        scopeKind === 'store' ? c.get('staff').storeCode : `admin:${c.get('principal').staffId}`
      const hash = requestFingerprint(c.req.method, c.req.path, await c.req.text())
      const outcome = await store.check(scope, key, hash)
      if (outcome.kind === 'replay') {
        c.header('Idempotent-Replayed', 'true')
        c.header('Content-Type', 'application/json')
        return c.body(outcome.body, outcome.status as 200)
      }
      const id = `${scope}\n${key}`
      if (inFlight.has(id)) {
        throw new ApiError(
          'IDEMPOTENCY_KEY_IN_USE',
          'A request with this Idempotency-Key is still being processed. Retry shortly.',
          { 'Retry-After': '1' },
        )
      }
      inFlight.add(id)
      c.set('idempotency', outcome.claim)
      try {
        await next()
        // A 200 means the change has committed; the answer is not written yet.
        if (c.res.status === 200) afterCommitFaultHook(key)
      } finally {
        inFlight.delete(id)
      }
    },
  )
}
