import type { Segment } from '@membercard/shared'
import type { Coupon, CouponDetail, NewCoupon } from '../coupons/types.ts'
import type { AdminApi } from './api.ts'

type Call = (args?: object, init?: { headers: Record<string, string> }) => Promise<Response>
/** The console's coupon routes (WAVE3-API.md), as the typed client will know them. */
interface CouponRoutes {
  api: {
    admin: {
      coupons: {
        $get: Call
        $post: Call
        ':id': { $get: Call; end: { $post: Call }; issue: { $post: Call } }
      }
      segments: { $get: Call; count: { $post: Call } }
    }
  }
}
const routes = (c: unknown) => (c as CouponRoutes).api.admin
const id = (couponId: number) => ({ param: { id: String(couponId) } })

/** A saved segment (`GET /api/admin/segments`). */
export interface SavedSegment {
  id: number
  name: string
  segment: Segment
  createdAt: string
}

/** The console's coupon calls. */
export function couponsAdminApi(api: AdminApi) {
  return {
    list: (cursor?: string) =>
      api.call<{ items: Coupon[]; nextCursor: string | null }>((c) =>
        routes(c).coupons.$get({ query: cursor ? { cursor } : {} }),
      ),
    get: (couponId: number) =>
      api.call<CouponDetail>((c) => routes(c).coupons[':id'].$get(id(couponId))),
    create: (json: NewCoupon) => api.call<Coupon>((c) => routes(c).coupons.$post({ json })),
    end: (couponId: number) =>
      api.call<Coupon>((c) => routes(c).coupons[':id'].end.$post(id(couponId))),
    issue: (
      couponId: number,
      json: { segment: Segment; notify?: boolean; message?: string },
      idempotencyKey: string,
    ) =>
      api.call<{ issued: number; skipped: number }>((c) =>
        routes(c).coupons[':id'].issue.$post(
          { ...id(couponId), json },
          { headers: { 'Idempotency-Key': idempotencyKey } },
        ),
      ),
    segments: () => api.call<{ items: SavedSegment[] }>((c) => routes(c).segments.$get()),
    count: (segment: Segment) =>
      api.call<{ matched: number; reachable: number }>((c) =>
        routes(c).segments.count.$post({ json: { segment } }),
      ),
  }
}
