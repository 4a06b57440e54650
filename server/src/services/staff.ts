import { createHash, randomBytes } from 'node:crypto'
import { roleNeedsStore, type StaffRole } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database, Executor } from '../db/seam.ts'
import { DomainError, Forbidden, InvalidCredentials, TotpRequired } from '../domain/errors.ts'
import { recoveryCodes } from '../repositories/recovery-codes.ts'
import { type StaffCredentials, staffAccounts } from '../repositories/staff.ts'
import {
  type SessionKind,
  type SessionPrincipal,
  staffSessions,
} from '../repositories/staff-sessions.ts'
import { recordAudit } from './audit.ts'
import { createLoginLimits } from './login-limits.ts'
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password.ts'
import { matchRecoveryCode } from './recovery-codes.ts'
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
  /** A recovery code instead of `totp` (decision 093): each works once. */
  recoveryCode?: string | undefined
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

/** The second factor a sign-in passed: a TOTP step to take, or a recovery code to spend. */
type SecondFactor = { step: number } | { recoveryCodeId: number }

/**
 * Checks what a right password does not settle: the account is enabled, its role may open
 * this session, and an enrolled account's TOTP code (or one of its recovery codes). Returns
 * the second factor to take, or null when the account has none.
 */
async function checkAccount(
  db: Executor,
  staffId: string,
  account: StaffCredentials,
  opts: SignInOptions,
  sealer: TotpSealer | undefined,
  now: number,
): Promise<SecondFactor | null> {
  // A disabled account answers as a wrong password does: nothing tells a guesser it exists.
  if (account.disabledAt !== null) throw new InvalidCredentials()
  if (opts.roles && !opts.roles.includes(account.role)) {
    throw new Forbidden('This account cannot open the console: it is for head-office staff.')
  }
  if (account.totpSecret === null) return null
  if (opts.recoveryCode !== undefined && opts.totp === undefined) {
    const recoveryCodeId = await matchRecoveryCode(db, staffId, opts.recoveryCode)
    if (recoveryCodeId === null) throw new TotpRequired()
    return { recoveryCodeId }
  }
  if (!sealer) throw new Error('TOTP cannot be checked without the server secret')
  const step = await totpStep(sealer.open(account.totpSecret), opts.totp, now, account.totpLastStep)
  if (step === null) throw new TotpRequired()
  return { step }
}

/**
 * In `tx`: takes the second factor — the TOTP step (a code used once, here or on another
 * instance, fails: the row decides) or the recovery code (spent once, audit-logged with how
 * many are left). `TotpRequired` when it was taken meanwhile.
 */
async function takeSecondFactor(
  tx: Executor,
  clock: Clock,
  staffId: string,
  ip: string,
  factor: SecondFactor,
): Promise<void> {
  if ('step' in factor) {
    if (!(await staffAccounts.takeTotpStep(tx, staffId, factor.step))) throw new TotpRequired()
    return
  }
  if (!(await recoveryCodes.use(tx, staffId, factor.recoveryCodeId, clock.now()))) {
    throw new TotpRequired()
  }
  const { remaining } = await recoveryCodes.status(tx, staffId)
  await recordAudit(tx, clock, {
    actor: staffId,
    action: 'totp.recoveryCodeUsed',
    target: `staff:${staffId}`,
    address: ip,
    detail: { remaining },
  })
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
  const loginLimits = createLoginLimits(db)
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
     * Signs in: rate-limited per staff ID and address (login-limits.ts); returns an opaque
     * token. Throws `TooManyAttempts`, `InvalidCredentials`, `TotpRequired` or `Forbidden`.
     * `signIn` is the same with the failure recorded in the audit trail.
     */
    async login(
      staffId: string,
      password: string,
      ip: string,
      opts: SignInOptions = {},
    ): Promise<SignedIn> {
      const now = clock.now()
      // The attempt counts as a failure until the password proves right (login-limits.ts).
      const attemptId = await loginLimits.begin(staffId, ip, now)
      const account = await staffAccounts.credentials(db, staffId)
      // A missing account costs the same time as a wrong password.
      const ok = await verifyPassword(password, account?.passwordHash ?? DUMMY_PASSWORD_HASH)
      if (!account || !ok) throw new InvalidCredentials()
      const factor = await checkAccount(db, staffId, account, opts, sealer, now)
      const token = randomBytes(32).toString('base64url')
      const expiresAt = now + STAFF_TOKEN_TTL_MS
      const kind = opts.kind ?? 'bearer'
      await db.transaction(async (tx) => {
        if (factor !== null) await takeSecondFactor(tx, clock, staffId, ip, factor)
        await loginLimits.succeeded(tx, attemptId, { staffId, ip, at: now })
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
          detail: {
            kind,
            ...(factor !== null && 'recoveryCodeId' in factor
              ? { secondFactor: 'recoveryCode' }
              : {}),
          },
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
              detail: {
                reason: err.code,
                kind: opts.kind ?? 'bearer',
                ...(opts.recoveryCode !== undefined ? { secondFactor: 'recoveryCode' } : {}),
              },
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
      const live = await staffSessions.principal(db, hash, now, now - CONSOLE_IDLE_MS)
      if (!live || live.kind !== kind) return null
      const { createdAt, expiresAt, ...found } = live
      if (kind === 'console') {
        if ((found.lastSeenAt ?? 0) <= now - TOUCH_EVERY_MS)
          await staffSessions.touch(db, hash, now)
      } else {
        const due = Math.min(createdAt + STAFF_SESSION_MAX_MS, now + STAFF_TOKEN_TTL_MS)
        if (due - expiresAt >= STAFF_SESSION_EXTEND_EVERY_MS) {
          await staffSessions.extend(db, hash, due)
        }
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
