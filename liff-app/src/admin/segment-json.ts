import type { Segment } from '@membercard/shared'

/**
 * A segment typed as JSON (the console's plain editor; a visual builder may replace it): its
 * syntax and its outer group are checked here; the server checks the conditions (a 400
 * `VALIDATION_FAILED`), so the console carries no copy of the segment schema (zod's checks
 * would also trip the console's Content-Security-Policy: it probes `new Function`).
 */
export function parseSegmentJson(
  text: string,
):
  | { ok: true; segment: Segment }
  | { ok: false; key: 'badJson' | 'badGroup'; named: Record<string, string> } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    return { ok: false, key: 'badJson', named: { detail: (err as Error).message } }
  }
  const group = value as Record<string, unknown> | null
  const keys =
    typeof group === 'object' && group !== null && !Array.isArray(group) ? Object.keys(group) : []
  const key = keys[0]
  if (keys.length !== 1 || (key !== 'all' && key !== 'any') || !Array.isArray(group?.[key])) {
    return { ok: false, key: 'badGroup', named: {} }
  }
  return { ok: true, segment: value as Segment }
}
