import { sql } from 'drizzle-orm'
import { systemClock } from '../../src/clock.ts'
import type { Database } from '../../src/db/seam.ts'
import { createStaffService } from '../../src/services/staff.ts'

/** Member `i`'s LINE user ID (`U` and 32 hex digits) as `fillCampaignMembers` writes it. */
export const campaignUserOf = (i: number) => `U${i.toString(16).padStart(32, '0')}`

/**
 * For the campaign bench: members 1 … `members` linked friends, then `blocked` who unfollowed,
 * then `optedOut` who turned promotions off (cards, active links, friendships, preferences,
 * set-based), and an operator.
 */
export async function fillCampaignMembers(
  db: Database,
  o: {
    members: number
    blocked: number
    optedOut: number
    now: number
    operator: { staffId: string; password: string }
  },
) {
  const { members, blocked, now } = o
  const total = members + blocked + o.optedOut
  const series =
    db.dialect === 'sqlite'
      ? sql`WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ${total})`
      : sql`WITH g(i) AS (SELECT generate_series(1, ${total}::bigint))`
  const card =
    db.dialect === 'sqlite'
      ? sql`printf('%016d', 4100000000000000 + i)`
      : sql`(4100000000000000 + i)::text`
  const user =
    db.dialect === 'sqlite' ? sql`printf('U%032x', i)` : sql`'U' || lpad(to_hex(i), 32, '0')`
  await db.execute(sql`${series}
    INSERT INTO point_cards (id, card_number, name, rank, birth_date, points, source,
      last_activity_at, created_at, updated_at)
    SELECT i, ${card}, 'Member',
      CASE i % 3 WHEN 0 THEN 'gold' WHEN 1 THEN 'silver' ELSE 'regular' END,
      '1980-06-15', i % 5000, 'import', ${now}, ${now}, ${now} FROM g`)
  await db.execute(sql`${series}
    INSERT INTO line_links (line_user_id, card_id, method, linked_at)
    SELECT ${user}, i, 'liff', ${now} FROM g`)
  await db.execute(sql`${series}
    INSERT INTO line_friends (line_user_id, followed_at, blocked_at, updated_at)
    SELECT ${user}, ${now - 86_400_000},
      CASE WHEN i > ${members} AND i <= ${members + blocked} THEN CAST(${now} AS BIGINT)
        ELSE NULL END,
      ${now} FROM g`)
  await db.execute(sql`${series}
    INSERT INTO member_preferences (line_user_id, promotions, updated_at)
    SELECT ${user}, 0, ${now} FROM g WHERE i > ${members + blocked}`)
  await db.execute(sql`ANALYZE`)
  await createStaffService({ db, clock: systemClock }).upsert({ ...o.operator, role: 'operator' })
}
