import { create } from 'qrcode/lib/core/qrcode.js'

/** Modules of white around the code: the QR specification's quiet zone. */
export const QUIET_ZONE = 4

/** The last drawing: the card draws the same token again on each re-render. */
let last: { text: string; drawing: { d: string; size: number } } | null = null

/**
 * Encodes `text` and returns one SVG path of its dark modules plus the view box size (the
 * quiet zone included). A vector drawing stays crisp at any pixel ratio.
 *
 * The text goes in as one segment in the densest mode that holds all of it (a QR token,
 * RFC 4648 base32, is alphanumeric), so `qrcode`'s mixed-mode optimiser (`fromString`, and
 * with it `dijkstrajs`, stubbed out in vite.config.ts) is never used.
 */
export function qrPath(text: string): { d: string; size: number } {
  if (last?.text === text) return last.drawing
  const { modules } = create([text], { errorCorrectionLevel: 'M' })
  const n = modules.size
  const parts: string[] = []
  for (let y = 0; y < n; y++) {
    let x = 0
    while (x < n) {
      if (!modules.data[y * n + x]) {
        x++
        continue
      }
      const start = x
      while (x < n && modules.data[y * n + x]) x++
      parts.push(`M${start + QUIET_ZONE} ${y + QUIET_ZONE}h${x - start}v1h${start - x}z`)
    }
  }
  const drawing = { d: parts.join(''), size: n + QUIET_ZONE * 2 }
  last = { text, drawing }
  return drawing
}
