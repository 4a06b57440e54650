import { createHash, randomBytes } from 'node:crypto'
import { roleNeedsStore, type StaffRole } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database, Executor } from '../db/seam.ts'
import {
  DomainError,
  Forbidden,
  InvalidCredentials,
  TooManyAttempts,
  TotpRequired,
} from '../domain/errors.ts'
import { loginAttempts } from '../repositories/login-attempts.ts'
import { type StaffCredentials, staffAccounts } from '../repositories/staff.ts'
import {
  type SessionKind,
  type SessionPrincipal,
  staffSessions,
} from '../repositories/staff-sessions.ts'
import { recordAudit } from './audit.ts'
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password.ts'
import { type TotpSealer, totpSealer, totpStep } from './totp.ts'

export type { StaffRole }

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
  /** Null for a head-office account without a store. */
  storeCode: string | null
  role: StaffRole
}

/** Resolves a change against the stored account; throws `StaffAccountRefused`. */
async function planChange(db: Executor, input: StaffAccountChange): Promise<StaffAccountPlan> {
  const existing = await staffAccounts.account(db, input.staffId)
  const role = input.role ?? existing?.role ?? 'clerk'
  // A head-office account may have no store; a clerk or a manager must have one.
  const storeCode = input.storeCode ?? existing?.storeCode
  if (storeCode === undefined || storeCode === null) {
    if (roleNeedsStore(role)) throw new StaffAccountRefused('store-required')
    return { created: !existing, storeCode: null, role }
  }
  if (
    input.newStoreNeedsName &&
    input.storeName === undefined &&
    !(await staffAccounts.storeExists(db, storeCode))
  ) {
    throw new StaffAccountRefused('store-name-required', storeCode)
  }
  return { created: !existing, storeCode, role }
}

/** A shift: staff tokens expire after 12 hours. */
export const STAFF_TOKEN_TTL_MS = 12 * 60 * 60_000

/** Failed staff logins allowed per window, per staff ID and per client address. */
export const LOGIN_LIMITS = { windowMs: 15 * 60_000, perStaff: 5, perIp: 20 } as const

/** A console session ends after this long without a request. */
export const CONSOLE_IDLE_MS = 30 * 60_000

/** A console session's last use is written at most this often (not on every request). */
const TOUCH_EVERY_MS = 60_000

/** A signed-in staff member, of any role (a head-office account may have no store). */
export type Principal = SessionPrincipal

/** A signed-in staff member at a store: the till's routes need one. */
export type StaffPrincipal = SessionPrincipal & { storeCode: string; storeName: string }

/** How a sign-in is asked for, beyond the ID and password. */
export interface SignInOptions {
  /** The current TOTP code; required once the account has enrolled. */
  totp?: string | undefined
  /** `bearer` (the till, API clients; the default) or `console` (the console's cookie). */
  kind?: SessionKind
  /** The roles that may open this session; another role gets `Forbidden`. */
  roles?: readonly StaffRole[]
}

/** A session opened by a sign-in. */
export interface SignedIn {
  token: string
  expiresAt: string
  staffId: string
  role: StaffRole
  storeCode: string | null
  totpEnrolled: boolean
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('base64url')
}

/**
 * Checks what a right password does not settle: the account is enabled, its role may open
 * this session, and an enrolled account's TOTP code. Returns the TOTP step to take, or null.
 */
async function checkAccount(
  account: StaffCredentials,
  opts: SignInOptions,
  sealer: TotpSealer | undefined,
  now: number,
): Promise<number | null> {
  // A disabled account answers as a wrong password does: nothing tells a guesser it exists.
  if (account.disabledAt !== null) throw new InvalidCredentials()
  if (opts.roles && !opts.roles.includes(account.role)) {
    throw new Forbidden('This account cannot open the console: it is for head-office staff.')
  }
  if (account.totpSecret === null) return null
  if (!sealer) throw new Error('TOTP cannot be checked without the server secret')
  const step = await totpStep(sealer.open(account.totpSecret), opts.totp, now, account.totpLastStep)
  if (step === null) throw new TotpRequired()
  return step
}

