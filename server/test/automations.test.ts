import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { tokyoDay } from '../src/repositories/member-facts.ts'
import { memberPreferences } from '../src/repositories/member-preferences.ts'
import { messagingSettings } from '../src/repositories/messaging-settings.ts'
import { createAuditService } from '../src/services/audit.ts'
import { createCoupons } from '../src/services/coupons.ts'
import { createMarketing } from '../src/services/marketing.ts'
import { marketingTick } from '../src/services/marketing-jobs.ts'
import { bearerHeaders, roleHeaders } from './admin-support.ts'
import { multicastsTo, rankSegment, seedMembers, TEXT } from './campaign-support.ts'
import { createMessagingContext } from './messaging-support.ts'

const ctx = await createMessagingContext()
const DAY = 86_400_000
/** A time given as Asia/Tokyo wall-clock (UTC+9). */
const jst = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h - 9, mi)

/** A fresh instance's view of the automations (its own services on the shared database). */
const instance = () =>
  createMarketing({
    db: ctx.db,
    clock: ctx.clock,
    logger: ctx.logger,
    line: ctx.line,
    audit: createAuditService({ db: ctx.db, clock: ctx.clock, timeZone: 'Asia/Tokyo' }),
    expiryDays: ctx.config.points.expiryDays,
    coupons: createCoupons({
      db: ctx.db,
      clock: ctx.clock,
      timeZone: 'Asia/Tokyo',
      expiryDays: ctx.config.points.expiryDays,
    }),
  })

let admin: Record<string, string>
beforeAll(async () => {
  admin = (await roleHeaders(ctx)).operator
})

/** Configures through the route (signed in afresh: the tests move the clock by days). */
async function configure(kind: string, params: Record<string, unknown>, enabled = true) {
  admin = await bearerHeaders(ctx, 'role-operator')
  const res = await ctx.call('PUT', `/api/admin/automations/${kind}`, {
    headers: admin,
    body: { enabled, messages: TEXT, params },
  })
  expect(res.status, JSON.stringify(res.json)).toBe(200)
  return res.json
}

/** Runs the day's automations on `n` instances at once; the outcomes of `kind`. */
async function runOn(n: number, kind: string) {
  const all = await Promise.all(Array.from({ length: n }, () => instance().automations.runDue()))
  return all.map((outcomes) => outcomes.find((o) => o.kind === kind))
}

const reachedUsers = (users: readonly string[]) =>
  multicastsTo(ctx, users).flatMap((c) => (c.body as { to: string[] }).to)

/** Creates a coupon through the route ending `ms` from now; its id. */
async function couponEnding(ms: number, title = 'クーポン'): Promise<number> {
  admin = await bearerHeaders(ctx, 'role-operator')
  const res = await ctx.call('POST', '/api/admin/coupons', {
    headers: admin,
    body: {
      title,
      reward: { type: 'discountYen', amount: 100 },
      validFrom: new Date(ctx.clock.now() - DAY).toISOString(),
      validUntil: new Date(ctx.clock.now() + ms).toISOString(),
    },
  })
  expect(res.status, JSON.stringify(res.json)).toBe(201)
  return res.json.id as number
}

/** Issues coupon `id` to the members of rank `tag` (no notice). */
async function issueTo(id: number, tag: string) {
  const res = await ctx.call('POST', `/api/admin/coupons/${id}/issue`, {
    headers: { ...admin, 'Idempotency-Key': randomUUID() },
    body: { segment: rankSegment(tag) },
  })
  expect(res.status, JSON.stringify(res.json)).toBe(200)
}

const count = async (q: ReturnType<typeof sql>) =>
  Number((await ctx.db.execute<{ n: number | string }>(q))[0]?.n ?? -1)

