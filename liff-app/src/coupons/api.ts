import type { Api } from '../lib/api.ts'
import type { MemberCoupon } from './types.ts'

/** The customer's coupon routes (WAVE3-API.md), as the typed client will know them. */
interface CouponRoutes {
  api: {
    coupons: {
      $get(): Promise<Response>
      ':id': { $get(args: { param: { id: string } }): Promise<Response> }
    }
  }
}
const routes = (c: unknown) => c as CouponRoutes

/** The member's coupons: `GET /api/coupons`, `GET /api/coupons/{memberCouponId}`. */
export function couponsApi(api: Api) {
  return {
    list: () => api.call<{ items: MemberCoupon[] }>((c) => routes(c).api.coupons.$get()),
    one: (id: number) =>
      api.call<MemberCoupon>((c) =>
        routes(c).api.coupons[':id'].$get({ param: { id: String(id) } }),
      ),
  }
}
