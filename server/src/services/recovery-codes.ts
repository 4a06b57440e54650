import { randomInt } from 'node:crypto'
import type { Executor } from '../db/seam.ts'
import { recoveryCodes } from '../repositories/recovery-codes.ts'
import { hashPassword, verifyPassword } from './password.ts'

/**
 * TOTP recovery codes (decision 093): when an account enrolls its second factor (or asks for
 * new ones) it gets `RECOVERY_CODE_COUNT` codes, shown once. Each replaces the 6-digit code at
 * one sign-in. A code is 10 characters of a 31-letter alphabet without look-alikes (49 bits,
 * from the CSPRNG), shown as `XXXXX-XXXXX`; it is stored only as a scrypt hash, the staff
 * passwords' hash (password.ts), so the database alone does not give a code away. Its first
 * 2 characters are also kept in clear as a selector, distinct within a set, so a sign-in runs
 * one scrypt rather than ten (the 8 characters left are 39 bits, each guess a scrypt).
 */
export const RECOVERY_CODE_COUNT = 10

/** No 0/O, 1/I/L: a code read off paper is typed back right. */
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'
const LENGTH = 10
const CODE = new RegExp(`^[${ALPHABET}]{${LENGTH}}$`)

function newCode(): string {
  let code = ''
  for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)]
  return `${code.slice(0, 5)}-${code.slice(5)}`
}

/** A code as typed: upper case, without spaces and hyphens; null when it cannot be one. */
export function normalizeRecoveryCode(input: string): string | null {
  const code = input.replace(/[\s-]/g, '').toUpperCase()
  return CODE.test(code) ? code : null
}

const SELECTOR_LENGTH = 2

/** A code's selector: its first characters, normalised. */
const selectorOf = (normalized: string) => normalized.slice(0, SELECTOR_LENGTH)

/** A set of codes as made: to show (`codes`) and to store (`stored`). */
export interface MadeRecoveryCodes {
  codes: string[]
  stored: { selector: string; codeHash: string }[]
}

/** A new set of codes with distinct selectors, hashed (before any transaction: scrypt is slow). */
export async function makeRecoveryCodes(): Promise<MadeRecoveryCodes> {
  const bySelector = new Map<string, string>()
  while (bySelector.size < RECOVERY_CODE_COUNT) {
    const code = newCode()
    bySelector.set(selectorOf(code), code)
  }
  const codes = [...bySelector.values()]
  const stored = await Promise.all(
    codes.map(async (c) => {
      const normalized = c.replace('-', '')
      return { selector: selectorOf(normalized), codeHash: await hashPassword(normalized) }
    }),
  )
  return { codes, stored }
}

/** In `tx`: the account's codes become these (every earlier code stops working). */
export function storeRecoveryCodes(
  tx: Executor,
  staffId: string,
  made: MadeRecoveryCodes,
  at: number,
) {
  return recoveryCodes.replace(tx, staffId, made.stored, at)
}

/** The id of the account's unused code that `input` is, or null. */
export async function matchRecoveryCode(
  db: Executor,
  staffId: string,
  input: string,
): Promise<number | null> {
  const code = normalizeRecoveryCode(input)
  if (code === null) return null
  const unused = await recoveryCodes.unused(db, staffId, selectorOf(code))
  const matches = await Promise.all(unused.map((r) => verifyPassword(code, r.codeHash)))
  return unused[matches.indexOf(true)]?.id ?? null
}
