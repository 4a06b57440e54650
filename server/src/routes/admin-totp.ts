import { totpConfirmSchema } from '@membercard/shared'
import { Hono } from 'hono'
import { auditActor } from '../http/audit-actor.ts'
import { validate } from '../http/validate.ts'
import type { Env, RouteDeps } from './deps.ts'

/** TOTP enrollment of the signed-in account (operator or admin): enroll, then confirm a code. */
export function adminTotpRoutes({ totpEnrollment, clientAddress }: RouteDeps) {
  return new Hono<Env>()
    .post('/totp/enroll', async (c) => {
      return c.json(await totpEnrollment.enroll(auditActor(c, clientAddress)), 200)
    })
    .post('/totp/confirm', validate('json', totpConfirmSchema), async (c) => {
      await totpEnrollment.confirm(auditActor(c, clientAddress), c.req.valid('json').code)
      return c.body(null, 204)
    })
}
