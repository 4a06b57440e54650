import { formatIssuePath, segmentCountBodySchema } from '@membercard/shared'
import { Hono } from 'hono'
import { ApiError } from '../http/api-error.ts'
import type { Env, RouteDeps } from './deps.ts'

/** `POST /api/admin/segments/count`: `{matched, reachable}` of a segment (operator or admin). */
export function adminSegmentRoutes({ segments }: RouteDeps) {
  return new Hono<Env>().post('/segments/count', async (c) => {
    const body = await c.req.json().catch(() => {
      throw new ApiError('VALIDATION_FAILED', 'The body must be JSON.')
    })
    const parsed = segmentCountBodySchema.safeParse(body)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const where = issue?.path.length ? `${formatIssuePath(issue.path)}: ` : ''
      const message =
        issue?.code === 'unrecognized_keys'
          ? `${where}unknown field(s): ${issue.keys.join(', ')}`
          : `${where}${issue?.message ?? 'invalid segment'}`
      throw new ApiError('VALIDATION_FAILED', message)
    }
    return c.json(await segments.count(parsed.data.segment), 200)
  })
}