describe('automations', () => {
  it('are configured per kind; bad params and unknown kinds are refused', async () => {
    const list = await ctx.call('GET', '/api/admin/automations', { headers: admin })
    expect(list.status).toBe(200)
    expect(list.json.items.map((a: { kind: string }) => a.kind).sort()).toEqual([
      'birthday',
      'couponExpiring',
      'pointsExpiring',
      'winBack',
    ])
    expect(list.json.items.find((a: { kind: string }) => a.kind === 'winBack')).toMatchObject({
      enabled: false,
      params: { daysWithoutVisit: 60 },
      lastRun: null,
    })
    const put = (kind: string, body: unknown) =>
      ctx.call('PUT', `/api/admin/automations/${kind}`, { headers: admin, body })
    const bad = await put('winBack', {
      enabled: true,
      messages: TEXT,
      params: { daysWithoutVisit: 0 },
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error.message).toContain('params.daysWithoutVisit')
    const extra = await put('birthday', { enabled: true, messages: TEXT, params: { x: 1 } })
    expect(extra.status).toBe(400)
    const none = await put('birthday', { enabled: true, messages: [], params: {} })
    expect(none.status).toBe(400)
    expect((await put('anniversary', { enabled: true, messages: TEXT, params: {} })).status).toBe(
      404,
    )
    const ok = await configure('birthday', { couponId: null })
    expect(ok).toMatchObject({ kind: 'birthday', enabled: true, messages: TEXT, lastRun: null })
  })

  it('birthday: December members on 31 Dec and January members from 1 Jan (Asia/Tokyo), once a year, once across two instances', async () => {
    await configure('birthday', {})
    const dec = await seedMembers(ctx.db, 30, 'bd', { birthDate: '1990-12-31' })
    const jan = await seedMembers(ctx.db, 25, 'bd', { birthDate: '1988-01-01' })
    const [optedOut] = dec
    if (!optedOut) throw new Error('no member')
    await memberPreferences.setPromotions(ctx.db, optedOut.user, false, ctx.clock.now())
    // 23:59 on 31 December in Tokyo (14:59 UTC): December's members, two instances at once.
    ctx.clock.set(jst(2026, 12, 31, 23, 59))
    const first = await runOn(2, 'birthday')
    expect(first.filter((o) => o?.ran)).toHaveLength(1)
    expect(first.find((o) => o?.ran)).toMatchObject({ targeted: 30, queued: 29, excluded: 1 })
    expect(first.find((o) => !o?.ran)?.reason).toBe('already ran today')
    await ctx.drain()
    expect(reachedUsers(jan.map((m) => m.user))).toEqual([])
    const decReached = reachedUsers(dec.map((m) => m.user))
    expect(decReached).toHaveLength(29)
    expect(decReached).not.toContain(optedOut.user)
    // The same day again: nothing more.
    expect((await runOn(1, 'birthday'))[0]).toMatchObject({ ran: false })
    // One minute later it is 1 January 2027 in Tokyo (still 31 December in UTC).
    ctx.clock.set(jst(2027, 1, 1, 0, 0))
    const second = await runOn(2, 'birthday')
    expect(second.filter((o) => o?.ran)).toHaveLength(1)
    expect(second.find((o) => o?.ran)).toMatchObject({ targeted: 25, queued: 25 })
    await ctx.drain()
    expect(reachedUsers(jan.map((m) => m.user)).sort()).toEqual(jan.map((m) => m.user).sort())
    // The next day of January: January's members had theirs this year.
    ctx.clock.set(jst(2027, 1, 2, 10, 0))
    expect((await runOn(1, 'birthday'))[0]).toMatchObject({ ran: true, targeted: 0, queued: 0 })
    await configure('birthday', {}, false)
  })

  it('pointsExpiring: N days before the balance expires, once per expiry date', async () => {
    ctx.clock.set(jst(2027, 3, 1, 10, 0))
    const now = ctx.clock.now()
    const expiry = ctx.config.points.expiryDays * DAY
    await configure('pointsExpiring', { daysBefore: 7 })
    const [soon, later, empty] = await seedMembers(ctx.db, 3, 'pe')
    if (!soon || !later || !empty) throw new Error('no members')
    const set = (cardId: number, points: number, last: number) =>
      ctx.db.execute(
        sql`UPDATE point_cards SET points = ${points}, last_activity_at = ${last} WHERE id = ${cardId}`,
      )
    await set(soon.cardId, 100, now - expiry + 6 * DAY) // expires in 6 days
    await set(later.cardId, 100, now - expiry + 8 * DAY) // in 8 days
    await set(empty.cardId, 0, now - expiry + 6 * DAY) // nothing to expire
    expect((await runOn(1, 'pointsExpiring'))[0]).toMatchObject({ ran: true, targeted: 1 })
    await ctx.drain()
    expect(reachedUsers([soon.user, later.user, empty.user])).toEqual([soon.user])
    // The next day `later` is due; `soon` had its notice for this expiry date.
    ctx.clock.advance(DAY)
    expect((await runOn(1, 'pointsExpiring'))[0]).toMatchObject({ ran: true, targeted: 1 })
    await ctx.drain()
    expect(reachedUsers([soon.user, later.user]).sort()).toEqual([soon.user, later.user].sort())
    await configure('pointsExpiring', { daysBefore: 7 }, false)
  })

  it('winBack: after N days without a visit (Asia/Tokyo days), once per lapse', async () => {
    ctx.clock.set(jst(2027, 4, 1, 10, 0))
    const today = tokyoDay(ctx.clock.now())
    await configure('winBack', { daysWithoutVisit: 60 })
    const [lapsed, recent, never] = await seedMembers(ctx.db, 3, 'wb')
    if (!lapsed || !recent || !never) throw new Error('no members')
    const visit = (cardId: number, day: number) =>
      ctx.db.execute(
        sql`INSERT INTO member_facts (card_id, last_visit_day, updated_at) VALUES (${cardId}, ${day}, 0)
          ON CONFLICT (card_id) DO UPDATE SET last_visit_day = excluded.last_visit_day`,
      )
    await visit(lapsed.cardId, today - 60)
    await visit(recent.cardId, today - 59)
    expect((await runOn(1, 'winBack'))[0]).toMatchObject({ ran: true, targeted: 1 })
    ctx.clock.advance(DAY)
    // recent lapses today; lapsed is not messaged again for the same lapse.
    expect((await runOn(1, 'winBack'))[0]).toMatchObject({ ran: true, targeted: 1 })
    // lapsed comes back and lapses again 60 days later: a new lapse.
    await visit(lapsed.cardId, today + 1)
    ctx.clock.advance(60 * DAY)
    await messagingSettings.put(ctx.db, { capMessages: 100, capDays: 7, automationHour: 10 }, 0)
    const third = (await runOn(1, 'winBack'))[0]
    expect(third).toMatchObject({ ran: true, targeted: 1 })
    await ctx.drain()
    const reached = reachedUsers([lapsed.user, recent.user, never.user])
    expect(reached.filter((u) => u === lapsed.user)).toHaveLength(2)
    expect(reached.filter((u) => u === recent.user)).toHaveLength(1)
    expect(reached).not.toContain(never.user)
    await messagingSettings.put(ctx.db, { capMessages: 2, capDays: 7, automationHour: 10 }, 0)
    await configure('winBack', { daysWithoutVisit: 60 }, false)
  })

  it('couponExpiring: N days before a member coupon ends, once per member coupon, one message for several', async () => {
    ctx.clock.set(jst(2027, 6, 1, 10, 0))
    const [a, b, optedOut] = await seedMembers(ctx.db, 3, 'ce')
    if (!a || !b || !optedOut) throw new Error('no members')
    await memberPreferences.setPromotions(ctx.db, optedOut.user, false, ctx.clock.now())
    const soon = await couponEnding(2 * DAY, 'もうすぐ')
    const also = await couponEnding(2.5 * DAY, 'こちらも')
    const later = await couponEnding(10 * DAY, 'まだ先')
    for (const id of [soon, also, later]) await issueTo(id, 'ce')
    await configure('couponExpiring', { daysBefore: 3 })
    // Each member holds two copies ending within 3 days: one message each; the opted out none.
    expect((await runOn(2, 'couponExpiring')).find((o) => o?.ran)).toMatchObject({
      targeted: 3,
      queued: 2,
      excluded: 1,
    })
    await ctx.drain()
    const reached = reachedUsers([a.user, b.user, optedOut.user])
    expect(reached.sort()).toEqual([a.user, b.user].sort())
    const reminded = (cardId: number) =>
      count(sql`SELECT count(*) AS n FROM coupon_reminders r
        JOIN member_coupons m ON m.id = r.member_coupon_id WHERE m.card_id = ${cardId}`)
    expect([await reminded(a.cardId), await reminded(b.cardId)]).toEqual([2, 2])
    expect(await reminded(optedOut.cardId)).toBe(0)
    // The next day: only the opted-out member is still due (and still excluded).
    ctx.clock.advance(DAY)
    expect((await runOn(1, 'couponExpiring'))[0]).toMatchObject({
      ran: true,
      targeted: 1,
      queued: 0,
    })
    // Eight days on, the third coupon is due: a new reminder, once.
    ctx.clock.advance(7 * DAY)
    await memberPreferences.setPromotions(ctx.db, optedOut.user, true, ctx.clock.now())
    expect((await runOn(1, 'couponExpiring'))[0]).toMatchObject({
      ran: true,
      targeted: 3,
      queued: 3,
    })
    expect([await reminded(a.cardId), await reminded(b.cardId)]).toEqual([3, 3])
    await configure('couponExpiring', { daysBefore: 3 }, false)
  })

  it('params.couponId: each member messaged is issued the coupon in the run; an unknown or ended coupon is refused', async () => {
    ctx.clock.set(jst(2027, 7, 1, 10, 0))
    admin = await bearerHeaders(ctx, 'role-operator')
    const put = (params: Record<string, unknown>) =>
      ctx.call('PUT', '/api/admin/automations/birthday', {
        headers: admin,
        body: { enabled: true, messages: TEXT, params },
      })
    const unknown = await put({ couponId: 999_999 })
    expect(unknown.status).toBe(400)
    expect(unknown.json.error).toMatchObject({ code: 'VALIDATION_FAILED' })
    expect(unknown.json.error.message).toContain('params.couponId')
    const ended = await couponEnding(30 * DAY, 'おわり')
    expect(
      (await ctx.call('POST', `/api/admin/coupons/${ended}/end`, { headers: admin })).status,
    ).toBe(200)
    const refused = await put({ couponId: ended })
    expect(refused.status).toBe(400)
    expect(refused.json.error.message).toContain('ended')
    const gift = await couponEnding(60 * DAY, '誕生日クーポン')
    await configure('birthday', { couponId: gift })
    const [a, b, optedOut] = await seedMembers(ctx.db, 3, 'jul', { birthDate: '1995-07-15' })
    if (!a || !b || !optedOut) throw new Error('no members')
    await memberPreferences.setPromotions(ctx.db, optedOut.user, false, ctx.clock.now())
    expect((await runOn(2, 'birthday')).find((o) => o?.ran)).toMatchObject({
      targeted: 3,
      queued: 2,
    })
    const holders = await ctx.db.execute<{ cardId: number | string; source: string }>(
      sql`SELECT card_id AS "cardId", source FROM member_coupons WHERE coupon_id = ${gift}
        ORDER BY card_id`,
    )
    expect(holders.map((h) => [Number(h.cardId), h.source])).toEqual(
      [a.cardId, b.cardId].sort((x, y) => x - y).map((id) => [id, 'automation']),
    )
    await configure('birthday', { couponId: null }, false)
  })

  it('the server runs them at the configured Asia/Tokyo hour; runs are listed with their counts', async () => {
    await configure('birthday', {})
    await seedMembers(ctx.db, 4, 'may', { birthDate: '2000-05-20' })
    ctx.clock.set(jst(2027, 5, 2, 9, 59))
    const marketing = instance()
    const tick = () =>
      marketingTick({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, marketing })
    await tick()
    const runsOf = async () => {
      admin = await bearerHeaders(ctx, 'role-operator')
      const res = await ctx.call('GET', '/api/admin/automations/runs', { headers: admin })
      expect(res.status).toBe(200)
      return res.json.items.filter((r: { runDate: string }) => r.runDate === '2027-05-02')
    }
    expect(await runsOf()).toEqual([])
    ctx.clock.set(jst(2027, 5, 2, 10, 0))
    await tick()
    ctx.clock.advance(60_000)
    await tick()
    await ctx.drain()
    const runs = await runsOf()
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({
      kind: 'birthday',
      targeted: 4,
      sent: 4,
      excluded: 0,
      failed: 0,
    })
    expect(runs[0].finishedAt).not.toBeNull()
    const list = await ctx.call('GET', '/api/admin/automations', { headers: admin })
    const birthday = list.json.items.find((a: { kind: string }) => a.kind === 'birthday')
    expect(birthday.lastRun).toMatchObject({ runDate: '2027-05-02', sent: 4 })
  })
})
