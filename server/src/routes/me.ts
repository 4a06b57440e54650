import { Hono } from 'hono'
import type { Env, RouteDeps } from './deps.ts'

/** `GET /api/me`: whether the LINE user is linked, and to whom. */
export function meRoutes({ membership, customerAuth }: RouteDeps) {
  return new Hono<Env>().get('/me', customerAuth, (c) => {
    const linked = membership.memberOf(c.get('lineUserId'))
    return linked
      ? c.json({ linked: true as const, member: linked.member }, 200)
      : c.json({ linked: false as const }, 200)
  })
}
