import {
  couponRedeemSchema,
  couponReverseSchema,
  staffTransactionsQuerySchema,
} from '@membercard/shared'
import { Hono } from 'hono'
import { idempotencyKey } from '../http/idempotency.ts'
import { validate } from '../http/validate.ts'
import type { Env, RouteDeps } from './deps.ts'

/**
 * `/api/staff/coupons/redeem` (staff) and `/api/staff/coupons/reverse` (manager): both need
 * an `Idempotency-Key` (the till's store's keys, as the points calls). `GET
 * /api/staff/coupons/uses`: today's uses of the store, to reverse one from (decision 097).
 */
export function staffCouponRoutes(deps: RouteDeps) {
  const { staffAuth, tillAuth, couponTill, couponTillUses } = deps
  const idem = idempotencyKey(deps.idempotency)
  return new Hono<Env>()
    .post(
      '/coupons/redeem',
      tillAuth('coupons'),
      idem,
      validate('json', couponRedeemSchema),
      async (c) => {
        const [who, body, claim] = [c.get('staff'), c.req.valid('json'), c.get('idempotency')]
        return c.json(await couponTill.redeem(who, body, claim), 200)
      },
    )
    .post('/coupons/reverse', staffAuth, idem, validate('json', couponReverseSchema), async (c) => {
      const [who, body, claim] = [c.get('staff'), c.req.valid('json'), c.get('idempotency')]
      return c.json(await couponTill.reverse(who, body.redemptionId, claim), 200)
    })
    .get('/coupons/uses', staffAuth, validate('query', staffTransactionsQuerySchema), async (c) => {
      const { mine, before } = c.req.valid('query')
      const page = await couponTillUses.today(
        c.get('staff'),
        mine === '1' || mine === 'true',
        before === undefined ? undefined : Number(before),
      )
      return c.json(page, 200)
    })
}
