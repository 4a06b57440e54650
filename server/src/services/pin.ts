import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * A keyed hash of a card's PIN: HMAC-SHA256 over the card number and the PIN, with a key
 * kept outside the database (see the contract: a slow hash cannot protect 10,000 values).
 */
export function hashPin(key: Buffer, cardNumber: string, pin: string): string {
  return createHmac('sha256', key).update(`pin:${cardNumber}:${pin}`).digest('hex')
}

/** Constant-time check of a PIN against its stored hash. */
export function verifyPin(key: Buffer, cardNumber: string, pin: string, stored: string): boolean {
  const actual = Buffer.from(hashPin(key, cardNumber, pin), 'hex')
  const expected = Buffer.from(stored, 'hex')
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/** A keyed digest of a card number, to count attempts per card without storing the number. */
export function cardKey(key: Buffer, cardNumber: string): string {
  return createHmac('sha256', key).update(`card:${cardNumber}`).digest('base64url').slice(0, 22)
}
