import { createHash, randomBytes } from 'node:crypto'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { WebLoginRefused } from '../domain/errors.ts'
import { IdTokenError, type IdTokenVerifier } from '../line/id-token.ts'
import { type LineLoginClient, LoginClientError } from '../line/login-client.ts'
import { rateWindows } from '../repositories/rate-windows.ts'
import { webLoginStates } from '../repositories/web-login-states.ts'
import { safeNextPath } from './safe-next-path.ts'
import type { WebSessions } from './web-sessions.ts'

/** A sign-in must come back from LINE within this time. */
export const WEB_LOGIN_TTL_MS = 10 * 60_000
/** Used and expired sign-ins are kept this long (so a late reuse is told apart), then purged. */
const KEEP_USED_MS = 24 * 3_600_000
/**
 * Sign-ins one client address may start per minute: each one stores a row, so a flood is
 * refused before it fills the table, while many people behind one carrier NAT still get in.
 */
export const WEB_LOGIN_STARTS_PER_MINUTE = 120
const MINUTE_MS = 60_000

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')
/** What a binding value looks like (32 random bytes, base64url). */
const BINDING_SHAPE = /^[A-Za-z0-9_-]{43}$/
/** What a state looks like (oauth4webapi's random state: 32 bytes, base64url). */
const STATE_SHAPE = /^[A-Za-z0-9_-]{16,128}$/

/**
 * LINE Login on the web: starts a sign-in (fresh `state`, `nonce` and PKCE verifier, kept in
 * the database against a random value in a short-lived cookie of this browser), and finishes
 * it at the callback (the state used once, in this browser, in time; the code exchanged at
 * LINE; the ID token verified like every other, and its nonce), starting a web session.
 * docs/decisions/058.
 */
export function createWebLogin(deps: {
  db: Database
  clock: Clock
  client: LineLoginClient
  verifier: IdTokenVerifier
  sessions: WebSessions
}) {
  const { db, clock, client, verifier, sessions } = deps

  return {
    /**
     * Starts a sign-in that will end at `next` (any unsafe value becomes `/`). `binding` is the
     * browser's binding cookie when it has one (several tabs may sign in at once); the answer
     * says which binding value to set. Throws `WebLoginRefused('too_many')` past
     * `WEB_LOGIN_STARTS_PER_MINUTE` from `clientAddress`.
     */
    async start(
      next: string | undefined,
      binding: string | undefined,
      clientAddress: string,
    ): Promise<{ redirectUrl: string; binding: string }> {
      const bind =
        binding && BINDING_SHAPE.test(binding) ? binding : randomBytes(32).toString('base64url')
      const request = await client.begin()
      const at = clock.now()
      await db.transaction(async (tx) => {
        const allowed = await rateWindows.take(tx, {
          key: `web-login:${clientAddress}`,
          window: at - (at % MINUTE_MS),
          n: 1,
          limit: WEB_LOGIN_STARTS_PER_MINUTE,
        })
        if (!allowed) throw new WebLoginRefused('too_many', safeNextPath(next))
        await webLoginStates.insert(tx, {
          stateHash: sha256(request.state),
          bindingHash: sha256(bind),
          nonce: request.nonce,
          codeVerifier: request.codeVerifier,
          nextPath: safeNextPath(next),
          at,
          expiresAt: at + WEB_LOGIN_TTL_MS,
        })
        await webLoginStates.purge(tx, at - KEEP_USED_MS)
      })
      return { redirectUrl: request.url, binding: bind }
    },

    /**
     * Finishes a sign-in at the callback URL with this browser's binding cookie: returns the
     * new session's token and where to go. Throws `WebLoginRefused` (with the sign-in's `next`
     * when the state was valid, so the page can lead back there).
     */
    async finish(
      callback: URL,
      binding: string | undefined,
    ): Promise<{ token: string; expiresAt: number; nextPath: string }> {
      try {
        return await finishChecked(callback, binding)
      } catch (err) {
        // A cancelled sign-in is told as such even when its state no longer serves: nothing
        // is started either way, and "cancelled" is what the person did.
        const cancelled = callback.searchParams.get('error') === 'access_denied'
        if (cancelled && err instanceof WebLoginRefused && err.reason.startsWith('state_')) {
          throw new WebLoginRefused('cancelled')
        }
        throw err
      }
    },
  }

  async function finishChecked(
    callback: URL,
    binding: string | undefined,
  ): Promise<{ token: string; expiresAt: number; nextPath: string }> {
    const params = callback.searchParams
    const state = params.get('state')
    if (!state) throw new WebLoginRefused('state_missing')
    if (!STATE_SHAPE.test(state)) throw new WebLoginRefused('state_unknown')
    const stateHash = sha256(state)
    const now = clock.now()
    // Used at the first sight, whatever follows: a state never serves twice.
    const row = await webLoginStates.consume(db, stateHash, now)
    if (!row) {
      const known = await webLoginStates.known(db, stateHash)
      throw new WebLoginRefused(known ? 'state_used' : 'state_unknown')
    }
    if (row.expiresAt <= now) throw new WebLoginRefused('state_expired')
    if (!binding || !BINDING_SHAPE.test(binding) || sha256(binding) !== row.bindingHash) {
      throw new WebLoginRefused('other_browser')
    }
    const nextPath = row.nextPath
    let idToken: string
    try {
      idToken = await client.exchange(callback, {
        state,
        nonce: row.nonce,
        codeVerifier: row.codeVerifier,
      })
    } catch (err) {
      if (!(err instanceof LoginClientError)) throw err
      const f = err.failure
      if (f.kind === 'authorization_error') {
        throw new WebLoginRefused(
          f.error === 'access_denied' ? 'cancelled' : 'authorization_error',
          nextPath,
        )
      }
      if (f.kind === 'id_token_invalid') {
        throw new WebLoginRefused(f.nonce ? 'nonce_mismatch' : 'id_token_invalid', nextPath)
      }
      throw new WebLoginRefused(f.kind, nextPath)
    }
    // The signature (HS256, the channel secret), issuer, audience and times, as for every
    // ID token; and the nonce once more, by our own reading of the verified claims.
    let verified: Awaited<ReturnType<IdTokenVerifier['verify']>>
    try {
      verified = await verifier.verify(idToken)
    } catch (err) {
      if (!(err instanceof IdTokenError)) throw err
      throw new WebLoginRefused(
        err.reason === 'unavailable' ? 'unavailable' : 'id_token_invalid',
        nextPath,
      )
    }
    if (verified.nonce !== row.nonce) throw new WebLoginRefused('nonce_mismatch', nextPath)
    const session = await sessions.start({ lineUserId: verified.sub, name: verified.name })
    return { ...session, nextPath }
  }
}

export type WebLogin = ReturnType<typeof createWebLogin>
