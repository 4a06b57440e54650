import { Readable } from 'node:stream'
import {
  couponCreateSchema,
  couponIssueSchema,
  couponListQuerySchema,
  exportPeriodSchema,
} from '@membercard/shared'
import { Hono } from 'hono'
import { ApiError } from '../http/api-error.ts'
import { auditActor } from '../http/audit-actor.ts'
import { idempotencyKey } from '../http/idempotency.ts'
import { validate } from '../http/validate.ts'
import type { Env, RouteDeps } from './deps.ts'

/** A coupon ID in the path (1 to 15 digits). */
const COUPON = '/coupons/:id{[0-9]{1,15}}'

/**
 * `/api/admin/coupons…` (operator or admin; mounted behind `adminAuth`): create, list, a
 * coupon with its usage, end early, issue to a segment (Idempotency-Key); and the export of
 * coupon uses (admin, like the other exports).
 */
export function adminCouponRoutes(deps: RouteDeps) {
  const { coupons, clientAddress, requireAdmin } = deps
  const idem = idempotencyKey(deps.idempotency, 'account')
  const id = (c: { req: { param(name: 'id'): string } }) => Number(c.req.param('id'))
  return new Hono<Env>()
    .post('/coupons', validate('json', couponCreateSchema), async (c) => {
      const body = c.req.valid('json')
      return c.json(await coupons.create(auditActor(c, clientAddress), body), 201)
    })
    .get('/coupons', validate('query', couponListQuerySchema), async (c) =>
      c.json(await coupons.list(c.req.valid('query').cursor), 200),
    )
    .get(COUPON, async (c) => c.json(await coupons.detail(id(c)), 200))
    .post(`${COUPON}/end`, async (c) =>
      c.json(await coupons.end(auditActor(c, clientAddress), id(c)), 200),
    )
    .post(`${COUPON}/issue`, idem, validate('json', couponIssueSchema), async (c) => {
      const body = c.req.valid('json')
      const who = { actor: c.get('principal').staffId, address: clientAddress(c) }
      return c.json(await coupons.issue(who, id(c), body, c.get('idempotency')), 200)
    })
    .get('/exports/coupons.csv', requireAdmin, validate('query', exportPeriodSchema), async (c) => {
      const q = c.req.valid('query')
      const today = new Intl.DateTimeFormat('en-CA', {
        timeZone: deps.config.points.timeZone,
      }).format(deps.clock.now())
      const period = { from: q.from ?? today, to: q.to ?? today }
      if (period.from > period.to) {
        throw new ApiError('VALIDATION_FAILED', '`from` must not be after `to`.')
      }
      const stream = await coupons.exportUses(auditActor(c, clientAddress), period)
      return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, {
        status: 200,
        headers: {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="coupons-${period.from}_${period.to}.csv"`,
          'Cache-Control': 'no-store',
        },
      })
    })
}
