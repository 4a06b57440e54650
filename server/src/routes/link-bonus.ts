import { eq } from 'drizzle-orm'
import { Hono } from 'hono'
import type { Db } from '../db/client.ts'
import { linkBonuses } from '../db/schema.ts'
import type { Env, RouteDeps } from './deps.ts'

/** Whether this LINE user has ever received the linking bonus (on any card, linked or not). */
export function hasReceivedLinkBonus(db: Db, lineUserId: string): boolean {
  const row = db
    .select({ id: linkBonuses.id })
    .from(linkBonuses)
    .where(eq(linkBonuses.lineUserId, lineUserId))
    .limit(1)
    .get()
  return row !== undefined
}

/**
 * `GET /api/link/bonus`: whether linking can still bring this LINE user the bonus, so the
 * consent screen promises it only to those. The bonus is once per user and once per card: a
 * user who is eligible here gets it unless the card they link has had it (known only once the
 * card is linked; `POST /api/link` answers what was granted).
 */
export function linkBonusRoutes({ db, config, customerAuth }: RouteDeps) {
  return new Hono<Env>().get('/link/bonus', customerAuth, (c) => {
    const points = config.linkBonusPoints
    const eligible = points > 0 && !hasReceivedLinkBonus(db, c.get('lineUserId'))
    return c.json({ eligible, points: eligible ? points : 0 }, 200)
  })
}
