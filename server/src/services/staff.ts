import { createHash, randomBytes } from 'node:crypto'
import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/client.ts'
import { loginAttempts, staff, staffSessions, stores } from '../db/schema.ts'
import { ApiError } from '../http/api-error.ts'
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password.ts'

/** A shift: staff tokens expire after 12 hours. */
export const STAFF_TOKEN_TTL_MS = 12 * 60 * 60_000

/** Failed staff logins allowed per window, per staff ID and per client address. */
export const LOGIN_LIMITS = { windowMs: 15 * 60_000, perStaff: 5, perIp: 20 } as const

/** A signed-in staff member. */
export interface StaffPrincipal {
  staffId: string
  storeCode: string
  storeName: string
  role: 'clerk' | 'manager'
  tokenHash: string
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('base64url')
}

/** Staff accounts, stores and sign-in sessions. */
export function createStaffService({ db, clock }: { db: Db; clock: Clock }) {
  const p = sql.placeholder
  const sessionByHash = db
    .select({
      staffId: staff.id,
      storeCode: staff.storeCode,
      storeName: stores.name,
      role: staff.role,
      tokenHash: staffSessions.tokenHash,
    })
    .from(staffSessions)
    .innerJoin(staff, eq(staff.id, staffSessions.staffId))
    .innerJoin(stores, eq(stores.code, staff.storeCode))
    .where(
      and(
        eq(staffSessions.tokenHash, p('hash')),
        isNull(staffSessions.revokedAt),
        gt(staffSessions.expiresAt, p('now')),
      ),
    )
    .prepare()

  const failuresFor = (
    column: typeof loginAttempts.staffId | typeof loginAttempts.ip,
    value: string,
    since: number,
  ) =>
    db
      .select({
        n: sql<number>`count(*)`,
        oldest: sql<number | null>`min(${loginAttempts.createdAt})`,
      })
      .from(loginAttempts)
      .where(and(eq(column, value), gt(loginAttempts.createdAt, since)))
      .get()

  return {
    /** Creates or updates a staff account; the store is created when first named. */
    async upsert(input: {
      staffId: string
      storeCode: string
      storeName?: string
      role: 'clerk' | 'manager'
      password: string
    }) {
      const now = clock.now()
      const passwordHash = await hashPassword(input.password)
      db.$client.transaction(() => {
        db.insert(stores)
          .values({
            code: input.storeCode,
            name: input.storeName ?? input.storeCode,
            createdAt: now,
          })
          .onConflictDoNothing()
          .run()
        if (input.storeName) {
          db.update(stores)
            .set({ name: input.storeName })
            .where(eq(stores.code, input.storeCode))
            .run()
        }
        db.insert(staff)
          .values({
            id: input.staffId,
            storeCode: input.storeCode,
            role: input.role,
            passwordHash,
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoUpdate({
            target: staff.id,
            set: { storeCode: input.storeCode, role: input.role, passwordHash, updatedAt: now },
          })
          .run()
      })()
    },

    /** Signs in: rate-limited per staff ID and per address; returns an opaque token. */
    async login(staffId: string, password: string, ip: string) {
      const now = clock.now()
      const since = now - LOGIN_LIMITS.windowMs
      // Check the limits and record this attempt as a failure in one step, before the (slow,
      // asynchronous) password check: parallel guesses each see the ones before them. A
      // success removes its row again.
      const attemptId = db.$client
        .transaction(() => {
          const byStaff = failuresFor(loginAttempts.staffId, staffId, since)
          const byIp = failuresFor(loginAttempts.ip, ip, since)
          let retryMs = 0
          if (byStaff && byStaff.n >= LOGIN_LIMITS.perStaff && byStaff.oldest !== null) {
            retryMs = Math.max(retryMs, byStaff.oldest + LOGIN_LIMITS.windowMs - now)
          }
          if (byIp && byIp.n >= LOGIN_LIMITS.perIp && byIp.oldest !== null) {
            retryMs = Math.max(retryMs, byIp.oldest + LOGIN_LIMITS.windowMs - now)
          }
          if (retryMs > 0) {
            const seconds = Math.max(1, Math.ceil(retryMs / 1000))
            throw new ApiError('TOO_MANY_ATTEMPTS', 'Too many failed sign-ins. Try again later.', {
              'Retry-After': String(seconds),
            })
          }
          return db
            .insert(loginAttempts)
            .values({ staffId, ip, createdAt: now })
            .returning({ id: loginAttempts.id })
            .get().id
        })
        .immediate()
      const row = db.select().from(staff).where(eq(staff.id, staffId)).get()
      const ok = await verifyPassword(password, row?.passwordHash ?? DUMMY_PASSWORD_HASH)
      if (!row || !ok) {
        throw new ApiError('INVALID_CREDENTIALS', 'The staff ID or the password is wrong.')
      }
      db.delete(loginAttempts).where(eq(loginAttempts.id, attemptId)).run()
      const token = randomBytes(32).toString('base64url')
      const expiresAt = now + STAFF_TOKEN_TTL_MS
      db.insert(staffSessions)
        .values({ tokenHash: sha256(token), staffId, createdAt: now, expiresAt })
        .run()
      return { token, expiresAt: new Date(expiresAt).toISOString() }
    },

    /** The staff member behind a token, or null. */
    authenticate(token: string): StaffPrincipal | null {
      if (token.length < 20 || token.length > 100) return null
      return sessionByHash.get({ hash: sha256(token), now: clock.now() }) ?? null
    },

    /** Revokes a session (sign-out). */
    logout(tokenHash: string): void {
      db.update(staffSessions)
        .set({ revokedAt: clock.now() })
        .where(eq(staffSessions.tokenHash, tokenHash))
        .run()
    },
  }
}

export type StaffService = ReturnType<typeof createStaffService>
