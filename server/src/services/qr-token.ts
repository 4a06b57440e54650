import { randomBytes, timingSafeEqual } from 'node:crypto'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { base32nopad } from '@scure/base'

/**
 * QR tokens: 22 bytes in RFC 4648 base32 without padding (36 characters, all in the QR
 * alphanumeric set, so the code stays low-density and scans fast).
 *
 *   version(1) | linkId(4, uint32 BE) | expiresAt(4, Unix seconds) | nonce(3) | mac(10)
 *
 * The MAC is HMAC-SHA256 truncated to 80 bits, keyed with a server secret. The token names
 * a link (not a person or a card number) and reveals no personal data; an unlink makes it
 * useless because the link is closed. See docs/decisions/002-qr-token.md.
 */
const VERSION = 1
const BODY = 12
const MAC = 10

export interface QrPayload {
  linkId: number
  expiresAt: number
  /** A stable identifier of this token, recorded with every transaction that used it. */
  tokenId: string
  /** An offline code (docs/decisions/067): every transaction spends it. */
  offline?: true
}

export type QrCheck =
  | { ok: true; payload: QrPayload }
  | { ok: false; reason: 'invalid' | 'expired' }

/**
 * Random bytes drawn from the CSPRNG a page at a time: a token needs 3, and one
 * `randomBytes` call per token cost ~8 % of `GET /api/card/qr`. Each byte is used once.
 */
let pool = Buffer.alloc(0)
let poolAt = 0
function randomInto(target: Buffer, at: number, n: number): void {
  if (poolAt + n > pool.length) {
    pool = randomBytes(4096)
    poolAt = 0
  }
  pool.copy(target, at, poolAt, poolAt + n)
  poolAt += n
}

/**
 * HMAC-SHA256 from @noble/hashes (audited, pure JavaScript), keyed once per key and cloned per
 * token. Node's `createHmac` does the same arithmetic in OpenSSL, but on the bench machine one
 * OpenSSL call per request cost the QR route ~15-20 µs in the server against ~3 µs in a tight
 * loop (measured in a bare Node server: docs/decisions/018); the JavaScript one does not.
 */
const keyed = new WeakMap<Buffer, ReturnType<typeof hmac.create>>()
function mac(key: Buffer, body: Uint8Array): Buffer {
  let base = keyed.get(key)
  if (!base) {
    base = hmac.create(sha256, key)
    keyed.set(key, base)
  }
  const digest = base.clone().update(body).digest()
  return Buffer.from(digest.buffer, digest.byteOffset, MAC)
}

/** Issues a token for `linkId` valid until `expiresAtSec`. */
export function issueQrToken(key: Buffer, linkId: number, expiresAtSec: number): string {
  const body = Buffer.alloc(BODY)
  body.writeUInt8(VERSION, 0)
  body.writeUInt32BE(linkId, 1)
  body.writeUInt32BE(expiresAtSec, 5)
  randomInto(body, 9, 3)
  return base32nopad.encode(Buffer.concat([body, mac(key, body)]))
}

/** Checks a token's shape and MAC, then its expiry. */
export function checkQrToken(key: Buffer, token: string, nowMs: number): QrCheck {
  const text = token.trim().toUpperCase()
  if (!/^[A-Z2-7]{36}$/.test(text)) return { ok: false, reason: 'invalid' }
  let raw: Uint8Array
  try {
    raw = base32nopad.decode(text)
  } catch {
    return { ok: false, reason: 'invalid' }
  }
  if (raw.length !== BODY + MAC) return { ok: false, reason: 'invalid' }
  const buf = Buffer.from(raw)
  const body = buf.subarray(0, BODY)
  if (!timingSafeEqual(mac(key, body), buf.subarray(BODY))) return { ok: false, reason: 'invalid' }
  if (body.readUInt8(0) !== VERSION) return { ok: false, reason: 'invalid' }
  const expiresAt = body.readUInt32BE(5)
  if (expiresAt * 1000 <= nowMs) return { ok: false, reason: 'expired' }
  return {
    ok: true,
    payload: {
      linkId: body.readUInt32BE(1),
      expiresAt,
      tokenId: buf.subarray(BODY).toString('base64url'),
    },
  }
}
