import { automationPutSchema, listCursorQuerySchema } from '@membercard/shared'
import { Hono } from 'hono'
import { auditActor } from '../http/audit-actor.ts'
import { validate } from '../http/validate.ts'
import type { Env, RouteDeps } from './deps.ts'

/** `/api/admin/automations…` (operator or admin): configuration and runs (docs/segments.md). */
export function adminAutomationRoutes(deps: RouteDeps) {
  const { automations } = deps.marketing
  return new Hono<Env>()
    .get('/automations', async (c) => c.json(await automations.list(), 200))
    .get('/automations/runs', validate('query', listCursorQuerySchema), async (c) =>
      c.json(await automations.runs(c.req.valid('query').cursor), 200),
    )
    .put('/automations/:kind{[A-Za-z]{1,40}}', validate('json', automationPutSchema), async (c) =>
      c.json(
        await automations.put(
          auditActor(c, deps.clientAddress),
          c.req.param('kind'),
          c.req.valid('json'),
        ),
        200,
      ),
    )
}
