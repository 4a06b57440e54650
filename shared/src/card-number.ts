/** Removes the spaces and hyphens a person may type inside a card number. */
export function normalizeCardNumber(input: string): string {
  return input.replace(/[\s-]/g, '')
}

/** True when `digits` passes the Luhn (mod 10) check. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return sum % 10 === 0
}

/** The check digit that makes `body` followed by it pass the Luhn check. */
export function luhnCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) {
    if (luhnValid(body + d)) return String(d)
  }
  throw new Error('unreachable')
}

/** Why a typed card number is not acceptable, or null when it is. */
export function cardNumberProblem(input: string): 'format' | 'checkDigit' | null {
  const digits = normalizeCardNumber(input)
  if (!/^\d{16}$/.test(digits)) return 'format'
  if (!luhnValid(digits)) return 'checkDigit'
  return null
}

/** A card number masked but its last four digits: `************0011`. */
export function maskCardNumber(cardNumber: string): string {
  return '*'.repeat(Math.max(0, cardNumber.length - 4)) + cardNumber.slice(-4)
}

/** Groups digits by four for display: `1234 5678 ...`. */
export function groupCardNumber(digits: string): string {
  return digits.replace(/(\d{4})(?=\d)/g, '$1 ')
}
