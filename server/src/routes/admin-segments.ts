import {
  formatIssuePath,
  savedSegmentCreateSchema,
  segmentCountBodySchema,
} from '@membercard/shared'
import { Hono } from 'hono'
import type { ZodType } from 'zod'
import { ApiError } from '../http/api-error.ts'
import { auditActor } from '../http/audit-actor.ts'
import type { Env, RouteDeps } from './deps.ts'

/** Parses a JSON body with a segment schema, naming the bad part (`segment.all[2].op: …`). */
async function segmentBody<T>(c: { req: { json(): Promise<unknown> } }, schema: ZodType<T>) {
  const body = await c.req.json().catch(() => {
    throw new ApiError('VALIDATION_FAILED', 'The body must be JSON.')
  })
  const parsed = schema.safeParse(body)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue?.path.length ? `${formatIssuePath(issue.path)}: ` : ''
    const message =
      issue?.code === 'unrecognized_keys'
        ? `${where}unknown field(s): ${issue.keys.join(', ')}`
        : `${where}${issue?.message ?? 'invalid segment'}`
    throw new ApiError('VALIDATION_FAILED', message)
  }
  return parsed.data
}

/**
 * `/api/admin/segments…` (operator or admin): the count `{matched, reachable}` of a segment,
 * a sample of its members, and saved segments.
 */
export function adminSegmentRoutes({ segments, marketing, clientAddress }: RouteDeps) {
  const saved = marketing.savedSegments
  return new Hono<Env>()
    .post('/segments/count', async (c) => {
      const { segment } = await segmentBody(c, segmentCountBodySchema)
      return c.json(await segments.count(segment), 200)
    })
    .post('/segments/sample', async (c) => {
      const { segment } = await segmentBody(c, segmentCountBodySchema)
      return c.json(await saved.sample(segment), 200)
    })
    .get('/segments', async (c) => c.json(await saved.list(), 200))
    .post('/segments', async (c) => {
      const body = await segmentBody(c, savedSegmentCreateSchema)
      return c.json(await saved.save(auditActor(c, clientAddress), body), 201)
    })
    .delete('/segments/:id{[0-9]{1,15}}', async (c) => {
      await saved.remove(auditActor(c, clientAddress), Number(c.req.param('id')))
      return c.body(null, 204)
    })
}
