import { auditQuerySchema } from '@membercard/shared'
import { Hono } from 'hono'
import { ApiError } from '../http/api-error.ts'
import { validate } from '../http/validate.ts'
import type { Env, RouteDeps } from './deps.ts'

/** `GET /api/admin/audit`: the audit trail, newest first, filtered (operator or admin). */
export function adminAuditRoutes({ audit }: RouteDeps) {
  return new Hono<Env>().get('/audit', validate('query', auditQuerySchema), async (c) => {
    const q = c.req.valid('query')
    if (q.from !== undefined && q.to !== undefined && q.from > q.to) {
      throw new ApiError('VALIDATION_FAILED', '`from` must not be after `to`.')
    }
    return c.json(await audit.page(q), 200)
  })
}
