import { hmac } from '@noble/hashes/hmac.js'
import { sha1 } from '@noble/hashes/legacy.js'
import { base32nopad } from '@scure/base'

/**
 * Offline card codes on the phone (docs/decisions/067): RFC 6238 TOTP under the link's device
 * key, so the card shows a code the till accepts with no signal. Loaded lazily by the card
 * (it is not in the first JavaScript).
 */
export interface DeviceKey {
  linkId: number
  /** RFC 4648 base32. */
  secret: string
  digits: number
  period: number
  qrPrefix: string
  /** When the server issued it (ms). */
  issuedAt?: number
}

export interface OfflineCode {
  /** What the QR carries: `OFF1-<linkId>-<digits>`. */
  qr: string
  /** What a person types at the till: `<linkId>-<digits>`. */
  short: string
  /** When the phone shows the next code (ms, device clock). */
  nextAt: number
}

/** RFC 4226 HOTP at `counter` (HMAC-SHA-1 from @noble/hashes, dynamic truncation §5.3). */
function hotp(secret: Uint8Array, counter: number, digits: number): string {
  const msg = new Uint8Array(8)
  new DataView(msg.buffer).setBigUint64(0, BigInt(counter))
  const mac = hmac(sha1, secret, msg)
  const at = (mac[19] ?? 0) & 0x0f
  const bin = new DataView(mac.buffer, mac.byteOffset + at, 4).getUint32(0) & 0x7fffffff
  return String(bin % 10 ** digits).padStart(digits, '0')
}

/** The code of `key` at `nowMs` (RFC 6238: T = floor(unix seconds / period)). */
export function offlineCode(key: DeviceKey, nowMs: number): OfflineCode {
  const step = Math.floor(nowMs / 1000 / key.period)
  const digits = hotp(base32nopad.decode(key.secret.toUpperCase()), step, key.digits)
  const short = `${key.linkId}-${digits}`
  return { qr: `${key.qrPrefix}${short}`, short, nextAt: (step + 1) * key.period * 1000 }
}

/** The kept key (localStorage, per LINE user), if any. */
export function readDeviceKey(storageKey: string): DeviceKey | null {
  try {
    const k = JSON.parse(localStorage.getItem(storageKey) ?? 'null') as DeviceKey | null
    return k && typeof k.secret === 'string' && typeof k.linkId === 'number' ? k : null
  } catch {
    return null
  }
}

/** Keeps `key` for the next visit (and the next time there is no signal). */
export function keepDeviceKey(storageKey: string, key: DeviceKey): void {
  try {
    localStorage.setItem(storageKey, JSON.stringify(key))
  } catch {
    // storage full or disabled: the card needs a connection for its code
  }
}
