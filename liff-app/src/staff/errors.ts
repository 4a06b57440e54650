import { TillApiError } from './api.ts'

type Translate = (key: string, named?: Record<string, unknown>) => string

const KNOWN = new Set([
  'NETWORK',
  'INVALID_CREDENTIALS',
  'STAFF_AUTH_REQUIRED',
  'QR_EXPIRED',
  'QR_INVALID',
  'QR_ALREADY_USED',
  'INSUFFICIENT_POINTS',
  'IDEMPOTENCY_KEY_IN_USE',
  'IDEMPOTENCY_KEY_REUSED',
  'FORBIDDEN',
  'ALREADY_VOIDED',
  'VOID_WINDOW_PASSED',
  'TRANSACTION_NOT_FOUND',
  'NOT_VOIDABLE',
  'SERVICE_UNAVAILABLE',
  'VALIDATION_FAILED',
])

/** A message in the staff member's language that says what to do next. */
export function tillErrorMessage(t: Translate, err: unknown): string {
  if (!(err instanceof TillApiError)) return t('staff.errors.default')
  if (err.code === 'TOO_MANY_ATTEMPTS') {
    const minutes = Math.max(1, Math.ceil((err.retryAfterSeconds ?? 900) / 60))
    return t('staff.errors.TOO_MANY_ATTEMPTS', { minutes })
  }
  return KNOWN.has(err.code) ? t(`staff.errors.${err.code}`) : t('staff.errors.default')
}
