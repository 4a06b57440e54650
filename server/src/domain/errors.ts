import type { ErrorCode } from '@membercard/shared'

/**
 * A broken business rule, named in the contract's vocabulary (its error code) and explained
 * for the person who can fix it. Services throw these and know nothing of HTTP; the HTTP edge
 * (http/errors.ts) answers each with its code's status.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** When trying again makes sense, in seconds (rate limits). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message)
    this.name = new.target.name
  }
}

export class CardNumberInvalid extends DomainError {
  constructor(problem: 'format' | 'checkDigit') {
    super(
      'CARD_NUMBER_INVALID',
      problem === 'format'
        ? 'A card number has 16 digits.'
        : 'This card number is not valid: check the digits.',
    )
  }
}

export class ConsentRequired extends DomainError {
  constructor(what = 'link the card') {
    super('CONSENT_REQUIRED', `Consent is required to ${what}.`)
  }
}

/** The consent was given to a text other than the server's current `CONSENT_VERSION`. */
export class ConsentOutdated extends DomainError {
  constructor() {
    super(
      'CONSENT_OUTDATED',
      'The terms have changed. Read the current terms and give your consent again.',
    )
  }
}

export class AlreadyLinked extends DomainError {
  constructor(message = 'This LINE account is already linked to a card.') {
    super('ALREADY_LINKED', message)
  }
}

export class CardAlreadyLinked extends DomainError {
  constructor() {
    super('CARD_ALREADY_LINKED', 'This card is already linked to another LINE account.')
  }
}

export class CardOrPinWrong extends DomainError {
  constructor() {
    super('CARD_OR_PIN_WRONG', 'The card number or the PIN is wrong.')
  }
}

/** A wait in words: minutes under 90 minutes, hours after that. */
function waitInWords(seconds: number): string {
  const minutes = Math.ceil(seconds / 60)
  if (minutes < 90) return `${minutes} minute(s)`
  return `about ${Math.round(minutes / 60)} hour(s)`
}

export class TooManyAttempts extends DomainError {
  /** `advice`: what else the person can do (e.g. ask the store), appended to the message. */
  constructor(retryAfterSeconds: number, advice?: string) {
    super(
      'TOO_MANY_ATTEMPTS',
      `Too many failed attempts. Try again in ${waitInWords(retryAfterSeconds)}.${advice ? ` ${advice}` : ''}`,
      retryAfterSeconds,
    )
  }
}

export class PinMalformed extends DomainError {
  constructor() {
    super('VALIDATION_FAILED', 'A PIN has 4 digits.')
  }
}

export class NotLinked extends DomainError {
  constructor() {
    super('NOT_LINKED', 'This LINE account is not linked.')
  }
}

export class InsufficientPoints extends DomainError {
  constructor(message = 'The balance is too low for this.') {
    super('INSUFFICIENT_POINTS', message)
  }
}

export class QrExpired extends DomainError {
  constructor() {
    super('QR_EXPIRED', 'This QR code has expired. Ask the customer to show the card again.')
  }
}

export class QrInvalid extends DomainError {
  constructor(message = 'This is not a member QR code.') {
    super('QR_INVALID', message)
  }
}

/** A QR token already used for a redemption, or already scanned at another store. */
export class QrAlreadyUsed extends DomainError {
  constructor(
    message = 'This QR code has already been used. Ask the customer to show a fresh code.',
  ) {
    super('QR_ALREADY_USED', message)
  }
}

export class Forbidden extends DomainError {
  constructor(message: string) {
    super('FORBIDDEN', message)
  }
}

export class TransactionNotFound extends DomainError {
  constructor() {
    super('TRANSACTION_NOT_FOUND', 'No such transaction at this store.')
  }
}

export class NotVoidable extends DomainError {
  constructor(type: string) {
    super('NOT_VOIDABLE', `A ${type} entry cannot be voided.`)
  }
}

/** Refunds summed against an award would pass its purchase amount. */
export class RefundExceedsPurchase extends DomainError {
  constructor(remaining: number) {
    super(
      'REFUND_EXCEEDS_PURCHASE',
      remaining > 0
        ? `At most ${remaining} yen of this purchase is left to refund.`
        : 'This purchase has already been refunded in full.',
    )
  }
}

/** An award with refunds cannot be voided (its points are partly taken back already). */
export class RefundedNotVoidable extends DomainError {
  constructor() {
    super(
      'NOT_VOIDABLE',
      'This purchase has been partly refunded, so it cannot be voided. Refund the rest instead.',
    )
  }
}

export class AlreadyVoided extends DomainError {
  constructor() {
    super('ALREADY_VOIDED', 'This transaction has already been voided.')
  }
}

