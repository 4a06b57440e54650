import { Hono } from 'hono'
import type { Env, RouteDeps } from './deps.ts'

/** `GET /api/me`: whether the LINE user is linked, and to whom. */
export function meRoutes({ membership, customerAuth }: RouteDeps) {
  return new Hono<Env>().get('/me', customerAuth, async (c) => {
    // A returning user is answered from the fresh-cache at once; the reads of new users whose
    // tokens were verified together share one read transaction (db/fresh-cache.ts).
    const member = await membership.standingOf(c.get('lineUserId'))
    return member
      ? c.json({ linked: true as const, member }, 200)
      : c.json({ linked: false as const }, 200)
  })
}
