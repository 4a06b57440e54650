import { formatIssuePath, type Segment, segmentSchema } from '@membercard/shared'

/**
 * A segment typed as JSON (the console's plain editor; a visual builder may replace it):
 * checked against the contract's segment shape before anything is sent, with the part that is
 * wrong named.
 */
export function parseSegmentJson(
  text: string,
):
  | { ok: true; segment: Segment }
  | { ok: false; key: 'badJson' | 'badSegment'; named: Record<string, string> } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    return { ok: false, key: 'badJson', named: { detail: (err as Error).message } }
  }
  const r = segmentSchema.safeParse(value)
  if (r.success) return { ok: true, segment: r.data }
  const issue = r.error.issues[0]
  return {
    ok: false,
    key: 'badSegment',
    named: {
      path: formatIssuePath(['segment', ...(issue?.path ?? [])]),
      detail: issue?.message ?? '',
    },
  }
}
