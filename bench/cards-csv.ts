import { createWriteStream } from 'node:fs'
import { luhnCheckDigit } from '../shared/src/card-number.ts'

/** The PIN of generated card `i` (so the bench can link any of them). */
export function benchPin(i: number): string {
  return String((i * 7919 + 13) % 10_000).padStart(4, '0')
}

/** The number of generated card `i`: 15 digits under prefix 8 plus a Luhn check digit. */
export function benchCardNumber(i: number): string {
  const body = `8${String(i).padStart(14, '0')}`
  return body + luhnCheckDigit(body)
}

const RANKS = ['regular', 'regular', 'regular', 'silver', 'gold'] as const

/**
 * Writes `rows` generated point cards (cards `offset` to `offset + rows - 1`) as the contract's
 * CSV (all six columns, some quoted names, a birth date on most rows), streaming so a million
 * rows need no memory.
 */
export async function writeCardsCsv(path: string, rows: number, offset = 0): Promise<void> {
  const out = createWriteStream(path)
  const write = (s: string) =>
    out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()))
  await write('card_number,pin,name,points,rank,birth_date\n')
  let chunk = ''
  for (let i = offset; i < offset + rows; i++) {
    const name = i % 10 === 0 ? `"Member, ${i}"` : `会員 ${i}`
    const month = String((i % 12) + 1).padStart(2, '0')
    const day = String((i % 28) + 1).padStart(2, '0')
    const birth = i % 7 === 0 ? '' : `${1950 + (i % 55)}-${month}-${day}`
    chunk += `${benchCardNumber(i)},${benchPin(i)},${name},${(i * 37) % 5000},${RANKS[i % 5]},${birth}\n`
    if (chunk.length > 1 << 16) {
      await write(chunk)
      chunk = ''
    }
  }
  await write(chunk)
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  )
}
