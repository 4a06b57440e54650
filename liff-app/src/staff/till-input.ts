/** What a clerk types at the till, read as numbers. */

/** A whole number ≥ 1 from what a clerk typed ("1,999", "１９９９円", "39 pt"), or null. */
export function parseWhole(text: string): number | null {
  const s = text
    .replace(/[,\s円pt]/g, '')
    .replace(/[０-９]/g, (d) => String(d.charCodeAt(0) - 0xff10))
  if (!/^\d{1,9}$/.test(s)) return null
  const n = Number(s)
  return n >= 1 ? n : null
}

/** A signed adjustment ("+50", "-30", "−30"); never 0; null when it is not one. */
export function parseSigned(text: string): number | null {
  const m = /^([+\-−]?)(.*)$/.exec(text.trim())
  const n = parseWhole(m?.[2] ?? '')
  if (n === null) return null
  return m?.[1] === '-' || m?.[1] === '−' ? -n : n
}
