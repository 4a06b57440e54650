/**
 * The one list of error codes the API answers with, and the HTTP status each one carries.
 * The LIFF app maps every code to a Japanese and an English message.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  CARD_NUMBER_INVALID: 400,
  QR_INVALID: 400,
  IDEMPOTENCY_KEY_MISSING: 400,
  INVALID_ID_TOKEN: 401,
  ID_TOKEN_EXPIRED: 401,
  INVALID_CREDENTIALS: 401,
  STAFF_AUTH_REQUIRED: 401,
  INVALID_SIGNATURE: 401,
  TOTP_REQUIRED: 401,
  CONSENT_REQUIRED: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  NOT_LINKED: 404,
  TRANSACTION_NOT_FOUND: 404,
  CARD_NOT_FOUND: 404,
  COUPON_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CARD_ALREADY_LINKED: 409,
  ALREADY_LINKED: 409,
  IDEMPOTENCY_KEY_IN_USE: 409,
  ALREADY_VOIDED: 409,
  ALREADY_EXISTS: 409,
  LAST_ADMIN: 409,
  CONSENT_OUTDATED: 409,
  QR_ALREADY_USED: 409,
  /** A campaign already sent, failed or cancelled cannot be cancelled. */
  CAMPAIGN_ALREADY_FINISHED: 409,
  COUPON_ALREADY_USED: 409,
  QR_EXPIRED: 410,
  COUPON_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** Demo mode only: a `Host` that is neither loopback nor PUBLIC_URL's (DNS rebinding). */
  HOST_NOT_ALLOWED: 421,
  CARD_OR_PIN_WRONG: 422,
  INSUFFICIENT_POINTS: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  VOID_WINDOW_PASSED: 422,
  NOT_VOIDABLE: 422,
  /** A campaign would need more messages than the plan has left this month. */
  QUOTA_EXCEEDED: 422,
  REFUND_EXCEEDS_PURCHASE: 422,
  COUPON_CONDITION_NOT_MET: 422,
  TOO_MANY_ATTEMPTS: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const

/** Every error code of the API. */
export type ErrorCode = keyof typeof ERROR_STATUS

/** The body of every error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string }
}

/** True when `value` looks like the API's error body. */
export function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null) return false
  const error = (value as { error?: unknown }).error
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    (error as { code: string }).code in ERROR_STATUS
  )
}
