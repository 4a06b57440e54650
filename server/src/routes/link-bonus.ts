import { Hono } from 'hono'
import type { Env, RouteDeps } from './deps.ts'

/**
 * `GET /api/link/bonus`: whether linking can still bring this LINE user the bonus, so the
 * consent screen promises it only to those. A user who is eligible here gets it unless the card
 * they link has had it (`POST /api/link` answers what was granted).
 */
export function linkBonusRoutes({ membership, customerAuth }: RouteDeps) {
  return new Hono<Env>().get('/link/bonus', customerAuth, async (c) =>
    c.json(await membership.bonusFor(c.get('lineUserId')), 200),
  )
}
