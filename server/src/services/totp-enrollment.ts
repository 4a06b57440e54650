import type { TotpEnrollment } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { DomainError } from '../domain/errors.ts'
import { staffAccounts } from '../repositories/staff.ts'
import { type AuditActor, recordAudit } from './audit.ts'
import { newTotpSecret, type TotpSealer, totpStep } from './totp.ts'

/** The code sent to confirm an enrollment is wrong, used, or there is nothing to confirm. */
export class TotpCodeWrong extends DomainError {
  constructor(message = 'This code is not right: enter the current code from your app.') {
    super('VALIDATION_FAILED', message)
  }
}

/**
 * Enrolling a TOTP second factor from the console: `enroll` makes a new secret (kept pending,
 * sealed; the only time it is shown), `confirm` checks a code of it and makes it the account's,
 * after which every sign-in needs a current code. Both are audit-logged (`totp.enroll`).
 */
export function createTotpEnrollment({
  db,
  clock,
  sealer,
  issuer,
}: {
  db: Database
  clock: Clock
  sealer: TotpSealer
  /** Shown in the authenticator app beside the account (the retailer's name). */
  issuer: string
}) {
  return {
    async enroll(by: AuditActor): Promise<TotpEnrollment> {
      const made = newTotpSecret(issuer, by.actor)
      await db.transaction(async (tx) => {
        await staffAccounts.setPendingTotp(tx, by.actor, sealer.seal(made.secret), clock.now())
        await recordAudit(tx, clock, {
          ...by,
          action: 'totp.enroll',
          target: `staff:${by.actor}`,
          detail: { stage: 'started' },
        })
      })
      return made
    },

    async confirm(by: AuditActor, code: string): Promise<void> {
      const state = await staffAccounts.totpState(db, by.actor)
      if (!state?.totpPendingSecret) {
        throw new TotpCodeWrong('Start the enrollment first: there is no code to confirm.')
      }
      const now = clock.now()
      const secret = sealer.open(state.totpPendingSecret)
      const step = await totpStep(secret, code, now, state.totpLastStep)
      if (step === null) throw new TotpCodeWrong()
      await db.transaction(async (tx) => {
        const pending = state.totpPendingSecret as string
        if (!(await staffAccounts.confirmTotp(tx, by.actor, pending, step, now))) {
          throw new TotpCodeWrong('The enrollment changed meanwhile: start it again.')
        }
        await recordAudit(tx, clock, {
          ...by,
          action: 'totp.enroll',
          target: `staff:${by.actor}`,
          detail: { stage: 'confirmed' },
        })
      })
    },
  }
}

export type TotpEnrollmentService = ReturnType<typeof createTotpEnrollment>
