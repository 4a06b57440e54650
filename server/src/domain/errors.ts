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

export class TooManyAttempts extends DomainError {
  constructor(retryAfterSeconds: number) {
    super(
      'TOO_MANY_ATTEMPTS',
      `Too many failed attempts. Try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s).`,
      retryAfterSeconds,
    )
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
