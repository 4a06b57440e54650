import { Hono } from 'hono'
import type { Env, RouteDeps } from './deps.ts'

/**
 * `GET /api/coupons` and `GET /api/coupons/{memberCouponId}`: the signed-in member's own
 * coupons (identity from the verified ID token or the web session, as `/api/me`).
 */
export function couponRoutes({ couponWallet, customerAuth }: RouteDeps) {
  return new Hono<Env>()
    .get('/coupons', customerAuth, async (c) =>
      c.json(await couponWallet.list(c.get('lineUserId')), 200),
    )
    .get('/coupons/:id{[0-9]{1,15}}', customerAuth, async (c) =>
      c.json(await couponWallet.get(c.get('lineUserId'), Number(c.req.param('id'))), 200),
    )
}
