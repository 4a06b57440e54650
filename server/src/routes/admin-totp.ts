import { totpConfirmSchema } from '@membercard/shared'
import { Hono } from 'hono'
import { auditActor } from '../http/audit-actor.ts'
import { validate } from '../http/validate.ts'
import type { Env, RouteDeps } from './deps.ts'

/**
 * TOTP enrollment of the signed-in account (operator or admin): enroll, then confirm a code
 * (answers the recovery codes, shown once); the recovery codes left, and new ones (with a
 * current code; decision 093).
 */
export function adminTotpRoutes({ totpEnrollment, clientAddress }: RouteDeps) {
  return new Hono<Env>()
    .post('/totp/enroll', async (c) => {
      return c.json(await totpEnrollment.enroll(auditActor(c, clientAddress)), 200)
    })
    .post('/totp/confirm', validate('json', totpConfirmSchema), async (c) => {
      const code = c.req.valid('json').code
      return c.json(await totpEnrollment.confirm(auditActor(c, clientAddress), code), 200)
    })
    .get('/totp/recovery-codes', async (c) => {
      return c.json(await totpEnrollment.codeStatus(c.get('principal').staffId), 200)
    })
    .post('/totp/recovery-codes', validate('json', totpConfirmSchema), async (c) => {
      const code = c.req.valid('json').code
      return c.json(await totpEnrollment.regenerateCodes(auditActor(c, clientAddress), code), 200)
    })
}
