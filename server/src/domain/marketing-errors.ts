import { DomainError } from './errors.ts'

/** A campaign would need more messages than the plan has left this month. */
export class QuotaExceeded extends DomainError {
  constructor(
    readonly reachable: number,
    readonly remaining: number,
  ) {
    super(
      'QUOTA_EXCEEDED',
      `This campaign would reach ${reachable} members, but only ${remaining} messages are left this month: it can reach at most ${remaining}. Narrow the segment or wait for next month's quota.`,
    )
  }
}

/** A campaign already finished (sent, failed or cancelled) cannot be cancelled. */
export class CampaignFinished extends DomainError {
  constructor(status: string) {
    super(
      'CAMPAIGN_ALREADY_FINISHED',
      `This campaign is ${status} already: it cannot be cancelled.`,
    )
  }
}

/** LINE did not answer (or answered an error) where an answer is needed now. */
export class LineUnavailable extends DomainError {
  constructor(what: string) {
    super('SERVICE_UNAVAILABLE', `LINE's ${what} could not be read. Try again shortly.`, 5)
  }
}

/** LINE's validation endpoint refused the message objects; its explanation is the message. */
export class MessagesInvalid extends DomainError {
  constructor(explanation: string) {
    super('VALIDATION_FAILED', `LINE refused the messages: ${explanation}`)
  }
}
