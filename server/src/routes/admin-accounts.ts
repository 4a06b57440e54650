import {
  staffCreateSchema,
  staffIdSchema,
  staffPasswordSchema,
  staffPatchSchema,
  storeCodeSchema,
  storeCreateSchema,
  storePatchSchema,
} from '@membercard/shared'
import { Hono } from 'hono'
import { z } from 'zod'
import { auditActor } from '../http/audit-actor.ts'
import { validate } from '../http/validate.ts'
import type { Env, RouteDeps } from './deps.ts'

const storeParam = z.strictObject({ code: storeCodeSchema })
const staffParam = z.strictObject({ staffId: staffIdSchema })

/** Stores and staff accounts: an operator may read them, only an admin may change them. */
export function adminAccountRoutes({ staffAdmin, requireAdmin, clientAddress }: RouteDeps) {
  return new Hono<Env>()
    .get('/stores', async (c) => c.json({ items: await staffAdmin.listStores() }, 200))
    .post('/stores', requireAdmin, validate('json', storeCreateSchema), async (c) => {
      const made = await staffAdmin.createStore(auditActor(c, clientAddress), c.req.valid('json'))
      return c.json(made, 201)
    })
    .patch(
      '/stores/:code',
      requireAdmin,
      validate('param', storeParam),
      validate('json', storePatchSchema),
      async (c) => {
        const { code } = c.req.valid('param')
        const by = auditActor(c, clientAddress)
        return c.json(await staffAdmin.updateStore(by, code, c.req.valid('json')), 200)
      },
    )
    .get('/staff', async (c) => c.json({ items: await staffAdmin.listStaff() }, 200))
    .post('/staff', requireAdmin, validate('json', staffCreateSchema), async (c) => {
      const made = await staffAdmin.createStaff(auditActor(c, clientAddress), c.req.valid('json'))
      return c.json(made, 201)
    })
    .patch(
      '/staff/:staffId',
      requireAdmin,
      validate('param', staffParam),
      validate('json', staffPatchSchema),
      async (c) => {
        const { staffId } = c.req.valid('param')
        const by = auditActor(c, clientAddress)
        return c.json(await staffAdmin.updateStaff(by, staffId, c.req.valid('json')), 200)
      },
    )
    .post(
      '/staff/:staffId/password',
      requireAdmin,
      validate('param', staffParam),
      validate('json', staffPasswordSchema),
      async (c) => {
        const { staffId } = c.req.valid('param')
        const me = c.get('principal')
        // The caller's own session stays when it changes its own password; all others end.
        const keep = me.staffId === staffId ? me.tokenHash : ''
        const by = auditActor(c, clientAddress)
        await staffAdmin.setPassword(by, staffId, c.req.valid('json').password, keep)
        return c.body(null, 204)
      },
    )
    .delete('/staff/:staffId/totp', requireAdmin, validate('param', staffParam), async (c) => {
      const { staffId } = c.req.valid('param')
      await staffAdmin.resetSecondFactor(auditActor(c, clientAddress), staffId)
      return c.body(null, 204)
    })
    .delete('/staff/:staffId', requireAdmin, validate('param', staffParam), async (c) => {
      const { staffId } = c.req.valid('param')
      await staffAdmin.removeStaff(auditActor(c, clientAddress), staffId)
      return c.body(null, 204)
    })
}
