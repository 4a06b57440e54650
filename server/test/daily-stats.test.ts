import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { dailyStats, STAT_FIELDS, type StatCounts } from '../src/repositories/daily-stats.ts'
import { createCalendar } from '../src/services/calendar.ts'
import { createDailyStats } from '../src/services/daily-stats.ts'
import { backfillDailyStats } from '../src/services/daily-stats-backfill.ts'
import { createPointsService } from '../src/services/points.ts'
import { cardNumberOf, importMembers, keyed, signIn, tokyo } from './admin-data-support.ts'
import { createTestContext, linkBody } from './support.ts'

/**
 * The daily counters equal what the ledger, the links, the friends and the cards say, after a
 * concurrent load (on PostgreSQL, a pool of connections at once); the one-time backfill
 * computes the same figures from the data alone.
 */
const ctx = await createTestContext()
const stats = createDailyStats('Asia/Tokyo')
const calendar = createCalendar('Asia/Tokyo')
const CARDS = 24
const numbers = Array.from({ length: CARDS }, (_, i) =>
  cardNumberOf(`4900000000${String(200 + i).padStart(5, '0')}`),
)

ctx.clock.set(tokyo('2026-10-01', '09:00'))
await importMembers(
  ctx,
  numbers.map((n, i) => ({ cardNumber: n, name: `会員 ${i}`, points: i % 3 === 0 ? 300 : 0 })),
)
const users = numbers.map(() => ctx.newUser())
/** Follows (and unfollows) as the webhook records them. */
const friendship = (user: string, follows: boolean) =>
  ctx.db.transaction((tx) => stats.follow(tx, user, ctx.clock.now(), follows))
for (const u of users.slice(0, 16)) await friendship(u, true)
for (let i = 0; i < 18; i++) {
  const res = await ctx.call('POST', '/api/link', {
    headers: await ctx.userHeaders(users[i] as string),
    body: linkBody(numbers[i] as string, '1234'),
  })
  expect(res.status).toBe(201)
}

/** One day of till work in two stores, all at once, with friendships changing meanwhile. */
async function busyDay(date: string, round: number) {
  ctx.clock.set(tokyo(date, '23:40'))
  const staff = {
    S001: await signIn(ctx, 'load-s001', 'clerk', 'S001'),
    S002: await signIn(ctx, 'load-s002', 'clerk', 'S002'),
  }
  const qrs = await Promise.all(
    users.slice(0, 18).map(async (u) => {
      const r = await ctx.call('GET', '/api/card/qr', { headers: await ctx.userHeaders(u) })
      return r.json.token as string
    }),
  )
  const work: Promise<unknown>[] = []
  for (let i = 0; i < 36; i++) {
    const store = i % 2 === 0 ? 'S001' : 'S002'
    const qrToken = qrs[(i * 7 + round) % qrs.length] as string
    const body =
      i % 5 === 4
        ? { qrToken, type: 'redeem', points: 1 }
        : { qrToken, type: 'award', purchaseAmount: 100 * (i + 1) }
    work.push(
      keyed(ctx, staff[store], '/api/staff/points', body).then((r) => {
        // A redemption may find the balance too low: refused, and counted nowhere.
        expect([200, 422]).toContain(r.status)
      }),
      ctx.call('POST', '/api/staff/scan', { headers: staff[store], body: { qrToken } }),
    )
  }
  for (const [i, u] of users.entries()) {
    if ((i + round) % 4 === 0) work.push(friendship(u, round % 2 === 1))
  }
  await Promise.all(work)
}
await busyDay('2026-10-02', 0)
await busyDay('2026-10-03', 1)
ctx.clock.set(tokyo('2026-10-04', '00:30')) // past midnight: the next Tokyo day
await busyDay('2026-11-20', 2)
// Unlinks, and an expiry run for the cards idle since the 1st.
for (const u of users.slice(14, 18)) {
  const res = await ctx.call('DELETE', '/api/link', { headers: await ctx.userHeaders(u) })
  expect(res.status).toBe(204)
}
ctx.clock.set(tokyo('2026-11-25', '03:00'))
const expired = await createPointsService({
  db: ctx.db,
  clock: ctx.clock,
  secrets: ctx.secrets,
  rules: { ...ctx.config.points, expiryDays: 30 },
  stats,
}).expire()
expect(expired.cards).toBeGreaterThan(0)

