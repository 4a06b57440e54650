import {
  scanRequestSchema,
  staffAdjustRequestSchema,
  staffLoginSchema,
  staffPointsRequestSchema,
  staffTransactionsQuerySchema,
  staffVoidRequestSchema,
  type TillRules,
} from '@membercard/shared'
import { Hono } from 'hono'
import { idempotencyKey } from '../http/idempotency.ts'
import { validate } from '../http/validate.ts'
import type { Env, RouteDeps } from './deps.ts'

/**
 * Routes guarded by `tillAuth(scope)` also take a POS API key with that scope (docs/decisions/089;
 * OpenAPI security scheme `posApiKey`); those with `staffAuth` alone take only a staff token.
 *
 * Staff at the till: sign-in, sign-out, scanning a member's QR, awarding and redeeming points,
 * voids and adjustments (managers), and today's transactions. Every mutating points call needs
 * an `Idempotency-Key`, and shares its commit with the others of the same moment (group commit).
 */
export function staffRoutes(deps: RouteDeps) {
  const { staff, staffAuth, points, clientAddress, tillAuth, couponTill } = deps
  const idem = idempotencyKey(deps.idempotency)
  return new Hono<Env>()
    .post('/login', validate('json', staffLoginSchema), async (c) => {
      const { staffId, password, totp, recoveryCode } = c.req.valid('json')
      const done = await staff.signIn(staffId, password, clientAddress(c), { totp, recoveryCode })
      return c.json(
        {
          token: done.token,
          expiresAt: done.expiresAt,
          role: done.role,
          totpEnrolled: done.totpEnrolled,
        },
        200,
      )
    })
    .get('/me', staffAuth, (c) => {
      const s = c.get('staff')
      return c.json(
        {
          staffId: s.staffId,
          storeCode: s.storeCode,
          storeName: s.storeName,
          role: s.role,
          rules: {
            rate: deps.config.points.rate,
            rankMultipliers: deps.config.points.rankMultipliers,
            voidWindowMinutes: Math.round(deps.config.points.voidWindowMs / 60_000),
          } satisfies TillRules,
        },
        200,
      )
    })
    .post('/logout', staffAuth, async (c) => {
      await staff.logout(c.get('staff').tokenHash)
      return c.body(null, 204)
    })
    .post('/scan', tillAuth('scan'), validate('json', scanRequestSchema), async (c) => {
      const found = await points.scan(c.get('staff'), c.req.valid('json').qrToken)
      const coupons = await couponTill.usableAt(found.cardId, c.get('staff').storeCode)
      return c.json(
        {
          member: found.member,
          expiresAt: new Date(found.expiresAt * 1000).toISOString(),
          coupons,
        },
        200,
      )
    })
    .post(
      '/points',
      tillAuth('points'),
      idem,
      validate('json', staffPointsRequestSchema),
      async (c) => {
        const [who, body, claim] = [c.get('staff'), c.req.valid('json'), c.get('idempotency')]
        return c.json(await points.transact(who, body, claim), 200)
      },
    )
    .post(
      '/transactions/:id{[0-9]{1,15}}/void',
      staffAuth,
      idem,
      validate('json', staffVoidRequestSchema),
      async (c) => {
        const [who, body, claim] = [c.get('staff'), c.req.valid('json'), c.get('idempotency')]
        const id = Number(c.req.param('id'))
        return c.json(await points.void(who, id, body.reason, claim), 200)
      },
    )
    .post('/adjust', staffAuth, idem, validate('json', staffAdjustRequestSchema), async (c) => {
      const [who, body, claim] = [c.get('staff'), c.req.valid('json'), c.get('idempotency')]
      return c.json(await points.adjust(who, body, claim), 200)
    })
    .get(
      '/transactions',
      tillAuth('points'),
      validate('query', staffTransactionsQuerySchema),
      async (c) => {
        const { mine, before } = c.req.valid('query')
        return c.json(
          await points.today(
            c.get('staff'),
            mine === '1' || mine === 'true',
            before === undefined ? undefined : Number(before),
          ),
          200,
        )
      },
    )
}
