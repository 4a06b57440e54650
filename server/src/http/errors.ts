import { ERROR_STATUS } from '@membercard/shared'
import type { Context } from 'hono'
import { isUnavailable } from '../db/errors.ts'
import { DomainError } from '../domain/errors.ts'
import { IdempotentReplay } from '../services/idempotency.ts'
import { ApiError, errorBody } from './api-error.ts'

/**
 * The one place where errors become HTTP answers: a domain error gets its code's status (and
 * `Retry-After` where trying again makes sense), an unavailable database a 503 with
 * `Retry-After`, a replayed Idempotency-Key the stored answer. Anything else is not handled
 * here (undefined): the caller answers it as a bug.
 */
export function answerError(err: unknown, c: Context): Response | undefined {
  if (err instanceof IdempotentReplay) {
    // Another request stored the answer for this Idempotency-Key first.
    c.header('Idempotent-Replayed', 'true')
    c.header('Content-Type', 'application/json')
    return c.body(err.body, err.status as 200)
  }
  if (err instanceof DomainError) {
    if (err.retryAfterSeconds !== undefined) c.header('Retry-After', String(err.retryAfterSeconds))
    return c.json(errorBody(err.code, err.message), ERROR_STATUS[err.code])
  }
  if (err instanceof ApiError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v)
    return c.json(errorBody(err.code, err.message), err.status)
  }
  if (isUnavailable(err)) {
    c.header('Retry-After', '5')
    return c.json(
      errorBody('SERVICE_UNAVAILABLE', 'Storage is unavailable. Try again shortly.'),
      503,
    )
  }
  return undefined
}
