/**
 * How every screen shows a masked card number (the customer's card and the till alike):
 * bullets for the hidden digits, in groups of four — `•••• •••• •••• 0011`. (A module of its
 * own: the card's first chunk carries this line and not the rest of `card-number.ts`.)
 */
export function displayMaskedCardNumber(masked: string): string {
  return masked.replace(/\*/g, '•').replace(/(.{4})(?=.)/g, '$1 ')
}
