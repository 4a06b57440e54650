import { cardNumberProblem } from '@membercard/shared/card-number'

/**
 * A plastic card's number as the till gets it (decision 092): typed with spaces, hyphens or
 * full-width digits, or read from the card's barcode by a scanner. Its 16 digits, or null
 * when the text is not 16 digits at all.
 */
export function typedCardNumber(text: string): string | null {
  const digits = text
    .replace(/[\s\u3000\-‐－ー]/g, '')
    .replace(/[０-９]/g, (d) => String(d.charCodeAt(0) - 0xff10))
  return /^\d{16}$/.test(digits) ? digits : null
}

/** The 16 digits when they can be a card number (format and check digit), else null. */
export function validCardNumber(text: string): string | null {
  const digits = typedCardNumber(text)
  return digits !== null && cardNumberProblem(digits) === null ? digits : null
}