const n = (v: unknown) => Number(v ?? 0)
async function one<T>(statement: ReturnType<typeof sql>): Promise<T> {
  const [r] = await ctx.db.execute<T>(statement)
  return r as T
}

/** The figures recomputed from the ledger, links, friends and cards. */
async function recomputed() {
  const ledgerSums = await one<Record<string, unknown>>(sql`SELECT
      SUM(CASE WHEN type = 'bonus' THEN points ELSE 0 END) AS bonus,
      SUM(CASE WHEN type = 'award' THEN points ELSE 0 END) AS awarded,
      SUM(CASE WHEN type = 'redeem' THEN -points ELSE 0 END) AS redeemed,
      SUM(CASE WHEN type = 'expire' THEN -points ELSE 0 END) AS expired,
      SUM(points) AS net,
      SUM(CASE WHEN type = 'award' THEN 1 ELSE 0 END) AS awards,
      SUM(CASE WHEN type = 'redeem' THEN 1 ELSE 0 END) AS redeems,
      SUM(CASE WHEN type = 'award' THEN purchase_amount ELSE 0 END) AS yen
    FROM ledger`)
  const till = await ctx.db.execute<{ cardId: number; at: number }>(
    sql`SELECT card_id AS "cardId", created_at AS at FROM ledger
      WHERE type IN ('award', 'redeem') ORDER BY id`,
  )
  const visitDays = new Map<number, Set<number>>()
  for (const t of till) {
    const days = visitDays.get(n(t.cardId)) ?? new Set<number>()
    days.add(calendar.dayOf(n(t.at)))
    visitDays.set(n(t.cardId), days)
  }
  const links = await one<Record<string, unknown>>(sql`SELECT COUNT(*) AS made,
      SUM(CASE WHEN unlinked_at IS NULL THEN 0 ELSE 1 END) AS closed FROM line_links`)
  const friends = await one<Record<string, unknown>>(sql`SELECT COUNT(*) AS n FROM line_friends
      WHERE followed_at IS NOT NULL AND blocked_at IS NULL`)
  const linkedFriends = await one<Record<string, unknown>>(sql`SELECT COUNT(*) AS n
      FROM line_links l JOIN line_friends f ON f.line_user_id = l.line_user_id
      WHERE l.unlinked_at IS NULL AND f.followed_at IS NOT NULL AND f.blocked_at IS NULL`)
  const cards = await one<Record<string, unknown>>(
    sql`SELECT COUNT(*) AS n, SUM(points) AS points FROM point_cards`,
  )
  return { ledgerSums, visitDays, links, friends, linkedFriends, cards }
}

/** Members with a visit in the `w` days ending `day`. */
function activeAt(visitDays: Map<number, Set<number>>, day: number, w: number) {
  let count = 0
  for (const days of visitDays.values()) {
    if ([...days].some((d) => d <= day && d > day - w)) count++
  }
  return count
}

