import { createHash, randomBytes } from 'node:crypto'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { webSessions } from '../repositories/web-sessions.ts'

/** A web session ends after this long without use. */
export const WEB_SESSION_IDLE_MS = 30 * 24 * 3_600_000
/** ...and this long after it began, however often it is used. */
export const WEB_SESSION_ABSOLUTE_MS = 90 * 24 * 3_600_000
/** Use is recorded at most this often per session (a card opened every minute writes hourly). */
export const WEB_SESSION_TOUCH_MS = 3_600_000

/** The customer behind a live web session. */
export interface WebPrincipal {
  lineUserId: string
  name: string | undefined
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')
/** What a session token looks like (32 random bytes, base64url); anything else is not looked up. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

/**
 * Customers' web sessions (LINE Login on the web): an opaque random token in an HttpOnly
 * cookie, only its SHA-256 in the database, so every instance sees a sign-out at once.
 * A session ends when revoked, after `WEB_SESSION_IDLE_MS` unused, or at its absolute end.
 */
export function createWebSessions({ db, clock }: { db: Database; clock: Clock }) {
  return {
    /** Starts a session for a LINE user whose ID token was verified; returns its token. */
    async start(principal: WebPrincipal): Promise<{ token: string; expiresAt: number }> {
      const token = randomBytes(32).toString('base64url')
      const at = clock.now()
      const expiresAt = at + WEB_SESSION_ABSOLUTE_MS
      await db.transaction(async (tx) => {
        await webSessions.insert(tx, {
          tokenHash: hashToken(token),
          lineUserId: principal.lineUserId,
          name: principal.name ?? null,
          at,
          expiresAt,
        })
        // Sessions past their absolute end are of no use to anyone.
        await webSessions.purge(tx, at)
      })
      return { token, expiresAt }
    },

    /** The customer of a live session, or null (unknown, revoked, idle too long, or ended). */
    async authenticate(token: string): Promise<WebPrincipal | null> {
      if (!TOKEN_SHAPE.test(token)) return null
      const tokenHash = hashToken(token)
      const row = await webSessions.find(db, tokenHash)
      const now = clock.now()
      if (!row || row.revokedAt !== null) return null
      if (row.expiresAt <= now || row.lastSeenAt + WEB_SESSION_IDLE_MS <= now) return null
      if (now - row.lastSeenAt >= WEB_SESSION_TOUCH_MS) await webSessions.touch(db, tokenHash, now)
      return { lineUserId: row.lineUserId, name: row.name ?? undefined }
    },

    /** Ends a session (sign-out); an unknown or ended one is left as it is. */
    async revoke(token: string): Promise<void> {
      if (!TOKEN_SHAPE.test(token)) return
      await webSessions.revoke(db, hashToken(token), clock.now())
    },
  }
}

export type WebSessions = ReturnType<typeof createWebSessions>
