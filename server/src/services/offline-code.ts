import { generate, generateSecret, verify } from 'otplib'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { QrInvalid, TooManyAttempts } from '../domain/errors.ts'
import { deviceKeys } from '../repositories/device-keys.ts'
import { rateWindows } from '../repositories/rate-windows.ts'
import type { QrPayload } from './qr-token.ts'
import type { TotpSealer } from './totp.ts'

/**
 * Offline card codes (docs/decisions/067): RFC 6238 TOTP (SHA-1, 30-second steps, 8 digits)
 * under a per-link device key the phone got while online. A code names its link, so the till
 * can type it: `<linkId>-<8 digits>`; the QR carries the same with the prefix `OFF1-`.
 */
export const OFFLINE_CODE = { period: 30, digits: 8 } as const
/** The QR text starts with this; an online token never does (it is 36 base32 characters). */
export const OFFLINE_QR_PREFIX = 'OFF1-'
/** Codes checked per link per hour, right or wrong (the brute-force bound of decision 067). */
export const OFFLINE_ATTEMPTS_PER_HOUR = 20
const HOUR_MS = 3_600_000

/** A code of the step before or after the current one is accepted (clock skew). */
const TOLERANCE_SECONDS = OFFLINE_CODE.period

/** `<linkId>-<8 digits>`, optionally `OFF1-` first; spaces anywhere are ignored. */
export function parseOfflineCode(text: string): { linkId: number; code: string } | null {
  const t = text.replace(/\s+/g, '').toUpperCase()
  const m = /^(?:OFF1-)?([1-9]\d{0,9})-(\d{8})$/.exec(t)
  if (!m?.[1] || !m[2]) return null
  const linkId = Number(m[1])
  if (linkId > 0x7fffffff) return null
  return { linkId, code: m[2] }
}

export interface OfflineCodeDeps {
  db: Database
  clock: Clock
  sealer: TotpSealer
}

export function createOfflineCodes({ db, clock, sealer }: OfflineCodeDeps) {
  return {
    /** A new device key for the link (replacing any earlier one): the secret, for the phone. */
    async issue(linkId: number): Promise<{ secret: string; issuedAt: number }> {
      const secret = generateSecret({ length: 20 })
      const issuedAt = clock.now()
      await db.transaction((tx) =>
        deviceKeys.put(tx, { linkId, secret: sealer.seal(secret), issuedAt }),
      )
      return { secret, issuedAt }
    },

    /**
     * Checks an offline code (not one: null). Counts the attempt against the link's hourly
     * limit first (TOO_MANY_ATTEMPTS past it), then the code against the link's key, ± one
     * step. The payload's token id names link and step: `qr_token_uses` makes it single-use.
     */
    async resolve(text: string): Promise<QrPayload | null> {
      const parsed = parseOfflineCode(text)
      if (!parsed) return null
      const now = clock.now()
      const window = now - (now % HOUR_MS)
      const allowed = await db.transaction((tx) =>
        rateWindows.take(tx, {
          key: `offline-code:${parsed.linkId}`,
          window,
          n: 1,
          limit: OFFLINE_ATTEMPTS_PER_HOUR,
        }),
      )
      if (!allowed) {
        throw new TooManyAttempts(
          Math.ceil((window + HOUR_MS - now) / 1000),
          'Scan the member QR code instead, or ask the customer to connect.',
        )
      }
      const sealed = await db.transaction((tx) => deviceKeys.ofActiveLink(tx, parsed.linkId))
      const refused = new QrInvalid('This offline code is not valid. Ask for a fresh code.')
      if (sealed === undefined) throw refused
      const result = await verify({
        secret: sealer.open(sealed),
        token: parsed.code,
        digits: OFFLINE_CODE.digits,
        period: OFFLINE_CODE.period,
        epoch: Math.floor(now / 1000),
        epochTolerance: TOLERANCE_SECONDS,
      })
      if (!result.valid || !('timeStep' in result)) throw refused
      const step = result.timeStep
      return {
        linkId: parsed.linkId,
        // Kept (for single use) until the step can no longer be accepted, plus the grace.
        expiresAt: (step + 2) * OFFLINE_CODE.period,
        tokenId: `off:${parsed.linkId}:${step}`,
        offline: true,
      }
    },
  }
}

export type OfflineCodes = ReturnType<typeof createOfflineCodes>

/** The code of `secret` at `nowMs` (tests; the phone computes its own). */
export function offlineCodeAt(secret: string, nowMs: number): Promise<string> {
  return generate({
    secret,
    digits: OFFLINE_CODE.digits,
    period: OFFLINE_CODE.period,
    epoch: Math.floor(nowMs / 1000),
  })
}
