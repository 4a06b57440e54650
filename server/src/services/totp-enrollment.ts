import type { RecoveryCodeStatus, RecoveryCodes, TotpEnrollment } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { DomainError } from '../domain/errors.ts'
import { recoveryCodes } from '../repositories/recovery-codes.ts'
import { staffAccounts } from '../repositories/staff.ts'
import { type AuditActor, recordAudit } from './audit.ts'
import { makeRecoveryCodes, RECOVERY_CODE_COUNT, storeRecoveryCodes } from './recovery-codes.ts'
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
 * after which every sign-in needs a current code, and answers the account's new recovery codes
 * (decision 093; shown this once). Both are audit-logged (`totp.enroll`). `regenerateCodes`
 * (with a current code) replaces the recovery codes (`totp.recoveryCodes`); `codeStatus` says
 * how many are left.
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

    async confirm(by: AuditActor, code: string): Promise<RecoveryCodes> {
      const state = await staffAccounts.totpState(db, by.actor)
      if (!state?.totpPendingSecret) {
        throw new TotpCodeWrong('Start the enrollment first: there is no code to confirm.')
      }
      const now = clock.now()
      const secret = sealer.open(state.totpPendingSecret)
      const step = await totpStep(secret, code, now, state.totpLastStep)
      if (step === null) throw new TotpCodeWrong()
      const made = await makeRecoveryCodes()
      await db.transaction(async (tx) => {
        const pending = state.totpPendingSecret as string
        if (!(await staffAccounts.confirmTotp(tx, by.actor, pending, step, now))) {
          throw new TotpCodeWrong('The enrollment changed meanwhile: start it again.')
        }
        await storeRecoveryCodes(tx, by.actor, made, now)
        await recordAudit(tx, clock, {
          ...by,
          action: 'totp.enroll',
          target: `staff:${by.actor}`,
          detail: { stage: 'confirmed', recoveryCodes: RECOVERY_CODE_COUNT },
        })
      })
      return { recoveryCodes: made.codes }
    },

    /**
     * New recovery codes for an enrolled account, proven with a current TOTP code (taken: not
     * accepted again); every earlier code stops working.
     */
    async regenerateCodes(by: AuditActor, code: string): Promise<RecoveryCodes> {
      const state = await staffAccounts.totpState(db, by.actor)
      if (!state?.totpSecret) {
        throw new TotpCodeWrong('Enroll the authenticator app first: recovery codes come with it.')
      }
      const now = clock.now()
      const step = await totpStep(sealer.open(state.totpSecret), code, now, state.totpLastStep)
      if (step === null) throw new TotpCodeWrong()
      const made = await makeRecoveryCodes()
      await db.transaction(async (tx) => {
        if (!(await staffAccounts.takeTotpStep(tx, by.actor, step))) throw new TotpCodeWrong()
        await storeRecoveryCodes(tx, by.actor, made, now)
        await recordAudit(tx, clock, {
          ...by,
          action: 'totp.recoveryCodes',
          target: `staff:${by.actor}`,
          detail: { stage: 'regenerated', recoveryCodes: RECOVERY_CODE_COUNT },
        })
      })
      return { recoveryCodes: made.codes }
    },

    /** How many recovery codes the account has left. */
    async codeStatus(staffId: string): Promise<RecoveryCodeStatus> {
      const s = await recoveryCodes.status(db, staffId)
      return {
        remaining: s.remaining,
        generatedAt: s.createdAt === null ? null : new Date(Number(s.createdAt)).toISOString(),
      }
    },
  }
}

export type TotpEnrollmentService = ReturnType<typeof createTotpEnrollment>
