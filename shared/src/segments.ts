import { z } from 'zod'

/**
 * The contract's segment JSON (docs/segments.md): `{"all": [...]}` or `{"any": [...]}` whose
 * items are segments or conditions `{"field", "op", "value"}`.
 */

/** At most this many levels of nested groups, and items in one group. */
export const SEGMENT_MAX_DEPTH = 5
export const SEGMENT_MAX_ITEMS = 50
/** The largest number of days a day-based condition accepts (100 years). */
export const SEGMENT_MAX_DAYS = 36_500

const days = z
  .number({ error: 'must be a number of days' })
  .int('must be a whole number of days')
  .min(0, 'must be 0 or more')
  .max(SEGMENT_MAX_DAYS, `must be at most ${SEGMENT_MAX_DAYS}`)
const range = z.enum(['>=', '<='], { error: 'must be ">=" or "<="' })
const inOp = z.literal('in', { error: 'must be "in"' })
const strings = z
  .array(z.string().min(1, 'must not be empty').max(64, 'is too long'), {
    error: 'must be an array of strings',
  })
  .min(1, 'must list at least one value')
  .max(100, 'lists too many values')

export const segmentConditionSchema = z.discriminatedUnion(
  'field',
  [
    z.strictObject({ field: z.literal('rank'), op: inOp, value: strings }),
    z.strictObject({
      field: z.literal('points'),
      op: range,
      value: z
        .number({ error: 'must be an integer' })
        .int('must be an integer')
        .min(-1_000_000_000, 'is out of range')
        .max(1_000_000_000, 'is out of range'),
    }),
    z.strictObject({
      field: z.literal('birthMonth'),
      op: inOp,
      value: z
        .array(
          z
            .number({ error: 'must be a month 1-12' })
            .int('must be a month 1-12')
            .min(1, 'must be a month 1-12')
            .max(12, 'must be a month 1-12'),
          { error: 'must be an array of months 1-12' },
        )
        .min(1, 'must list at least one month')
        .max(12, 'lists too many months'),
    }),
    z.strictObject({ field: z.literal('lastVisitDaysAgo'), op: range, value: days }),
    z.strictObject({
      field: z.literal('visitsInLast90Days'),
      op: range,
      value: z
        .number({ error: 'must be a number of days' })
        .int('must be a whole number')
        .min(0, 'must be 0 or more')
        .max(90, 'must be at most 90'),
    }),
    z.strictObject({
      field: z.literal('pointsExpiringWithinDays'),
      op: z.literal('<=', { error: 'must be "<="' }),
      value: days,
    }),
    z.strictObject({ field: z.literal('linkedDaysAgo'), op: range, value: days }),
    z.strictObject({ field: z.literal('visitedStore'), op: inOp, value: strings }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'field must be one of rank, points, birthMonth, lastVisitDaysAgo, visitsInLast90Days, pointsExpiringWithinDays, linkedDaysAgo, visitedStore'
        : undefined,
  },
)
export type SegmentCondition = z.infer<typeof segmentConditionSchema>

export type Segment = { all: SegmentItem[] } | { any: SegmentItem[] }
export type SegmentItem = Segment | SegmentCondition

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * A group or a condition, chosen by its keys (`field` → a condition, else a group) so the
 * error names the exact bad part (`all[2].op`) instead of "no union member matched".
 */
function itemSchema(depth: number): z.ZodType<SegmentItem> {
  return z.unknown().transform((v, ctx) => {
    const schema: z.ZodType<SegmentItem> =
      isObject(v) && 'field' in v ? segmentConditionSchema : groupSchema(depth + 1)
    const r = schema.safeParse(v)
    if (r.success) return r.data
    for (const issue of r.error.issues) {
      ctx.addIssue({ code: 'custom', message: issueMessage(issue), path: issue.path, input: v })
    }
    return z.NEVER
  })
}

function groupSchema(depth: number): z.ZodType<Segment> {
  return z.unknown().transform((v, ctx) => {
    if (!isObject(v) || Object.keys(v).length !== 1 || !('all' in v || 'any' in v)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'must be a group {"all": [...]} or {"any": [...]}, or a condition {field, op, value}',
        input: v,
      })
      return z.NEVER
    }
    if (depth > SEGMENT_MAX_DEPTH) {
      ctx.addIssue({
        code: 'custom',
        message: `groups nest at most ${SEGMENT_MAX_DEPTH} deep`,
        input: v,
      })
      return z.NEVER
    }
    const key = 'all' in v ? 'all' : 'any'
    const items = z
      .array(itemSchema(depth), { error: 'must be an array' })
      .max(SEGMENT_MAX_ITEMS, `lists more than ${SEGMENT_MAX_ITEMS} items`)
    const r = items.safeParse(v[key])
    if (r.success) return (key === 'all' ? { all: r.data } : { any: r.data }) as Segment
    for (const issue of r.error.issues) {
      ctx.addIssue({ code: 'custom', message: issue.message, path: [key, ...issue.path], input: v })
    }
    return z.NEVER
  })
}

function issueMessage(issue: z.core.$ZodIssue): string {
  return issue.code === 'unrecognized_keys'
    ? `unknown field(s): ${issue.keys.join(', ')}`
    : issue.message
}

/** Formats an issue path as `segment.all[2].op`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) {
    out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`
  }
  return out
}

/** A segment, at most `SEGMENT_MAX_DEPTH` groups deep. */
export const segmentSchema: z.ZodType<Segment> = groupSchema(1)

/** `POST /api/admin/segments/count` body. */
export const segmentCountBodySchema = z.strictObject({ segment: segmentSchema })

/** `{"promotions": boolean}`: `GET` / `PUT /api/me/preferences`. */
export const preferencesSchema = z.strictObject({
  promotions: z.boolean({ error: 'must be true or false' }),
})
export type Preferences = z.infer<typeof preferencesSchema>
