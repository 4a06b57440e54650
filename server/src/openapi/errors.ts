import { ERROR_STATUS, type ErrorCode } from '@membercard/shared'
import type { OpenAPIV3_1 } from 'openapi-types'

/**
 * The error answers of the OpenAPI document: every code of `shared/src/errors.ts` with the
 * status it carries and an example message. A code added there without a message here still
 * appears (its message is then the code itself); the OpenAPI test asks for a message.
 */
export const ERROR_MESSAGES: Partial<Record<ErrorCode, string>> = {
  VALIDATION_FAILED: 'purchaseAmount: Too small: expected number to be >=1',
  CARD_NUMBER_INVALID: 'The card number is not a valid 16-digit card number.',
  QR_INVALID: 'The QR code is not a member card code.',
  IDEMPOTENCY_KEY_MISSING:
    'Send an Idempotency-Key header (a new random value per intended transaction).',
  INVALID_ID_TOKEN: 'The LINE ID token is not valid.',
  ID_TOKEN_EXPIRED: 'The LINE ID token has expired.',
  INVALID_CREDENTIALS: 'The staff ID or password is wrong.',
  STAFF_AUTH_REQUIRED: 'Staff sign-in is required.',
  INVALID_SIGNATURE: 'The signature does not match.',
  TOTP_REQUIRED: 'Send the current 6-digit code of your authenticator app.',
  CONSENT_REQUIRED: 'Consent is required to link a card.',
  FORBIDDEN: 'This is for head-office staff (operator or admin).',
  NOT_FOUND: 'No such route.',
  NOT_LINKED: 'No card is linked to this LINE account.',
  TRANSACTION_NOT_FOUND: 'No such transaction at this store.',
  CARD_NOT_FOUND: 'No such card.',
  METHOD_NOT_ALLOWED: 'Method not allowed.',
  CARD_ALREADY_LINKED: 'This card is linked to another LINE account.',
  ALREADY_LINKED: 'This LINE account already has a linked card.',
  IDEMPOTENCY_KEY_IN_USE:
    'A request with this Idempotency-Key is still being processed. Retry shortly.',
  ALREADY_VOIDED: 'This transaction has been voided already.',
  ALREADY_EXISTS: 'It exists already.',
  LAST_ADMIN: 'The last active admin cannot be removed, disabled or demoted.',
  CONSENT_OUTDATED: 'The consent shown is not the current version: reload and consent again.',
  QR_ALREADY_USED: 'This QR code has been used already: show a fresh one.',
  QR_EXPIRED: 'The QR code has expired: show a fresh one.',
  PAYLOAD_TOO_LARGE: 'The body is over 65536 bytes.',
  UNSUPPORTED_MEDIA_TYPE: 'Send JSON with Content-Type: application/json.',
  HOST_NOT_ALLOWED: 'This demo server answers only to its own host name.',
  CARD_OR_PIN_WRONG: 'The card number or PIN is wrong.',
  INSUFFICIENT_POINTS: 'The balance is too small for this.',
  IDEMPOTENCY_KEY_REUSED: 'This Idempotency-Key was used with a different request.',
  VOID_WINDOW_PASSED: 'The time to void this transaction has passed.',
  NOT_VOIDABLE: 'This kind of transaction cannot be voided.',
  REFUND_EXCEEDS_PURCHASE: 'The refunds would exceed the purchase amount.',
  TOO_MANY_ATTEMPTS: 'Too many attempts: try again later.',
  QUOTA_EXCEEDED:
    'This campaign would reach 1200 members, but only 800 messages are left this month.',
  CAMPAIGN_ALREADY_FINISHED: 'This campaign is sent already: it cannot be cancelled.',
  COUPON_NOT_FOUND: 'No such coupon for this member.',
  COUPON_ALREADY_USED: 'This coupon has been used already.',
  COUPON_EXPIRED: 'This coupon has expired or was ended by head office.',
  COUPON_CONDITION_NOT_MET: 'This coupon needs a purchase of ¥3,000 or more.',
  INTERNAL_ERROR: 'Something went wrong on our side.',
  SERVICE_UNAVAILABLE: 'Storage is unavailable. Try again shortly.',
}

/** `components.schemas.Error`: the one error body of the API. */
export const errorBodySchema: OpenAPIV3_1.SchemaObject = {
  type: 'object',
  description: 'Every error answer: a code from the list below and a message for people.',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
        message: { type: 'string' },
      },
    },
  },
}

/** The codes that are answered with `Retry-After`. */
const RETRY_AFTER: ReadonlySet<ErrorCode> = new Set([
  'TOO_MANY_ATTEMPTS',
  'IDEMPOTENCY_KEY_IN_USE',
  'SERVICE_UNAVAILABLE',
])

/**
 * The responses for a list of error codes: one response per status, whose examples are the
 * codes answered with it (by name), and whose description lists them.
 */
export function errorResponses(
  codes: Iterable<ErrorCode>,
): Record<string, OpenAPIV3_1.ResponseObject> {
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of new Set(codes)) {
    const status = ERROR_STATUS[code]
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  const out: Record<string, OpenAPIV3_1.ResponseObject> = {}
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const examples: Record<string, OpenAPIV3_1.ExampleObject> = {}
    for (const code of list) {
      examples[code] = {
        summary: code,
        value: { error: { code, message: ERROR_MESSAGES[code] ?? code } },
      }
    }
    const response: OpenAPIV3_1.ResponseObject = {
      description: list.map((code) => `\`${code}\``).join(', '),
      content: {
        'application/json': {
          schema: {
            allOf: [{ $ref: '#/components/schemas/Error' }],
            properties: { error: { properties: { code: { enum: list } } } },
          },
          examples,
        },
      },
    }
    if (list.some((code) => RETRY_AFTER.has(code))) {
      response.headers = {
        'Retry-After': {
          description: 'Seconds to wait before trying again.',
          schema: { type: 'integer', minimum: 0 },
        },
      }
    }
    out[String(status)] = response
  }
  return out
}