async function expectCountersToMatch() {
  const r = await recomputed()
  const t = await dailyStats.totals(ctx.db)
  expect(t.bonusPoints).toBe(n(r.ledgerSums.bonus))
  expect(t.pointsAwarded).toBe(n(r.ledgerSums.awarded))
  expect(t.pointsRedeemed).toBe(n(r.ledgerSums.redeemed))
  expect(t.pointsExpired).toBe(n(r.ledgerSums.expired))
  expect(t.netPoints).toBe(n(r.ledgerSums.net))
  expect(t.netPoints).toBe(n(r.cards.points))
  expect(t.awards).toBe(n(r.ledgerSums.awards))
  expect(t.redeems).toBe(n(r.ledgerSums.redeems))
  expect(t.purchaseYenLinked).toBe(n(r.ledgerSums.yen))
  const visits = [...r.visitDays.values()].reduce((s, d) => s + d.size, 0)
  expect(t.visitsLinked + t.visitsUnlinked).toBe(visits)
  expect(t.newLinks).toBe(n(r.links.made))
  expect(t.unlinks).toBe(n(r.links.closed))
  expect(t.newCards).toBe(n(r.cards.n))
  const today = calendar.dayOf(ctx.clock.now())
  const [, , now] = await dailyStats.statesAt(ctx.db, today, today, today)
  expect(now.friends).toBe(n(r.friends.n))
  expect(now.linkedFriends).toBe(n(r.linkedFriends.n))
  for (const date of [
    '2026-10-02',
    '2026-10-03',
    '2026-10-20',
    '2026-11-01',
    '2026-11-20',
    '2026-12-30',
  ]) {
    const day = calendar.parse(date) as number
    const [at] = await dailyStats.statesAt(ctx.db, day, day, day)
    expect(at.active30, `active30 on ${date}`).toBe(activeAt(r.visitDays, day, 30))
    expect(at.active90, `active90 on ${date}`).toBe(activeAt(r.visitDays, day, 90))
  }
  return { visits }
}

describe('the daily counters', () => {
  it('equal a recomputation from the ledger, links, friends and cards after a concurrent load', async () => {
    const { visits } = await expectCountersToMatch()
    expect(visits).toBeGreaterThan(20)
  })

  it('are filled by the backfill with the same figures from the data alone', async () => {
    const perDay = () => dailyStats.byDay(ctx.db, 0, 100_000)
    const live = await perDay()
    await ctx.db.execute(sql`DELETE FROM daily_stats`)
    await ctx.db.execute(sql`UPDATE point_cards SET last_visit_day = NULL, prev_visit_day = NULL`)
    expect(await backfillDailyStats(ctx.db, 'Asia/Tokyo', ctx.clock.now())).toBe(true)
    expect(await backfillDailyStats(ctx.db, 'Asia/Tokyo', ctx.clock.now())).toBe(false)
    await expectCountersToMatch()
    // Per day, every figure but the ones not kept before the counters existed.
    const notKept = new Set<keyof StatCounts>(['scans', 'friends', 'linkedFriends'])
    const filled = await perDay()
    const key = (r: { day: number }) => String(r.day)
    const pick = (rows: typeof live) =>
      Object.fromEntries(
        rows
          .map((r) => [
            key(r),
            Object.fromEntries(
              STAT_FIELDS.filter(([k]) => !notKept.has(k)).map(([k]) => [k, r[k]]),
            ),
          ])
          .filter(([, v]) => Object.values(v as object).some((x) => x !== 0)),
      )
    expect(pick(filled)).toEqual(pick(live))
  })

  it('count a visit once per card and Tokyo day, and go on from the backfilled visit days', async () => {
    const staff = await signIn(ctx, 'load-s001', 'clerk', 'S001')
    const before = await dailyStats.totals(ctx.db)
    const qr = await ctx.call('GET', '/api/card/qr', {
      headers: await ctx.userHeaders(users[0] as string),
    })
    for (let i = 0; i < 2; i++) {
      const res = await keyed(ctx, staff, '/api/staff/points', {
        qrToken: qr.json.token,
        type: 'award',
        purchaseAmount: 500,
      })
      expect(res.status).toBe(200)
    }
    const after = await dailyStats.totals(ctx.db)
    expect(after.visitsLinked - before.visitsLinked).toBe(1)
    expect(after.awards - before.awards).toBe(2)
    await expectCountersToMatch()
  })
})
