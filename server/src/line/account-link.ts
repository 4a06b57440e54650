import { createHash, randomBytes } from 'node:crypto'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/client.ts'
import { ApiError } from '../http/api-error.ts'
import type { Membership } from '../services/membership.ts'

/** A link token is valid for 10 minutes (LINE); our record of it lives as long. */
export const LINK_TOKEN_TTL_MS = 10 * 60_000
/** A nonce is single use and expires with the link token it goes with. */
export const NONCE_TTL_MS = 10 * 60_000
/** LINE's account-link dialog. */
export const ACCOUNT_LINK_DIALOG = 'https://access.line.me/dialog/bot/accountLink'

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')

/** Remembers a link token LINE issued for `userId` (hashed: it is a bearer secret). */
export function recordLinkToken(db: Db, userId: string, linkToken: string, now: number): void {
  db.$client
    .prepare(
      `INSERT INTO account_link_tokens (token_hash, line_user_id, created_at, expires_at)
       VALUES (?, ?, ?, ?) ON CONFLICT (token_hash) DO NOTHING`,
    )
    .run(hashToken(linkToken), userId, now, now + LINK_TOKEN_TTL_MS)
}

/** Why an `accountLink` event did not link. */
export type AccountLinkRefusal =
  | 'unknown_nonce'
  | 'nonce_used'
  | 'nonce_expired'
  | 'user_mismatch'
  | 'ALREADY_LINKED'
  | 'CARD_ALREADY_LINKED'

/**
 * The Messaging API account-link flow: the company sign-in page checks the card and PIN
 * for the LINE user the link token was issued to (the same checks and rate limits as the
 * LIFF link), stores a single-use nonce against the card, and the `accountLink` event then
 * links exactly as the LIFF path does.
 */
export function createAccountLink({
  db,
  clock,
  membership,
}: {
  db: Db
  clock: Clock
  membership: Membership
}) {
  const sqlite = db.$client
  const tokenOwner = sqlite.prepare<[string, number], { userId: string }>(
    `SELECT line_user_id AS userId FROM account_link_tokens WHERE token_hash = ? AND expires_at > ?`,
  )
  const nonceRow = sqlite.prepare<
    [string],
    {
      cardId: number
      consentVersion: string
      expiresAt: number
      usedAt: number | null
      userId: string | null
    }
  >(
    `SELECT card_id AS cardId, consent_version AS consentVersion, expires_at AS expiresAt,
            used_at AS usedAt, line_user_id AS userId
       FROM account_link_nonces WHERE nonce = ?`,
  )
  const useNonce = sqlite.prepare<[number, string]>(
    'UPDATE account_link_nonces SET used_at = ? WHERE nonce = ? AND used_at IS NULL',
  )

  /** The LINE user a (still valid) link token was issued to, or null. */
  function userOfLinkToken(linkToken: string): string | null {
    if (!/^[A-Za-z0-9_-]{8,128}$/.test(linkToken)) return null
    return tokenOwner.get(hashToken(linkToken), clock.now())?.userId ?? null
  }

  return {
    userOfLinkToken,

    /**
     * The sign-in: checks the card and PIN for the token's user, stores a fresh nonce (256
     * random bits) against the card, and returns the URL of LINE's account-link dialog.
     * Throws ApiError (the codes of `POST /api/link`, or NOT_FOUND for a bad token).
     */
    signIn(
      linkToken: string,
      input: { cardNumber: string; pin: string; consent: { version: string; accepted: boolean } },
    ): { redirectUrl: string; userId: string } {
      const userId = userOfLinkToken(linkToken)
      if (!userId) throw new ApiError('NOT_FOUND', 'This sign-in link has expired.')
      const { cardId } = membership.verifyCard(userId, input)
      const now = clock.now()
      const nonce = randomBytes(32).toString('base64url')
      sqlite
        .prepare(
          `INSERT INTO account_link_nonces
             (nonce, card_id, consent_version, created_at, expires_at, line_user_id)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(nonce, cardId, input.consent.version, now, now + NONCE_TTL_MS, userId)
      const url = new URL(ACCOUNT_LINK_DIALOG)
      url.searchParams.set('linkToken', linkToken)
      url.searchParams.set('nonce', nonce)
      return { redirectUrl: url.toString(), userId }
    },

    /**
     * The `accountLink` event with `result: ok`: uses the nonce once and links. Run it in
     * the event's transaction; the link itself is a savepoint of it.
     */
    complete(
      userId: string,
      nonce: string,
    ):
      | { ok: true; bonusPoints: number; balance: number }
      | { ok: false; reason: AccountLinkRefusal } {
      const now = clock.now()
      const row = nonceRow.get(nonce)
      if (!row) return { ok: false, reason: 'unknown_nonce' }
      if (row.usedAt !== null) return { ok: false, reason: 'nonce_used' }
      if (row.expiresAt <= now) return { ok: false, reason: 'nonce_expired' }
      if (row.userId !== null && row.userId !== userId)
        return { ok: false, reason: 'user_mismatch' }
      if (useNonce.run(now, nonce).changes !== 1) return { ok: false, reason: 'nonce_used' }
      try {
        const r = membership.linkVerifiedCard(
          userId,
          row.cardId,
          'account_link',
          row.consentVersion,
        )
        return { ok: true, bonusPoints: r.bonusPoints, balance: r.member.points }
      } catch (err) {
        if (
          err instanceof ApiError &&
          (err.code === 'ALREADY_LINKED' || err.code === 'CARD_ALREADY_LINKED')
        ) {
          return { ok: false, reason: err.code }
        }
        throw err
      }
    },
  }
}

export type AccountLink = ReturnType<typeof createAccountLink>
