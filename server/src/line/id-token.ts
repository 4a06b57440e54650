import {
  createRemoteJWKSet,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  type ProtectedHeaderParameters,
} from 'jose'
import { BoundedCache } from '../bounded-cache.ts'

/** The claims the app uses from a verified LINE ID token. */
export interface VerifiedIdToken {
  sub: string
  name: string | undefined
  exp: number
  /** The `nonce` claim, when the token has one (web login checks it against its own). */
  nonce?: string | undefined
}

/** Why a token was refused: `expired` maps to `ID_TOKEN_EXPIRED`, the rest `INVALID_ID_TOKEN`. */
export class IdTokenError extends Error {
  constructor(
    readonly reason: 'expired' | 'invalid' | 'unavailable',
    message: string,
  ) {
    super(message)
  }
}

/** Verifies LINE ID tokens. */
export interface IdTokenVerifier {
  verify(token: string): Promise<VerifiedIdToken>
}

export interface IdTokenVerifierOptions {
  /** Base of `/oauth2/v2.1/certs`. */
  apiBase: string
  issuer: string
  /** The LINE Login channel ID: the `aud` a token must carry. */
  channelId: string
  /** When set, HS256 tokens signed with it (web login) are accepted too. */
  channelSecret?: string | undefined
  now: () => number
  /** Clock tolerance in seconds for `exp` and `iat` (phones with a wrong clock). */
  toleranceSeconds?: number
  /** How many verified tokens are remembered (until their `exp`). */
  cacheSize?: number
  /** Replaces the remote JWKS, e.g. with a local key set. */
  keySet?: JWTVerifyGetKey
}

const LINE_USER_ID = /^U[0-9a-f]{32}$/

/**
 * ES256 against LINE's JWKS (cached by jose, refetched on an unknown `kid` at most once a
 * minute), HS256 with the channel secret when configured; `iss`, `aud`, `exp`, `iat` checked
 * with a small tolerance. Verified tokens are remembered until they expire, in a bounded map
 * keyed by their signature and checked against the whole token, so a returning customer does
 * not pay for the signature again.
 * (The key used to be the token's SHA-256: hashing every request's token cost `/api/me` ~3 % of
 * its time, and the map holds nothing a request did not already carry; it is never logged.)
 */
export function createIdTokenVerifier(opts: IdTokenVerifierOptions): IdTokenVerifier {
  const tolerance = opts.toleranceSeconds ?? 60
  const cacheSize = opts.cacheSize ?? 10_000
  const cache = new BoundedCache<string, { token: string; verified: VerifiedIdToken }>(cacheSize)
  let remote: JWTVerifyGetKey | undefined
  const jwks = (): JWTVerifyGetKey => {
    if (opts.keySet) return opts.keySet
    remote ??= createRemoteJWKSet(new URL(`${opts.apiBase}/oauth2/v2.1/certs`), {
      cooldownDuration: 60_000,
      cacheMaxAge: 60 * 60_000,
      timeoutDuration: 5_000,
    })
    return remote
  }
  const hsKey = opts.channelSecret ? new TextEncoder().encode(opts.channelSecret) : undefined
  const algorithms = hsKey ? ['ES256', 'HS256'] : ['ES256']

  const getKey: JWTVerifyGetKey = (header: ProtectedHeaderParameters, token) => {
    if (header.alg === 'HS256') {
      if (!hsKey) throw new IdTokenError('invalid', 'HS256 not accepted')
      return hsKey
    }
    return jwks()(header as Parameters<JWTVerifyGetKey>[0], token)
  }

  return {
    async verify(token) {
      if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
        throw new IdTokenError('invalid', 'malformed token')
      }
      const nowMs = opts.now()
      const nowSec = Math.floor(nowMs / 1000)
      // Keyed by the signature (~86 characters) instead of the whole token (~900): a new
      // token's key is hashed once per request, and a short one costs less (decision 103).
      // A hit counts only when the whole token is the one verified, so a token that reuses a
      // verified signature with another header or payload is verified, and refused.
      const key = token.slice(token.lastIndexOf('.') + 1)
      const kept = cache.get(key)
      if (kept && kept.token === token) {
        const hit = kept.verified
        if (hit.exp + tolerance >= nowSec) return hit
        cache.delete(key)
        throw new IdTokenError('expired', 'token expired')
      }
      let payload: JWTPayload
      try {
        const result = await jwtVerify(token, getKey, {
          algorithms,
          issuer: opts.issuer,
          audience: opts.channelId,
          clockTolerance: tolerance,
          currentDate: new Date(nowMs),
          requiredClaims: ['sub', 'exp', 'iat'],
        })
        payload = result.payload
      } catch (err) {
        if (err instanceof errors.JWTExpired) throw new IdTokenError('expired', 'token expired')
        if (err instanceof IdTokenError) throw err
        // LINE's key endpoint unreachable: not the caller's fault.
        if (err instanceof errors.JWKSTimeout || err instanceof TypeError) {
          throw new IdTokenError('unavailable', 'LINE keys unavailable')
        }
        if (err instanceof errors.JOSEError) {
          throw new IdTokenError('invalid', err.message)
        }
        throw err
      }
      const { sub, exp, iat } = payload
      if (typeof sub !== 'string' || !LINE_USER_ID.test(sub)) {
        throw new IdTokenError('invalid', 'bad subject')
      }
      if (typeof exp !== 'number' || typeof iat !== 'number' || iat > nowSec + tolerance) {
        throw new IdTokenError('invalid', 'bad iat')
      }
      const verified: VerifiedIdToken = {
        sub,
        exp,
        name: typeof payload.name === 'string' ? payload.name : undefined,
        nonce: typeof payload.nonce === 'string' ? payload.nonce : undefined,
      }
      cache.set(key, { token, verified })
      return verified
    },
  }
}
