import type { ErrorCode } from '@membercard/shared/errors'
import type { StaffMessages } from './messages.ts'

/** Failures the till finds itself: no answer came, or the camera could not be used. */
/** `CARD_LOOKUP_LIMIT`: the card-number path's `TOO_MANY_ATTEMPTS` (decision 092). */
type LocalCode = 'NETWORK' | 'CAMERA_DENIED' | 'CAMERA_UNAVAILABLE' | 'CARD_LOOKUP_LIMIT'

/**
 * The coupon codes of the contract. Listed here as well until the shared list carries them
 * (the coupon routes' branch adds them there); then this union adds nothing.
 */
type CouponCode =
  | 'COUPON_NOT_FOUND'
  | 'COUPON_ALREADY_USED'
  | 'COUPON_EXPIRED'
  | 'COUPON_CONDITION_NOT_MET'

/** Every code the till can show a message for. */
export type TillErrorCode = ErrorCode | LocalCode | CouponCode

/** A failure as the till's screens keep it: its code, and how long to wait when it said. */
export interface TillFailure {
  code: TillErrorCode
  retryAfterSeconds?: number | null
}

type MessageKey = keyof StaffMessages['errors']

/**
 * The one mapping from error codes to the till's messages. It is keyed on the shared error
 * list, so a code added there fails the typecheck until someone decides what the clerk reads.
 * Codes the till cannot meet in normal use say "try again, then ask a manager" (`default`).
 */
const MESSAGE_OF: Record<TillErrorCode, MessageKey> = {
  NETWORK: 'NETWORK',
  CAMERA_DENIED: 'CAMERA_DENIED',
  CAMERA_UNAVAILABLE: 'CAMERA_UNAVAILABLE',
  CARD_LOOKUP_LIMIT: 'CARD_LOOKUP_LIMIT',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  CARD_NUMBER_INVALID: 'CARD_NUMBER_INVALID',
  QR_INVALID: 'QR_INVALID',
  QR_EXPIRED: 'QR_EXPIRED',
  QR_ALREADY_USED: 'QR_ALREADY_USED',
  CAMPAIGN_ALREADY_FINISHED: 'default',
  QUOTA_EXCEEDED: 'default',
  NOT_LINKED: 'QR_INVALID',
  IDEMPOTENCY_KEY_MISSING: 'default',
  IDEMPOTENCY_KEY_IN_USE: 'IDEMPOTENCY_KEY_IN_USE',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  INVALID_ID_TOKEN: 'default',
  ID_TOKEN_EXPIRED: 'default',
  INVALID_SIGNATURE: 'default',
  CONSENT_REQUIRED: 'default',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  STAFF_AUTH_REQUIRED: 'STAFF_AUTH_REQUIRED',
  TOO_MANY_ATTEMPTS: 'TOO_MANY_ATTEMPTS',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'default',
  CARD_NOT_FOUND: 'CARD_NOT_FOUND',
  TRANSACTION_NOT_FOUND: 'TRANSACTION_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'default',
  CARD_ALREADY_LINKED: 'default',
  ALREADY_LINKED: 'default',
  ALREADY_VOIDED: 'ALREADY_VOIDED',
  VOID_WINDOW_PASSED: 'VOID_WINDOW_PASSED',
  NOT_VOIDABLE: 'NOT_VOIDABLE',
  REFUND_EXCEEDS_PURCHASE: 'REFUND_EXCEEDS_PURCHASE',
  PAYLOAD_TOO_LARGE: 'default',
  UNSUPPORTED_MEDIA_TYPE: 'default',
  CARD_OR_PIN_WRONG: 'default',
  INSUFFICIENT_POINTS: 'INSUFFICIENT_POINTS',
  INTERNAL_ERROR: 'default',
  HOST_NOT_ALLOWED: 'default',
  TOTP_REQUIRED: 'default',
  CONSENT_OUTDATED: 'default',
  ALREADY_EXISTS: 'default',
  LAST_ADMIN: 'default',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  COUPON_NOT_FOUND: 'COUPON_NOT_FOUND',
  COUPON_ALREADY_USED: 'COUPON_ALREADY_USED',
  COUPON_EXPIRED: 'COUPON_EXPIRED',
  COUPON_CONDITION_NOT_MET: 'COUPON_CONDITION_NOT_MET',
}

type Translate = (key: string, named?: Record<string, unknown>) => string

/** The failure a thrown value stands for (anything unknown is `INTERNAL_ERROR`). */
export function tillFailure(err: unknown): TillFailure {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code
    if (typeof code === 'string' && Object.hasOwn(MESSAGE_OF, code)) {
      const retry = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds
      return {
        code: code as TillErrorCode,
        retryAfterSeconds: typeof retry === 'number' ? retry : null,
      }
    }
  }
  return { code: 'INTERNAL_ERROR' }
}

/** A message in the staff member's language that says what to do next. */
export function tillErrorMessage(t: Translate, err: unknown): string {
  const failure = tillFailure(err)
  const key = MESSAGE_OF[failure.code]
  if (key === 'TOO_MANY_ATTEMPTS' || key === 'CARD_LOOKUP_LIMIT') {
    const minutes = Math.max(1, Math.ceil((failure.retryAfterSeconds ?? 900) / 60))
    return t(`staff.errors.${key}`, { minutes })
  }
  return t(`staff.errors.${key}`)
}
