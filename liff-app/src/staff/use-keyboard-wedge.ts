import { onBeforeUnmount, onMounted } from 'vue'
import { typedCardNumber } from './card-number-input.ts'
import { normalizeQrToken } from './scanner.ts'

/**
 * Longest pause between two characters of one scan. A scanner types far faster, but a busy
 * tablet can deliver its key events late; a person who types a whole valid token and Enter
 * with no field focused means it as a scan anyway. A longer pause starts over.
 */
const MAX_GAP_MS = 1000

/**
 * A USB or Bluetooth barcode scanner in keyboard mode ("wedge") types the token and Enter.
 * This listens on the whole page while no text field has focus (a field gets the characters
 * itself and its form submits on Enter) and hands a complete token, or a card number read
 * from a plastic card's barcode, to `onToken`.
 */
export function useKeyboardWedge(
  onToken: (token: string) => void,
  now: () => number = () => performance.now(),
) {
  let buffer = ''
  let last = 0

  function onKeydown(e: KeyboardEvent) {
    const target = e.target as HTMLElement | null
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return
    const t = now()
    if (t - last > MAX_GAP_MS) buffer = ''
    last = t
    if (e.key === 'Enter') {
      // A member's code, or a plastic card's barcode (its 16 digits: decision 092).
      const token = normalizeQrToken(buffer) ?? typedCardNumber(buffer)
      buffer = ''
      if (token) {
        e.preventDefault()
        onToken(token)
      }
      return
    }
    if (e.key.length === 1) buffer = (buffer + e.key).slice(-64)
  }

  onMounted(() => window.addEventListener('keydown', onKeydown))
  onBeforeUnmount(() => window.removeEventListener('keydown', onKeydown))
  return { onKeydown }
}
