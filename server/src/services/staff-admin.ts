import {
  type AdminStaff,
  type AdminStore,
  roleNeedsStore,
  type StaffRole,
} from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database, Tx } from '../db/seam.ts'
import { AlreadyExists, DomainError, LastAdmin, NotFound } from '../domain/errors.ts'
import { recoveryCodes } from '../repositories/recovery-codes.ts'
import { staffAccounts } from '../repositories/staff.ts'
import { staffSessions } from '../repositories/staff-sessions.ts'
import { stores } from '../repositories/stores.ts'
import { type AuditActor, recordAudit } from './audit.ts'
import { hashPassword } from './password.ts'

/** A change of an account's role, store or state; what is left out stays. */
export interface StaffPatch {
  role?: StaffRole | undefined
  storeCode?: string | null | undefined
  disabled?: boolean | undefined
}

/** A store or account change that breaks a rule the request could not know. */
export class StaffChangeInvalid extends DomainError {
  constructor(message: string) {
    super('VALIDATION_FAILED', message)
  }
}

function storeOf(r: { code: string; name: string; deactivatedAt: number | null }): AdminStore {
  return { code: r.code, name: r.name, active: r.deactivatedAt === null }
}

function staffOf(r: {
  staffId: string
  role: StaffRole
  storeCode: string | null
  disabledAt: number | null
  totpEnrolled: number
  lastSignInAt: number | null
}): AdminStaff {
  return {
    staffId: r.staffId,
    role: r.role,
    storeCode: r.storeCode,
    disabled: r.disabledAt !== null,
    totpEnrolled: Number(r.totpEnrolled) === 1,
    lastSignInAt: r.lastSignInAt === null ? null : new Date(r.lastSignInAt).toISOString(),
  }
}

/**
 * Head office's management of stores and staff accounts (admin only; the routes check). Every
 * change is audit-logged in its own transaction. Disabling, removing or resetting the password
 * of an account revokes its sessions in the database, so every instance refuses them at once.
 * The last enabled admin cannot be disabled, demoted or removed (`LastAdmin`).
 */
