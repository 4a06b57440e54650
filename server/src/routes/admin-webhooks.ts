import { webhookCreateSchema } from '@membercard/shared'
import { Hono } from 'hono'
import { z } from 'zod'
import { auditActor } from '../http/audit-actor.ts'
import { validate } from '../http/validate.ts'
import type { Env, RouteDeps } from './deps.ts'

const idParam = z.strictObject({ id: z.string().regex(/^\d{1,15}$/, 'must be a webhook id') })

/**
 * Outbound webhook endpoints (admin only; changes audit-logged): list, register (the signing
 * secret is in this answer only), remove, the latest deliveries, and a test event.
 */
export function adminWebhookRoutes({ webhooks, requireAdmin, clientAddress }: RouteDeps) {
  return new Hono<Env>()
    .get('/webhooks', requireAdmin, async (c) => c.json({ items: await webhooks.list() }, 200))
    .post('/webhooks', requireAdmin, validate('json', webhookCreateSchema), async (c) => {
      const made = await webhooks.create(auditActor(c, clientAddress), c.req.valid('json'))
      return c.json(made, 201)
    })
    .delete('/webhooks/:id', requireAdmin, validate('param', idParam), async (c) => {
      await webhooks.remove(auditActor(c, clientAddress), Number(c.req.valid('param').id))
      return c.body(null, 204)
    })
    .get('/webhooks/:id/deliveries', requireAdmin, validate('param', idParam), async (c) => {
      const items = await webhooks.deliveries(Number(c.req.valid('param').id))
      return c.json({ items }, 200)
    })
    .post('/webhooks/:id/test', requireAdmin, validate('param', idParam), async (c) => {
      const id = Number(c.req.valid('param').id)
      return c.json(await webhooks.sendTest(auditActor(c, clientAddress), id), 202)
    })
}
