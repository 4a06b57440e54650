import { sql } from 'drizzle-orm'
import type { Database } from '../../src/db/seam.ts'
import { tokyoDay } from '../../src/repositories/member-facts.ts'

const DAY = 86_400_000

/** `n` linked members with varied ranks, birthdays, balances, visits, friendships and preferences. */
export async function fillSegmentMembers(db: Database, n: number, now: number) {
  const today = tokyoDay(now)
  const series =
    db.dialect === 'sqlite'
      ? sql`WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ${n})`
      : sql`WITH g(i) AS (SELECT generate_series(1, ${n}::bigint))`
  const pad = (e: ReturnType<typeof sql>) =>
    db.dialect === 'sqlite' ? sql`printf('%016d', ${e})` : sql`lpad(${e}::text, 16, '0')`
  const birth =
    db.dialect === 'sqlite'
      ? sql`printf('19%02d-%02d-15', 50 + i % 50, 1 + (i / 7) % 12)`
      : sql`format('19%s-%s-15', 50 + i % 50, lpad((1 + (i / 7) % 12)::text, 2, '0'))`
  await db.execute(sql`${series}
    INSERT INTO point_cards (id, card_number, name, rank, birth_date, points, source,
      last_activity_at, created_at, updated_at)
    SELECT i, ${pad(sql`i`)}, 'Member',
      CASE i % 3 WHEN 0 THEN 'gold' WHEN 1 THEN 'silver' ELSE 'regular' END, ${birth},
      i % 5000, 'import', ${now} - (i % 700) * ${DAY}, ${now - 800 * DAY}, ${now} FROM g`)
  await db.execute(sql`${series}
    INSERT INTO line_links (line_user_id, card_id, method, linked_at)
    SELECT 'U' || i, i, 'liff', ${now} - (i % 900) * ${DAY} FROM g`)
  await db.execute(sql`${series}
    INSERT INTO member_facts (card_id, last_visit_day, updated_at)
    SELECT i, ${today} - i % 400, ${now} FROM g WHERE i % 5 <> 0`)
  for (const step of [0, 7, 31]) {
    await db.execute(sql`${series}
      INSERT INTO member_visit_days (card_id, day)
      SELECT i, ${today} - (i * ${step + 1} + ${step}) % 400 FROM g WHERE i % 5 <> 0
      ON CONFLICT DO NOTHING`)
  }
  await db.execute(sql`${series}
    INSERT INTO member_store_visits (card_id, store_code)
    SELECT i, 'S00' || (i % 6) FROM g WHERE i % 5 <> 0`)
  await db.execute(sql`${series}
    INSERT INTO line_friends (line_user_id, followed_at, blocked_at, updated_at)
    SELECT 'U' || i, ${now - DAY}, CASE WHEN i % 20 = 0 THEN CAST(${now} AS BIGINT) ELSE NULL END, ${now}
    FROM g WHERE i % 2 = 0`)
  await db.execute(sql`${series}
    INSERT INTO member_preferences (line_user_id, promotions, updated_at)
    SELECT 'U' || i, 0, ${now} FROM g WHERE i % 33 = 0`)
  await db.execute(sql`ANALYZE`)
}
