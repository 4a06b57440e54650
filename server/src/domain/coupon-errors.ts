import { DomainError } from './errors.ts'

/** No such coupon, or (a member coupon) not the member's own. */
export class CouponNotFound extends DomainError {
  constructor(message = 'No such coupon.') {
    super('COUPON_NOT_FOUND', message)
  }
}

/** The member's copy has no use left. */
export class CouponAlreadyUsed extends DomainError {
  constructor(message = 'This coupon has already been used.') {
    super('COUPON_ALREADY_USED', message)
  }
}

/** Every use the coupon allows in total has been taken (docs/decisions/082). */
export class CouponLimitReached extends DomainError {
  constructor(totalLimit: number) {
    super('COUPON_ALREADY_USED', `This coupon has run out: all ${totalLimit} uses are taken.`)
  }
}

/** Past the member copy's end. */
export class CouponExpired extends DomainError {
  constructor(message = 'This coupon has expired.') {
    super('COUPON_EXPIRED', message)
  }
}

/** Ended early by head office (docs/decisions/082: answered as 410 COUPON_EXPIRED). */
export class CouponEnded extends DomainError {
  constructor() {
    super('COUPON_EXPIRED', 'This coupon was ended by head office and can no longer be used.')
  }
}

/** Not valid here or now, or the purchase is under its minimum. */
export class CouponConditionNotMet extends DomainError {
  constructor(message: string) {
    super('COUPON_CONDITION_NOT_MET', message)
  }
}

/** A coupon definition the server refuses (dates, stores, follow-up). */
export class CouponInvalid extends DomainError {
  constructor(message: string) {
    super('VALIDATION_FAILED', message)
  }
}
