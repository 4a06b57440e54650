import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { generate, generateSecret, generateURI, verify } from 'otplib'

/**
 * TOTP second factor (RFC 6238: 30-second steps, 6 digits, SHA-1, as every authenticator app
 * expects) through `otplib`; decision 041 says why. Secrets are stored encrypted with
 * AES-256-GCM under a key derived (HKDF) from the server's PIN secret, which is kept outside
 * the database: whoever holds only the database cannot generate codes.
 */

/** One TOTP step, in seconds. */
export const TOTP_PERIOD = 30

/** A code of the step before or after the current one is accepted (clock drift). */
const TOLERANCE_SECONDS = TOTP_PERIOD

const ENCRYPTION_INFO = 'membercard totp secret v1'

/** Encrypts and decrypts TOTP secrets for storage. */
export interface TotpSealer {
  seal(secret: string): string
  open(sealed: string): string
}

/** The sealer keyed from a server secret (`secrets.pinHashKey`). */
export function totpSealer(serverSecret: Buffer): TotpSealer {
  const key = Buffer.from(hkdfSync('sha256', serverSecret, Buffer.alloc(0), ENCRYPTION_INFO, 32))
  return {
    seal(secret) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
      const tag = cipher.getAuthTag()
      return ['v1', iv, tag, body]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.')
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.')
      if (version !== 'v1' || !iv || !tag || body === undefined) {
        throw new Error('not a sealed TOTP secret')
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([
        decipher.update(Buffer.from(body, 'base64url')),
        decipher.final(),
      ]).toString('utf8')
    },
  }
}

/** A new random secret (160 bits, Base32) and the `otpauth://` URL an authenticator app scans. */
export function newTotpSecret(
  issuer: string,
  label: string,
): { secret: string; otpauthUrl: string } {
  const secret = generateSecret({ length: 20 })
  return { secret, otpauthUrl: generateURI({ issuer, label, secret }) }
}

/**
 * The time step `code` belongs to when it is right at `nowMs` (± one step) and later than
 * `afterStep`; else null. A step, once taken, is passed as `afterStep` from then on, so a code
 * is never accepted twice.
 */
export async function totpStep(
  secret: string,
  code: string | undefined,
  nowMs: number,
  afterStep: number | null,
): Promise<number | null> {
  if (code === undefined || !/^\d{6}$/.test(code)) return null
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(nowMs / 1000),
    epochTolerance: TOLERANCE_SECONDS,
    ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
  })
  // The TOTP strategy's result carries the step (the HOTP one of the union does not).
  return result.valid && 'timeStep' in result ? result.timeStep : null
}

/** The code of `secret` at `nowMs` (tests and the demo use it; users have their app). */
export function totpCode(secret: string, nowMs: number): Promise<string> {
  return generate({ secret, epoch: Math.floor(nowMs / 1000) })
}