export function createStaffAdmin({ db, clock }: { db: Database; clock: Clock }) {
  /** Refuses a change that would leave no enabled admin; on PostgreSQL locks the admins' rows. */
  async function keepAnAdmin(tx: Tx, staffId: string, what: string): Promise<void> {
    const admins = await staffAccounts.enabledAdminsForUpdate(tx)
    if (admins.length === 1 && admins[0] === staffId) throw new LastAdmin(what)
  }

  async function requireStore(tx: Tx, code: string): Promise<void> {
    const store = await stores.get(tx, code)
    if (!store) throw new NotFound(`No store has the code ${code}.`)
    if (store.deactivatedAt !== null) {
      throw new StaffChangeInvalid(`Store ${code} is closed: reopen it first.`)
    }
  }

  return {
    async listStores(): Promise<AdminStore[]> {
      return (await stores.list(db)).map(storeOf)
    },

    async createStore(by: AuditActor, s: { code: string; name: string }): Promise<AdminStore> {
      return db.transaction(async (tx) => {
        if (!(await stores.insert(tx, { ...s, at: clock.now() }))) {
          throw new AlreadyExists(`A store with the code ${s.code} exists already.`)
        }
        await recordAudit(tx, clock, {
          ...by,
          action: 'store.create',
          target: `store:${s.code}`,
          detail: { name: s.name },
        })
        return { code: s.code, name: s.name, active: true }
      })
    },

    async updateStore(
      by: AuditActor,
      code: string,
      patch: { name?: string | undefined; active?: boolean | undefined },
    ): Promise<AdminStore> {
      return db.transaction(async (tx) => {
        const store = await stores.get(tx, code)
        if (!store) throw new NotFound(`No store has the code ${code}.`)
        const deactivatedAt =
          patch.active === undefined
            ? store.deactivatedAt
            : patch.active
              ? null
              : (store.deactivatedAt ?? clock.now())
        const next = { code, name: patch.name ?? store.name, deactivatedAt }
        await stores.update(tx, next)
        await recordAudit(tx, clock, {
          ...by,
          action: 'store.update',
          target: `store:${code}`,
          detail: { ...patch },
        })
        return storeOf(next)
      })
    },

    async listStaff(): Promise<AdminStaff[]> {
      return (await staffAccounts.list(db)).map(staffOf)
    },

    async createStaff(
      by: AuditActor,
      s: {
        staffId: string
        role: StaffRole
        storeCode?: string | null | undefined
        password: string
      },
    ): Promise<AdminStaff> {
      const storeCode = s.storeCode ?? null
      if (storeCode === null && roleNeedsStore(s.role)) {
        throw new StaffChangeInvalid('A clerk or a manager needs a store (storeCode).')
      }
      const passwordHash = await hashPassword(s.password)
      return db.transaction(async (tx) => {
        const now = clock.now()
        if (storeCode !== null) await requireStore(tx, storeCode)
        const created = await staffAccounts.insert(tx, {
          id: s.staffId,
          storeCode,
          role: s.role,
          passwordHash,
          at: now,
        })
        if (!created) throw new AlreadyExists(`The staff ID ${s.staffId} is taken.`)
        await recordAudit(tx, clock, {
          ...by,
          action: 'staff.create',
          target: `staff:${s.staffId}`,
          detail: { role: s.role, storeCode },
        })
        return {
          staffId: s.staffId,
          role: s.role,
          storeCode,
          disabled: false,
          totpEnrolled: false,
          lastSignInAt: null,
        }
      })
    },

    /** Changes role, store or state; disabling revokes every session of the account. */
    async updateStaff(by: AuditActor, staffId: string, patch: StaffPatch): Promise<AdminStaff> {
      return db.transaction(async (tx) => {
        const now = clock.now()
        const account = await staffAccounts.account(tx, staffId)
        if (!account) throw new NotFound(`No staff account has the ID ${staffId}.`)
        const role = patch.role ?? account.role
        const storeCode = patch.storeCode === undefined ? account.storeCode : patch.storeCode
        const disabledAt =
          patch.disabled === undefined
            ? account.disabledAt
            : patch.disabled
              ? (account.disabledAt ?? now)
              : null
        if (storeCode === null && roleNeedsStore(role)) {
          throw new StaffChangeInvalid('A clerk or a manager needs a store (storeCode).')
        }
        if (
          patch.storeCode !== undefined &&
          storeCode !== null &&
          storeCode !== account.storeCode
        ) {
          await requireStore(tx, storeCode)
        }
        if (account.role === 'admin' && (role !== 'admin' || disabledAt !== null)) {
          await keepAnAdmin(tx, staffId, role !== 'admin' ? 'demoted' : 'disabled')
        }
        await staffAccounts.update(tx, { id: staffId, role, storeCode, disabledAt, at: now })
        if (disabledAt !== null && account.disabledAt === null) {
          await staffSessions.revokeAll(tx, staffId, now)
        }
        await recordAudit(tx, clock, {
          ...by,
          action: 'staff.update',
          target: `staff:${staffId}`,
          detail: { ...patch },
        })
        const listed = await staffAccounts.listing(tx, staffId)
        if (!listed) throw new NotFound(`No staff account has the ID ${staffId}.`)
        return staffOf(listed)
      })
    },

    /**
     * Sets a new password and revokes the account's sessions, but `keepTokenHash` (the
     * caller's own session when it changes its own password).
     */
    async setPassword(
      by: AuditActor,
      staffId: string,
      password: string,
      keepTokenHash = '',
    ): Promise<void> {
      const passwordHash = await hashPassword(password)
      await db.transaction(async (tx) => {
        const now = clock.now()
        if ((await staffAccounts.setPassword(tx, staffId, passwordHash, now)) === 0) {
          throw new NotFound(`No staff account has the ID ${staffId}.`)
        }
        await staffSessions.revokeAll(tx, staffId, now, keepTokenHash)
        await recordAudit(tx, clock, {
          ...by,
          action: 'staff.password',
          target: `staff:${staffId}`,
        })
      })
    },

    /**
     * Resets another account's second factor (its TOTP secret and recovery codes), for an
     * account that lost its phone and its codes: every session of the account ends, and it
     * signs in next with its password alone and is asked to enroll again (decision 091).
     * Not one's own: that would let a stolen session drop the factor that guards the account.
     */
    async resetSecondFactor(by: AuditActor, staffId: string): Promise<void> {
      if (by.actor === staffId) {
        throw new StaffChangeInvalid(
          'Your own second factor cannot be reset here: another admin must do it.',
        )
      }
      await db.transaction(async (tx) => {
        const now = clock.now()
        const state = await staffAccounts.totpState(tx, staffId)
        if (!state) throw new NotFound(`No staff account has the ID ${staffId}.`)
        const codes = await recoveryCodes.status(tx, staffId)
        await staffAccounts.clearTotp(tx, staffId, now)
        await recoveryCodes.removeAll(tx, staffId)
        const sessions = await staffSessions.revokeAll(tx, staffId, now)
        await recordAudit(tx, clock, {
          ...by,
          action: 'staff.totpReset',
          target: `staff:${staffId}`,
          detail: {
            wasEnrolled: state.totpSecret !== null,
            recoveryCodesRemoved: codes.remaining,
            sessionsRevoked: sessions,
          },
        })
      })
    },

    /** Removes an account and its sessions (the ledger keeps the staff ID it recorded). */
    async removeStaff(by: AuditActor, staffId: string): Promise<void> {
      await db.transaction(async (tx) => {
        const account = await staffAccounts.account(tx, staffId)
        if (!account) throw new NotFound(`No staff account has the ID ${staffId}.`)
        if (account.role === 'admin' && account.disabledAt === null) {
          await keepAnAdmin(tx, staffId, 'removed')
        }
        await staffSessions.removeAll(tx, staffId)
        await recoveryCodes.removeAll(tx, staffId)
        await staffAccounts.remove(tx, staffId)
        await recordAudit(tx, clock, {
          ...by,
          action: 'staff.remove',
          target: `staff:${staffId}`,
          detail: { role: account.role, storeCode: account.storeCode },
        })
      })
    },
  }
}

export type StaffAdmin = ReturnType<typeof createStaffAdmin>
