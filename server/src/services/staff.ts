import { createHash, randomBytes } from 'node:crypto'
import type { Clock } from '../clock.ts'
import type { Database, Executor } from '../db/seam.ts'
import { InvalidCredentials } from '../domain/errors.ts'
import { staffAccounts } from '../repositories/staff.ts'
import { type SessionPrincipal, staffSessions } from '../repositories/staff-sessions.ts'
import { createLoginLimits } from './login-limits.ts'
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password.ts'

/** A staff role at a store. */
export type StaffRole = 'clerk' | 'manager'

/** An account change that is refused, and why (the caller words it for its audience). */
export class StaffAccountRefused extends Error {
  constructor(
    readonly reason: 'store-required' | 'store-name-required',
    readonly storeCode?: string,
  ) {
    super(
      reason === 'store-required'
        ? 'a new staff account needs a store'
        : `store ${storeCode} does not exist yet and needs a name`,
    )
    this.name = 'StaffAccountRefused'
  }
}

/** An account to create or update; what is left out stays as stored. */
export interface StaffAccountChange {
  staffId: string
  /** The account's store; absent: the store it has (a new account needs one). */
  storeCode?: string | undefined
  /** Names the store (creating it when missing). */
  storeName?: string | undefined
  /** Absent: the role the account has; a new account is a clerk. */
  role?: StaffRole | undefined
  /**
   * Refuses to create a store without `storeName` (`StaffAccountRefused`); otherwise a new
   * store is named by its code.
   */
  newStoreNeedsName?: boolean
}

/** What an account change does: whether the account is new, and its store and role after it. */
export interface StaffAccountPlan {
  created: boolean
  storeCode: string
  role: StaffRole
}

/** Resolves a change against the stored account; throws `StaffAccountRefused`. */
async function planChange(db: Executor, input: StaffAccountChange): Promise<StaffAccountPlan> {
  const existing = await staffAccounts.account(db, input.staffId)
  const storeCode = input.storeCode ?? existing?.storeCode
  if (storeCode === undefined) throw new StaffAccountRefused('store-required')
  if (
    input.newStoreNeedsName &&
    input.storeName === undefined &&
    !(await staffAccounts.storeExists(db, storeCode))
  ) {
    throw new StaffAccountRefused('store-name-required', storeCode)
  }
  return { created: !existing, storeCode, role: input.role ?? existing?.role ?? 'clerk' }
}

/**
 * A till's session is bound to its device (the till keeps the token across closing the
 * window) and ends after 12 hours without use; use keeps it alive, for 7 days at most
 * (decision 055).
 */
export const STAFF_TOKEN_TTL_MS = 12 * 60 * 60_000
/** However much it is used, a session ends this long after sign-in. */
export const STAFF_SESSION_MAX_MS = 7 * 24 * 60 * 60_000
/** Use moves the idle deadline at most once in this time (not one write per request). */
export const STAFF_SESSION_EXTEND_EVERY_MS = 5 * 60_000

/** A signed-in staff member. */
export type StaffPrincipal = SessionPrincipal

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('base64url')
}

/** Staff accounts, stores and sign-in sessions. */
export function createStaffService({ db, clock }: { db: Database; clock: Clock }) {
  const loginLimits = createLoginLimits(db)
  return {
    /**
     * Creates or updates a staff account and sets its password; the store and role given
     * replace the stored ones, those left out stay. The store is created when first named
     * (and renamed when `storeName` is given). Throws `StaffAccountRefused`.
     */
    async upsert(input: StaffAccountChange & { password: string }): Promise<StaffAccountPlan> {
      const now = clock.now()
      const passwordHash = await hashPassword(input.password)
      return db.transaction(async (tx) => {
        const plan = await planChange(tx, input)
        await staffAccounts.ensureStore(tx, {
          code: plan.storeCode,
          name: input.storeName,
          at: now,
        })
        await staffAccounts.upsert(tx, {
          id: input.staffId,
          storeCode: plan.storeCode,
          role: plan.role,
          passwordHash,
          at: now,
        })
        return plan
      })
    },

    /**
     * What `upsert` would do, without doing it (to refuse before asking for a password);
     * throws `StaffAccountRefused` where `upsert` would.
     */
    plan: (input: StaffAccountChange): Promise<StaffAccountPlan> => planChange(db, input),

    /**
     * Signs in: rate-limited per staff ID and address (login-limits.ts); returns an opaque
     * token.
     * Throws `TooManyAttempts` or `InvalidCredentials`.
     */
    async login(
      staffId: string,
      password: string,
      ip: string,
    ): Promise<{ token: string; expiresAt: string }> {
      const now = clock.now()
      // The attempt counts as a failure until the password proves right (login-limits.ts).
      const attemptId = await loginLimits.begin(staffId, ip, now)
      const account = await staffAccounts.credentials(db, staffId)
      // A missing account costs the same time as a wrong password.
      const ok = await verifyPassword(password, account?.passwordHash ?? DUMMY_PASSWORD_HASH)
      if (!account || !ok) throw new InvalidCredentials()
      const token = randomBytes(32).toString('base64url')
      const expiresAt = now + STAFF_TOKEN_TTL_MS
      await db.transaction(async (tx) => {
        await loginLimits.succeeded(tx, attemptId, { staffId, ip, at: now })
        await staffSessions.insert(tx, { hash: sha256(token), staffId, at: now, expiresAt })
      })
      return { token, expiresAt: new Date(expiresAt).toISOString() }
    },

    /** The staff member behind a token, or null. */
    async authenticate(token: string): Promise<StaffPrincipal | null> {
      if (token.length < 20 || token.length > 100) return null
      const now = clock.now()
      const live = await staffSessions.principal(db, sha256(token), now)
      if (!live) return null
      const { createdAt, expiresAt, ...principal } = live
      const due = Math.min(createdAt + STAFF_SESSION_MAX_MS, now + STAFF_TOKEN_TTL_MS)
      if (due - expiresAt >= STAFF_SESSION_EXTEND_EVERY_MS) {
        await staffSessions.extend(db, principal.tokenHash, due)
      }
      return principal
    },

    /** Revokes a session (sign-out). */
    async logout(tokenHash: string): Promise<void> {
      await staffSessions.revoke(db, tokenHash, clock.now())
    },
  }
}

export type StaffService = ReturnType<typeof createStaffService>
