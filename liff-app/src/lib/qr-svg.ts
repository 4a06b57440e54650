import { create } from 'qrcode/lib/core/qrcode.js'

/** Modules of white around the code: the QR specification's quiet zone. */
export const QUIET_ZONE = 4

/**
 * Encodes `text` and returns one SVG path of its dark modules plus the view box size (the
 * quiet zone included). A vector drawing stays crisp at any pixel ratio.
 */
export function qrPath(text: string): { d: string; size: number } {
  const { modules } = create(text, { errorCorrectionLevel: 'M' })
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
  return { d: parts.join(''), size: n + QUIET_ZONE * 2 }
}