export class VoidWindowPassed extends DomainError {
  constructor() {
    super(
      'VOID_WINDOW_PASSED',
      'This transaction is too old to void. Make an adjustment with a reason instead.',
    )
  }
}

export class CardNotFound extends DomainError {
  constructor() {
    super('CARD_NOT_FOUND', 'No member card has this number.')
  }
}

export class IdempotencyKeyReused extends DomainError {
  constructor() {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used for a different request. Use a new key.',
    )
  }
}

export class InvalidCredentials extends DomainError {
  constructor() {
    super('INVALID_CREDENTIALS', 'The staff ID or the password is wrong.')
  }
}

export class StaffAuthRequired extends DomainError {
  constructor(message = 'Sign in as staff first.') {
    super('STAFF_AUTH_REQUIRED', message)
  }
}

export class IdempotencyKeyInUse extends DomainError {
  constructor() {
    super(
      'IDEMPOTENCY_KEY_IN_USE',
      'A request with this Idempotency-Key is still being processed. Retry shortly.',
      1,
    )
  }
}

/** The sign-in link of the account-link flow is unknown or past its 10 minutes. */
export class LinkTokenExpired extends DomainError {
  constructor() {
    super('NOT_FOUND', 'This sign-in link has expired.')
  }
}

/** Why a sign-in with LINE Login on the web did not start a session. */
export type WebLoginRefusal =
  /** The callback came without a `state`. */
  | 'state_missing'
  /** No sign-in was started with this `state` (or it was purged long ago). */
  | 'state_unknown'
  /** The `state` was used already (a reload, the back button, a replay). */
  | 'state_used'
  /** The sign-in was started too long ago. */
  | 'state_expired'
  /** The `state` was started in another browser (its binding cookie does not match). */
  | 'other_browser'
  /** The user cancelled at LINE (`error=access_denied`). */
  | 'cancelled'
  /** LINE answered the callback with another error. */
  | 'authorization_error'
  /** LINE refused the code exchange. */
  | 'token_rejected'
  /** The ID token did not verify (signature, issuer, audience, times). */
  | 'id_token_invalid'
  /** The ID token's nonce is not the one this sign-in sent. */
  | 'nonce_mismatch'
  /** LINE could not be reached. */
  | 'unavailable'
  /** Too many sign-ins were started from this client address in the last minute. */
  | 'too_many'

/**
 * A refused web sign-in. Not a `DomainError`: its answer is a page for a person, not an API
 * error code. `nextPath` is where the page's way back leads (the sign-in's `next` when known).
 */
export class WebLoginRefused extends Error {
  constructor(
    readonly reason: WebLoginRefusal,
    readonly nextPath = '/',
  ) {
    super(`web sign-in refused: ${reason}`)
    this.name = 'WebLoginRefused'
  }
}

/** A dashboard period the API does not answer (dates, order, length). */
export class InvalidPeriod extends DomainError {
  constructor(message: string) {
    super('VALIDATION_FAILED', message)
  }
}

/** The member (card) asked for does not exist. */
export class MemberNotFound extends DomainError {
  constructor() {
    super('CARD_NOT_FOUND', 'No member has this card ID.')
  }
}

/** The account has enrolled a second factor, and the code is missing, wrong or used already. */
export class TotpRequired extends DomainError {
  constructor() {
    super('TOTP_REQUIRED', 'Enter the current 6-digit code from your authenticator app.')
  }
}

/** The change would leave no enabled admin. */
export class LastAdmin extends DomainError {
  constructor(what: string) {
    super('LAST_ADMIN', `The last enabled admin cannot be ${what}: make another admin first.`)
  }
}

/** A record with this key exists already. */
export class AlreadyExists extends DomainError {
  constructor(message: string) {
    super('ALREADY_EXISTS', message)
  }
}

/** No such record. */
export class NotFound extends DomainError {
  constructor(message: string) {
    super('NOT_FOUND', message)
  }
}

/** An uploaded file over the size an import accepts. */
export class ImportFileTooLarge extends DomainError {
  constructor(maxBytes: number) {
    super('PAYLOAD_TOO_LARGE', `The file is over ${maxBytes} bytes: split it and import each part.`)
  }
}

/** Too many requests in a short time (a POS API key's rate): try again in `seconds`. */
export class RateLimited extends DomainError {
  constructor(message: string, seconds = 1) {
    super('TOO_MANY_ATTEMPTS', message, seconds)
  }
}

/** A webhook URL this server will not call (a private or loopback address, a bad scheme). */
export class WebhookTargetRefused extends DomainError {
  constructor(message: string) {
    super('VALIDATION_FAILED', message)
  }
}

/** An import's upload that ended before its end (the client went away, or took too long). */
export class ImportUploadBroken extends DomainError {
  constructor() {
    super('VALIDATION_FAILED', 'The upload broke off before its end: upload the file again.')
  }
}
