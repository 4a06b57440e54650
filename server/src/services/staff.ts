import { createHash, randomBytes } from 'node:crypto'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { InvalidCredentials, TooManyAttempts } from '../domain/errors.ts'
import { loginAttempts } from '../repositories/login-attempts.ts'
import { staffAccounts } from '../repositories/staff.ts'
import { type SessionPrincipal, staffSessions } from '../repositories/staff-sessions.ts'
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password.ts'

/** A shift: staff tokens expire after 12 hours. */
export const STAFF_TOKEN_TTL_MS = 12 * 60 * 60_000

/** Failed staff logins allowed per window, per staff ID and per client address. */
export const LOGIN_LIMITS = { windowMs: 15 * 60_000, perStaff: 5, perIp: 20 } as const

/** A signed-in staff member. */
export type StaffPrincipal = SessionPrincipal

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('base64url')
}

/** Staff accounts, stores and sign-in sessions. */
export function createStaffService({ db, clock }: { db: Database; clock: Clock }) {
  return {
    /**
     * Creates or updates a staff account; the store is created when first named (and renamed
     * when `storeName` is given). Tells whether the account is new.
     */
    async upsert(input: {
      staffId: string
      storeCode: string
      storeName?: string
      role: 'clerk' | 'manager'
      password: string
    }): Promise<{ created: boolean }> {
      const now = clock.now()
      const passwordHash = await hashPassword(input.password)
      return db.transaction(async (tx) => {
        await staffAccounts.ensureStore(tx, {
          code: input.storeCode,
          name: input.storeName,
          at: now,
        })
        const existed = await staffAccounts.exists(tx, input.staffId)
        await staffAccounts.upsert(tx, {
          id: input.staffId,
          storeCode: input.storeCode,
          role: input.role,
          passwordHash,
          at: now,
        })
        return { created: !existed }
      })
    },

    /**
     * Signs in: rate-limited per staff ID and per address; returns an opaque token.
     * Throws `TooManyAttempts` or `InvalidCredentials`.
     */
    async login(
      staffId: string,
      password: string,
      ip: string,
    ): Promise<{ token: string; expiresAt: string }> {
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
      const token = randomBytes(32).toString('base64url')
      const expiresAt = now + STAFF_TOKEN_TTL_MS
      await db.transaction(async (tx) => {
        await loginAttempts.remove(tx, attemptId)
        await staffSessions.insert(tx, { hash: sha256(token), staffId, at: now, expiresAt })
      })
      return { token, expiresAt: new Date(expiresAt).toISOString() }
    },

    /** The staff member behind a token, or null. */
    async authenticate(token: string): Promise<StaffPrincipal | null> {
      if (token.length < 20 || token.length > 100) return null
      return (await staffSessions.principal(db, sha256(token), clock.now())) ?? null
    },

    /** Revokes a session (sign-out). */
    async logout(tokenHash: string): Promise<void> {
      await staffSessions.revoke(db, tokenHash, clock.now())
    },
  }
}

export type StaffService = ReturnType<typeof createStaffService>
