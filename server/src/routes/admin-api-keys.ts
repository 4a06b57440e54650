import { apiKeyCreateSchema } from '@membercard/shared'
import { Hono } from 'hono'
import { z } from 'zod'
import { auditActor } from '../http/audit-actor.ts'
import { validate } from '../http/validate.ts'
import type { Env, RouteDeps } from './deps.ts'

const idParam = z.strictObject({ id: z.string().regex(/^\d{1,15}$/, 'must be a key id') })

/**
 * POS API keys (admin only; every change audit-logged): list, create (the key is in this
 * answer only), revoke (at once, on every instance).
 */
export function adminApiKeyRoutes({ apiKeys, requireAdmin, clientAddress }: RouteDeps) {
  return new Hono<Env>()
    .get('/api-keys', requireAdmin, async (c) => c.json({ items: await apiKeys.list() }, 200))
    .post('/api-keys', requireAdmin, validate('json', apiKeyCreateSchema), async (c) => {
      const made = await apiKeys.create(auditActor(c, clientAddress), c.req.valid('json'))
      return c.json(made, 201)
    })
    .post('/api-keys/:id/revoke', requireAdmin, validate('param', idParam), async (c) => {
      const id = Number(c.req.valid('param').id)
      return c.json(await apiKeys.revoke(auditActor(c, clientAddress), id), 200)
    })
}
