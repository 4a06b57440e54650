import { createHash, randomBytes } from 'node:crypto'
import type { Clock } from '../clock.ts'
import type { Database, Executor, Tx } from '../db/seam.ts'
import { AlreadyLinked, CardAlreadyLinked, LinkTokenExpired } from '../domain/errors.ts'
import { accountLinks } from '../repositories/account-link.ts'
import type { Membership } from '../services/membership.ts'

/** A link token is valid for 10 minutes (LINE); our record of it lives as long. */
export const LINK_TOKEN_TTL_MS = 10 * 60_000
/** A nonce is single use and expires with the link token it goes with. */
export const NONCE_TTL_MS = 10 * 60_000
/** LINE's account-link dialog. */
export const ACCOUNT_LINK_DIALOG = 'https://access.line.me/dialog/bot/accountLink'

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')

/** Remembers a link token LINE issued for `userId` (hashed: it is a bearer secret). */
export async function recordLinkToken(
  db: Executor,
  userId: string,
  linkToken: string,
  now: number,
): Promise<void> {
  await accountLinks.recordToken(db, {
    tokenHash: hashToken(linkToken),
    userId,
    at: now,
    expiresAt: now + LINK_TOKEN_TTL_MS,
  })
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
  db: Database
  clock: Clock
  membership: Membership
}) {
  /** The LINE user a (still valid) link token was issued to, or null. */
  async function userOfLinkToken(linkToken: string): Promise<string | null> {
    if (!/^[A-Za-z0-9_-]{8,128}$/.test(linkToken)) return null
    return (await accountLinks.tokenOwner(db, hashToken(linkToken), clock.now())) ?? null
  }

  return {
    userOfLinkToken,

    /**
     * The sign-in: checks the card and PIN for the token's user, stores a fresh nonce (256
     * random bits) against the card, and returns the URL of LINE's account-link dialog.
     * Throws `LinkTokenExpired`, or the domain errors of `membership.verifyCard`.
     */
    async signIn(
      linkToken: string,
      input: { cardNumber: string; pin: string; consent: { version: string; accepted: boolean } },
    ): Promise<{ redirectUrl: string; userId: string }> {
      const userId = await userOfLinkToken(linkToken)
      if (!userId) throw new LinkTokenExpired()
      const { cardId } = await membership.verifyCard(userId, input)
      const now = clock.now()
      const nonce = randomBytes(32).toString('base64url')
      await accountLinks.insertNonce(db, {
        nonce,
        cardId,
        consentVersion: input.consent.version,
        userId,
        at: now,
        expiresAt: now + NONCE_TTL_MS,
      })
      const url = new URL(ACCOUNT_LINK_DIALOG)
      url.searchParams.set('linkToken', linkToken)
      url.searchParams.set('nonce', nonce)
      return { redirectUrl: url.toString(), userId }
    },

    /**
     * The `accountLink` event with `result: ok`, in the event's transaction `tx`: uses the
     * nonce once and links; the link is a savepoint of `tx`, so a refused link undoes only
     * itself (the nonce stays used).
     */
    async complete(
      tx: Tx,
      userId: string,
      nonce: string,
    ): Promise<
      { ok: true; bonusPoints: number; balance: number } | { ok: false; reason: AccountLinkRefusal }
    > {
      const now = clock.now()
      const row = await accountLinks.nonce(tx, nonce)
      if (!row) return { ok: false, reason: 'unknown_nonce' }
      if (row.usedAt !== null) return { ok: false, reason: 'nonce_used' }
      if (row.expiresAt <= now) return { ok: false, reason: 'nonce_expired' }
      if (row.userId !== null && row.userId !== userId) {
        return { ok: false, reason: 'user_mismatch' }
      }
      if (!(await accountLinks.useNonce(tx, nonce, now))) return { ok: false, reason: 'nonce_used' }
      try {
        const r = await tx.savepoint((sp) =>
          membership.linkVerifiedCard(sp, userId, row.cardId, 'account_link', row.consentVersion),
        )
        return { ok: true, bonusPoints: r.bonusPoints, balance: r.member.points }
      } catch (err) {
        if (err instanceof AlreadyLinked || err instanceof CardAlreadyLinked) {
          return { ok: false, reason: err.code as 'ALREADY_LINKED' | 'CARD_ALREADY_LINKED' }
        }
        throw err
      }
    },
  }
}

export type AccountLink = ReturnType<typeof createAccountLink>
