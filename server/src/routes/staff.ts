import { getConnInfo } from '@hono/node-server/conninfo'
import { scanRequestSchema, staffLoginSchema } from '@membercard/shared'
import { Hono } from 'hono'
import { ApiError } from '../http/api-error.ts'
import { validate } from '../http/validate.ts'
import { checkQrToken } from '../services/qr-token.ts'
import type { Env, RouteDeps } from './deps.ts'

function clientIp(c: Parameters<typeof getConnInfo>[0]): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    return 'unknown' // in-process requests (tests) have no socket
  }
}

/** Staff at the till: sign-in, sign-out, and scanning a member's QR. */
export function staffRoutes(deps: RouteDeps) {
  const { staff, membership, secrets, clock, staffAuth } = deps
  return new Hono<Env>()
    .post('/login', validate('json', staffLoginSchema), async (c) => {
      const { staffId, password } = c.req.valid('json')
      return c.json(await staff.login(staffId, password, clientIp(c)), 200)
    })
    .get('/me', staffAuth, (c) => {
      const s = c.get('staff')
      return c.json(
        { staffId: s.staffId, storeCode: s.storeCode, storeName: s.storeName, role: s.role },
        200,
      )
    })
    .post('/logout', staffAuth, (c) => {
      staff.logout(c.get('staff').tokenHash)
      return c.body(null, 204)
    })
    .post('/scan', staffAuth, validate('json', scanRequestSchema), (c) => {
      const check = checkQrToken(secrets.qrTokenKey, c.req.valid('json').qrToken, clock.now())
      if (!check.ok) {
        if (check.reason === 'expired')
          throw new ApiError(
            'QR_EXPIRED',
            'This QR code has expired. Ask the customer to show the card again.',
          )
        throw new ApiError('QR_INVALID', 'This is not a member QR code.')
      }
      const found = membership.memberByLink(check.payload.linkId)
      if (!found) throw new ApiError('QR_INVALID', 'This member card is no longer linked.')
      return c.json(
        { member: found.member, expiresAt: new Date(check.payload.expiresAt * 1000).toISOString() },
        200,
      )
    })
}
