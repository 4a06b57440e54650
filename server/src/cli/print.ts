/** Groups a card number by four for a human at a terminal (demo cards only). */
export function formatCardNumberForPrint(cardNumber: string): string {
  return cardNumber.replace(/(\d{4})(?=\d)/g, '$1 ')
}