/** Staff accounts, stores and sign-in sessions. */
export function createStaffService({
  db,
  clock,
  secrets,
}: {
  db: Database
  clock: Clock
  /** The server secrets: TOTP secrets are sealed with a key derived from `pinHashKey`. */
  secrets?: { pinHashKey: Buffer }
}) {
  const sealer = secrets ? totpSealer(secrets.pinHashKey) : undefined
  const service = {
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
        if (plan.storeCode !== null) {
          await staffAccounts.ensureStore(tx, {
            code: plan.storeCode,
            name: input.storeName,
            at: now,
          })
        }
        await staffAccounts.upsert(tx, {
          id: input.staffId,
          storeCode: plan.storeCode,
          role: plan.role,
          passwordHash,
          at: now,
        })
        // A password reset ends every session the account had, on every instance.
        if (!plan.created) await staffSessions.revokeAll(tx, input.staffId, now)
        return plan
      })
    },

    /**
     * What `upsert` would do, without doing it (to refuse before asking for a password);
     * throws `StaffAccountRefused` where `upsert` would.
     */
    plan: (input: StaffAccountChange): Promise<StaffAccountPlan> => planChange(db, input),

    /**
     * Signs in: rate-limited per staff ID and per address; returns an opaque token.
     * Throws `TooManyAttempts`, `InvalidCredentials`, `TotpRequired` or `Forbidden`.
     * `signIn` is the same with the failure recorded in the audit trail.
     */
    async login(
      staffId: string,
      password: string,
      ip: string,
      opts: SignInOptions = {},
    ): Promise<SignedIn> {
      const now = clock.now()
      const since = now - LOGIN_LIMITS.windowMs
      // Check the limits and record this attempt as a failure in one transaction, before the
      // (slow, asynchronous) password check: parallel guesses each see the ones before them.
      // A success removes its row again.
      const attemptId = await db.transaction(async (tx) => {
        await loginAttempts.serialize(tx, staffId, ip)
        const byStaff = await loginAttempts.byStaffSince(tx, staffId, since)
        const byIp = await loginAttempts.byIpSince(tx, ip, since)
        let retryMs = 0
        if (byStaff.n >= LOGIN_LIMITS.perStaff && byStaff.oldest !== null) {
          retryMs = Math.max(retryMs, byStaff.oldest + LOGIN_LIMITS.windowMs - now)
        }
        if (byIp.n >= LOGIN_LIMITS.perIp && byIp.oldest !== null) {
          retryMs = Math.max(retryMs, byIp.oldest + LOGIN_LIMITS.windowMs - now)
        }
        if (retryMs > 0) throw new TooManyAttempts(Math.max(1, Math.ceil(retryMs / 1000)))
        return loginAttempts.record(tx, { staffId, ip, at: now })
      })
      const account = await staffAccounts.credentials(db, staffId)
      // A missing account costs the same time as a wrong password.
      const ok = await verifyPassword(password, account?.passwordHash ?? DUMMY_PASSWORD_HASH)
      if (!account || !ok) throw new InvalidCredentials()
      const step = await checkAccount(account, opts, sealer, now)
      const token = randomBytes(32).toString('base64url')
      const expiresAt = now + STAFF_TOKEN_TTL_MS
      const kind = opts.kind ?? 'bearer'
      await db.transaction(async (tx) => {
        // The step is taken in the row: a code used once (here or on another instance) fails.
        if (step !== null && !(await staffAccounts.takeTotpStep(tx, staffId, step))) {
          throw new TotpRequired()
        }
        await loginAttempts.remove(tx, attemptId)
        await staffSessions.insert(tx, {
          hash: sha256(token),
          staffId,
          kind,
          at: now,
          expiresAt,
          lastSeenAt: kind === 'console' ? now : null,
        })
        await staffAccounts.recordSignIn(tx, staffId, now)
        await recordAudit(tx, clock, {
          actor: staffId,
          action: 'session.signIn',
          target: `staff:${staffId}`,
          address: ip,
          detail: { kind },
        })
      })
      return {
        token,
        expiresAt: new Date(expiresAt).toISOString(),
        staffId,
        role: account.role,
        storeCode: account.storeCode,
        totpEnrolled: account.totpSecret !== null,
      }
    },

    /** `login`, with a refused sign-in recorded in the audit trail (`session.signInFailed`). */
    async signIn(
      staffId: string,
      password: string,
      ip: string,
      opts: SignInOptions = {},
    ): Promise<SignedIn> {
      try {
        return await service.login(staffId, password, ip, opts)
      } catch (err) {
        if (err instanceof DomainError) {
          await db.transaction((tx) =>
            recordAudit(tx, clock, {
              actor: staffId,
              action: 'session.signInFailed',
              target: `staff:${staffId}`,
              address: ip,
              detail: { reason: err.code, kind: opts.kind ?? 'bearer' },
            }),
          )
        }
        throw err
      }
    },

    /**
     * The staff member behind a token of `kind`, or null (unknown, revoked, expired, idle for
     * `CONSOLE_IDLE_MS` (console), or of a disabled account). Checked in the database every
     * time, so a revocation holds on every instance at once.
     */
    async authenticate(token: string, kind: SessionKind = 'bearer'): Promise<Principal | null> {
      if (token.length < 20 || token.length > 100) return null
      const now = clock.now()
      const hash = sha256(token)
      const found = await staffSessions.principal(db, hash, now, now - CONSOLE_IDLE_MS)
      if (!found || found.kind !== kind) return null
      if (kind === 'console' && (found.lastSeenAt ?? 0) <= now - TOUCH_EVERY_MS) {
        await staffSessions.touch(db, hash, now)
      }
      return found
    },

    /** Revokes a session (sign-out). */
    async logout(tokenHash: string): Promise<void> {
      await staffSessions.revoke(db, tokenHash, clock.now())
    },

    /** Revokes every session of an account but `keepTokenHash` (sign out everywhere). */
    async revokeAll(staffId: string, keepTokenHash = ''): Promise<void> {
      await db.transaction((tx) => staffSessions.revokeAll(tx, staffId, clock.now(), keepTokenHash))
    },

    /** The sealer of TOTP secrets (absent without the server secrets). */
    sealer,
  }
  return service
}

/** The SHA-256 of a session token, as sessions are stored. */
export const sessionHash = sha256

export type StaffService = ReturnType<typeof createStaffService>
