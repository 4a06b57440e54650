import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { messagingSettings } from '../src/repositories/messaging-settings.ts'
import { couponExpiringTargets, markCouponReminded } from '../src/services/coupon-expiring.ts'
import { createCoupons } from '../src/services/coupons.ts'
import { consoleSignIn, cookieHeaders, roleHeaders } from './admin-support.ts'
import {
  copyOf,
  createCoupon,
  isoIn,
  issue,
  members,
  newTag,
  segmentOf,
  walletOf,
} from './coupons-support.ts'
import { cardState, signInStaff, tillCall } from './points-support.ts'
import { createTestContext, row } from './support.ts'

const ctx = await createTestContext({
  env: { LINK_BONUS_POINTS: '0', POINTS_VOID_WINDOW_MINUTES: '60' },
})
let staff: Awaited<ReturnType<typeof signInStaff>>
let roles: Awaited<ReturnType<typeof roleHeaders>>
let operator: Record<string, string>

beforeAll(async () => {
  staff = await signInStaff(ctx)
  roles = await roleHeaders(ctx)
  operator = roles.operator
})

const redeem = (
  headers: Record<string, string>,
  body: { qrToken: string; memberCouponId: number; purchaseAmount?: number },
  key?: string,
) => tillCall(ctx, headers, '/api/staff/coupons/redeem', body, key)

async function count(statement: ReturnType<typeof sql>): Promise<number> {
  return Number((await row<{ n: number }>(ctx.db, statement))?.n ?? -1)
}

describe('coupon definitions (console)', () => {
  it('creates a coupon for an operator, audit-logged; a clerk or manager gets 403', async () => {
    const c = await createCoupon(ctx, operator, {
      description: 'レジで会員証を見せてください',
      imageUrl: 'https://example.com/c.png',
      perMemberLimit: 2,
      totalLimit: 100,
      minPurchaseYen: 500,
      storeCodes: ['S001'],
      validDaysAfterIssue: 7,
    })
    expect(c).toMatchObject({
      title: '100円引き',
      reward: { type: 'discountYen', amount: 100 },
      imageUrl: 'https://example.com/c.png',
      perMemberLimit: 2,
      totalLimit: 100,
      minPurchaseYen: 500,
      storeCodes: ['S001'],
      validDaysAfterIssue: 7,
      followUpCouponId: null,
      status: 'active',
      issued: 0,
      used: 0,
    })
    const audit = await row<{ actor: string }>(
      ctx.db,
      sql`SELECT actor FROM audit_log WHERE action = 'coupon.create' AND target = ${`coupon:${c.id}`}`,
    )
    expect(audit?.actor).toBe('role-operator')
    for (const who of [roles.clerk, roles.manager]) {
      const res = await ctx.call('POST', '/api/admin/coupons', {
        headers: who,
        body: {
          title: 'x',
          reward: { type: 'freeItem', item: 'コーヒー' },
          validFrom: '2026-11-01',
          validUntil: '2026-12-31',
        },
      })
      expect(res.status).toBe(403)
      expect(res.json.error.code).toBe('FORBIDDEN')
    }
  })

  it('works from the console session (cookie + CSRF token); without the token 403', async () => {
    const session = await consoleSignIn(ctx, 'role-operator')
    const body = {
      title: 'console',
      reward: { type: 'freeItem', item: 'コーヒー' },
      validFrom: '2026-11-01',
      validUntil: '2026-12-31',
    }
    const ok = await ctx.call('POST', '/api/admin/coupons', {
      headers: cookieHeaders(session),
      body,
    })
    expect(ok.status).toBe(201)
    const ended = await ctx.call('POST', `/api/admin/coupons/${ok.json.id}/end`, {
      headers: cookieHeaders(session, false),
    })
    expect(ended.status).toBe(403)
  })

  it('takes whole days as dates in the till time zone', async () => {
    const c = await createCoupon(ctx, operator, {
      validFrom: '2026-11-01',
      validUntil: '2026-12-31',
    })
    expect(c).toMatchObject({ validFrom: '2026-11-01', validUntil: '2026-12-31' })
    const stored = await row<{ startsAt: number; endsAt: number }>(
      ctx.db,
      sql`SELECT starts_at AS "startsAt", ends_at AS "endsAt" FROM coupons WHERE id = ${c.id}`,
    )
    expect(Number(stored?.startsAt)).toBe(Date.parse('2026-11-01T00:00:00+09:00'))
    expect(Number(stored?.endsAt)).toBe(Date.parse('2027-01-01T00:00:00+09:00'))
  })

  it('refuses bad definitions with 400 VALIDATION_FAILED naming the problem', async () => {
    const base = {
      title: 'x',
      reward: { type: 'discountPercent', percent: 10 },
      validFrom: '2026-11-01',
      validUntil: '2026-12-31',
    }
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ imageUrl: 'http://example.com/a.png' }, /imageUrl/],
      [{ validUntil: '2026-10-01' }, /validUntil/],
      [{ validUntil: '2026-11-10', validFrom: '2026-11-01' }, /passed/],
      [{ storeCodes: ['NOPE'] }, /NOPE/],
      [{ reward: { type: 'discountPercent', percent: 120 } }, /reward/],
      [{ validFrom: '2026-02-30' }, /validFrom/],
      [{ followUpCouponId: 999999 }, /followUpCouponId/],
      [{ perMemberLimit: 0 }, /perMemberLimit/],
    ]
    for (const [change, message] of cases) {
      const res = await ctx.call('POST', '/api/admin/coupons', {
        headers: operator,
        body: { ...base, ...change },
      })
      expect(res.status, JSON.stringify(change)).toBe(400)
      expect(res.json.error.code).toBe('VALIDATION_FAILED')
      expect(res.json.error.message).toMatch(message)
    }
  })

  it('lists newest first and answers 404 COUPON_NOT_FOUND for an unknown id', async () => {
    const a = await createCoupon(ctx, operator)
    const b = await createCoupon(ctx, operator)
    const list = await ctx.call('GET', '/api/admin/coupons', { headers: operator })
    expect(list.status).toBe(200)
    const ids = list.json.items.map((c: { id: number }) => c.id)
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id))
    const missing = await ctx.call('GET', '/api/admin/coupons/987654', { headers: operator })
    expect(missing.status).toBe(404)
    expect(missing.json.error.code).toBe('COUPON_NOT_FOUND')
  })
})

describe('issuing to a segment', () => {
  it('issues once: a repeat of the key replays, a second issue skips every holder', async () => {
    const tag = newTag()
    await members(ctx, tag, 3)
    const c = await createCoupon(ctx, operator)
    const key = randomUUID()
    const first = await issue(ctx, operator, c.id, tag, {}, key)
    expect(first.json).toEqual({ issued: 3, skipped: 0 })
    const replay = await issue(ctx, operator, c.id, tag, {}, key)
    expect(replay.json).toEqual({ issued: 3, skipped: 0 })
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true')
    const again = await issue(ctx, operator, c.id, tag)
    expect(again.json).toEqual({ issued: 0, skipped: 3 })
    expect(
      await count(sql`SELECT count(*) AS n FROM member_coupons WHERE coupon_id = ${c.id}`),
    ).toBe(3)
    const audits = await count(
      sql`SELECT count(*) AS n FROM audit_log WHERE action = 'coupon.issue' AND target = ${`coupon:${c.id}`}`,
    )
    expect(audits).toBe(2)
    const detail = await ctx.call('GET', `/api/admin/coupons/${c.id}`, { headers: operator })
    expect(detail.json).toMatchObject({ issued: 3, used: 0, usageRate: 0 })
  })

  it('issues a large segment in batches, each in its own transaction', async () => {
    const tag = newTag()
    await members(ctx, tag, 5)
    const c = await createCoupon(ctx, operator)
    const service = createCoupons({
      db: ctx.db,
      clock: ctx.clock,
      timeZone: 'Asia/Tokyo',
      expiryDays: 0,
      issueBatch: 2,
    })
    const claim = {
      scope: 'test',
      key: randomUUID(),
      enter: async () => {},
      complete: async () => {},
    }
    const who = { actor: 'role-operator', address: null }
    const seg = segmentOf(tag) as never
    expect(await service.issue(who, c.id, { segment: seg }, claim)).toEqual({
      issued: 5,
      skipped: 0,
    })
    expect(
      await count(sql`SELECT count(*) AS n FROM member_coupons WHERE coupon_id = ${c.id}`),
    ).toBe(5)
  })

  it('with notify, pushes a notice only to reachable members (friends with promotions on)', async () => {
    const tag = newTag()
    const [a, b, blocked] = await members(ctx, tag, 3)
    if (!a || !b || !blocked) throw new Error('members')
    // `blocked` unfollowed the account (as the webhook records it).
    await ctx.db.execute(sql`INSERT INTO line_friends (line_user_id, followed_at, blocked_at, updated_at)
      VALUES (${blocked.user}, ${ctx.clock.now() - 5000}, ${ctx.clock.now()}, ${ctx.clock.now()})
      ON CONFLICT (line_user_id) DO UPDATE SET blocked_at = excluded.blocked_at`)
    const off = await ctx.call('PUT', '/api/me/preferences', {
      headers: await ctx.userHeaders(b.user),
      body: { promotions: false },
    })
    expect(off.status).toBe(200)
    const c = await createCoupon(ctx, operator, { title: '限定クーポン' })
    const res = await issue(ctx, operator, c.id, tag, { notify: true })
    expect(res.json).toEqual({ issued: 3, skipped: 0 })
    const pushed = async (user: string) =>
      count(sql`SELECT count(*) AS n FROM outbox WHERE kind = 'push' AND line_user_id = ${user}
        AND payload LIKE ${'%限定クーポン%'}`)
    expect(await pushed(a.user)).toBe(1)
    expect(await pushed(b.user)).toBe(0)
    expect(await pushed(blocked.user)).toBe(0)
    // b still got the coupon: the opt-out stops messages, not coupons.
    expect((await walletOf(ctx, b.user)).some((x) => x.couponId === c.id)).toBe(true)
  })

  it('with notify, goes through the promotions gate: the frequency cap holds the notice, not the coupon', async () => {
    await messagingSettings.put(ctx.db, { capMessages: 1, capDays: 7, automationHour: 10 }, 0)
    try {
      const tag = newTag()
      const [a, b] = await members(ctx, tag, 2)
      if (!a || !b) throw new Error('members')
      const first = await createCoupon(ctx, operator, { title: '一枚目' })
      const second = await createCoupon(ctx, operator, { title: '二枚目' })
      const pushed = async (user: string, title: string) =>
        count(sql`SELECT count(*) AS n FROM outbox WHERE kind = 'push' AND line_user_id = ${user}
          AND payload LIKE ${`%${title}%`}`)
      expect((await issue(ctx, operator, first.id, tag, { notify: true })).json).toEqual({
        issued: 2,
        skipped: 0,
      })
      for (const m of [a, b]) expect(await pushed(m.user, '一枚目')).toBe(1)
      // Each notice is recorded by the gate, so it counts toward the cap at once.
      expect(
        await count(sql`SELECT count(*) AS n FROM promo_sends
          WHERE source = ${`coupon-notice:${first.id}`} AND line_user_id IN (${a.user}, ${b.user})`),
      ).toBe(2)
      // At the cap (1 in 7 days): the second coupon is issued, its notice is not pushed.
      expect((await issue(ctx, operator, second.id, tag, { notify: true })).json).toEqual({
        issued: 2,
        skipped: 0,
      })
      for (const m of [a, b]) {
        expect(await pushed(m.user, '二枚目')).toBe(0)
        expect((await walletOf(ctx, m.user)).some((x) => x.couponId === second.id)).toBe(true)
      }
      const audit = await row<{ detail: string }>(
        ctx.db,
        sql`SELECT detail FROM audit_log WHERE action = 'coupon.issue' AND target = ${`coupon:${second.id}`}`,
      )
      expect(JSON.parse(String(audit?.detail))).toMatchObject({ notified: 0, notNotified: 2 })
    } finally {
      await messagingSettings.put(ctx.db, { capMessages: 2, capDays: 7, automationHour: 10 }, 0)
    }
  })

  it('refuses to issue an ended coupon (410) and an unknown one (404)', async () => {
    const tag = newTag()
    await members(ctx, tag, 1)
    const c = await createCoupon(ctx, operator)
    const end = await ctx.call('POST', `/api/admin/coupons/${c.id}/end`, { headers: operator })
    expect(end.status).toBe(200)
    expect(end.json.status).toBe('ended')
    const res = await ctx.call('POST', `/api/admin/coupons/${c.id}/issue`, {
      headers: { ...operator, 'Idempotency-Key': randomUUID() },
      body: { segment: segmentOf(tag) },
    })
    expect(res.status).toBe(410)
    expect(res.json.error.code).toBe('COUPON_EXPIRED')
    const unknown = await ctx.call('POST', '/api/admin/coupons/99999/issue', {
      headers: { ...operator, 'Idempotency-Key': randomUUID() },
      body: { segment: segmentOf(tag) },
    })
    expect(unknown.status).toBe(404)
  })
})

describe('the member’s coupons', () => {
  it('lists available first (soonest to expire first), then used; only the caller’s own', async () => {
    const tag = newTag()
    const [m, other] = await members(ctx, tag, 2)
    if (!m || !other) throw new Error('members')
    const later = await createCoupon(ctx, operator, { title: 'later' }, 24 * 20)
    const sooner = await createCoupon(ctx, operator, { title: 'sooner' }, 24 * 5)
    const used = await createCoupon(ctx, operator, { title: 'used' }, 24 * 1)
    for (const c of [later, sooner, used]) await issue(ctx, operator, c.id, tag)
    const usedCopy = await copyOf(ctx, m.user, used.id)
    const r = await redeem(staff.clerk, { qrToken: m.qrNow(), memberCouponId: usedCopy.id })
    expect(r.status).toBe(200)
    const items = await walletOf(ctx, m.user)
    const mine = items.filter((x) => [later.id, sooner.id, used.id].includes(x.couponId))
    expect(mine.map((x) => [x.couponId, x.status])).toEqual([
      [sooner.id, 'available'],
      [later.id, 'available'],
      [used.id, 'used'],
    ])
    expect(mine[2]?.usedAt).not.toBeNull()
    // Another member's copy: 404, the same as an unknown one.
    const theirs = await copyOf(ctx, other.user, sooner.id)
    const peek = await ctx.call('GET', `/api/coupons/${theirs.id}`, {
      headers: await ctx.userHeaders(m.user),
    })
    expect(peek.status).toBe(404)
    expect(peek.json.error.code).toBe('COUPON_NOT_FOUND')
    const own = await ctx.call('GET', `/api/coupons/${theirs.id}`, {
      headers: await ctx.userHeaders(other.user),
    })
    expect(own.status).toBe(200)
    expect(own.json).toMatchObject({ id: theirs.id, couponId: sooner.id, title: 'sooner' })
    // A LINE user with no card sees none; no token is 401.
    expect(await walletOf(ctx, ctx.newUser())).toEqual([])
    expect((await ctx.call('GET', '/api/coupons')).status).toBe(401)
  })

  it('ends a copy N days after issue (end of that day), never after the coupon', async () => {
    const tag = newTag()
    const [m] = await members(ctx, tag, 1)
    if (!m) throw new Error('member')
    const c = await createCoupon(ctx, operator, { validDaysAfterIssue: 3 })
    await issue(ctx, operator, c.id, tag)
    const copy = await copyOf(ctx, m.user, c.id)
    // now is 2026-11-23 12:00 in Tokyo (the fake clock): valid through 11-26 in Tokyo.
    expect(copy.validUntil).toBe(
      new Date(Date.parse('2026-11-27T00:00:00+09:00') - 1).toISOString(),
    )
  })
})

describe('at the till', () => {
  it('scan lists the available coupons usable at this store', async () => {
    const tag = newTag()
    const [m] = await members(ctx, tag, 1)
    if (!m) throw new Error('member')
    const here = await createCoupon(ctx, operator, { title: 'here', storeCodes: ['S001'] })
    const there = await createCoupon(ctx, operator, { title: 'there', storeCodes: ['S002'] })
    for (const c of [here, there]) await issue(ctx, operator, c.id, tag)
    const scan = await ctx.call('POST', '/api/staff/scan', {
      headers: staff.clerk,
      body: { qrToken: m.qrNow() },
    })
    expect(scan.status).toBe(200)
    const ids = scan.json.coupons.map((x: { couponId: number }) => x.couponId)
    expect(ids).toContain(here.id)
    expect(ids).not.toContain(there.id)
    expect(scan.json.member).toBeDefined()
  })

  it('uses a coupon once; a retry of the key replays; another member’s copy is 404', async () => {
    const tag = newTag()
    const [m, other] = await members(ctx, tag, 2)
    if (!m || !other) throw new Error('members')
    const c = await createCoupon(ctx, operator, { title: '一回だけ' })
    await issue(ctx, operator, c.id, tag)
    const copy = await copyOf(ctx, m.user, c.id)
    const key = randomUUID()
    const body = { qrToken: m.qrNow(), memberCouponId: copy.id }
    const ok = await redeem(staff.clerk, body, key)
    expect(ok.status).toBe(200)
    expect(ok.json).toMatchObject({
      memberCouponId: copy.id,
      balance: 0,
      couponTitle: '一回だけ',
      pointsAwarded: 0,
    })
    expect(typeof ok.json.redemptionId).toBe('number')
    const replay = await redeem(staff.clerk, body, key)
    expect(replay.json).toEqual(ok.json)
    const twice = await redeem(staff.clerk, { qrToken: m.qrNow(), memberCouponId: copy.id })
    expect(twice.status).toBe(409)
    expect(twice.json.error.code).toBe('COUPON_ALREADY_USED')
    const theirs = await copyOf(ctx, other.user, c.id)
    const wrong = await redeem(staff.clerk, { qrToken: m.qrNow(), memberCouponId: theirs.id })
    expect(wrong.status).toBe(404)
    expect(wrong.json.error.code).toBe('COUPON_NOT_FOUND')
    expect((await copyOf(ctx, other.user, c.id)).status).toBe('available')
  })

  it('answers wrong store and under the minimum with 422 COUPON_CONDITION_NOT_MET', async () => {
    const tag = newTag()
    const [m] = await members(ctx, tag, 1)
    if (!m) throw new Error('member')
    const s2 = await createCoupon(ctx, operator, { storeCodes: ['S002'] })
    const min = await createCoupon(ctx, operator, { minPurchaseYen: 1000 })
    for (const c of [s2, min]) await issue(ctx, operator, c.id, tag)
    const s2Copy = await copyOf(ctx, m.user, s2.id)
    const minCopy = await copyOf(ctx, m.user, min.id)
    const cases = [
      { memberCouponId: s2Copy.id },
      { memberCouponId: minCopy.id },
      { memberCouponId: minCopy.id, purchaseAmount: 999 },
    ]
    for (const b of cases) {
      const res = await redeem(staff.clerk, { qrToken: m.qrNow(), ...b })
      expect(res.status, JSON.stringify(b)).toBe(422)
      expect(res.json.error.code).toBe('COUPON_CONDITION_NOT_MET')
    }
    const ok = await redeem(staff.clerk, {
      qrToken: m.qrNow(),
      memberCouponId: minCopy.id,
      purchaseAmount: 1000,
    })
    expect(ok.status).toBe(200)
    // The S002 coupon works at S002.
    const there = await redeem(staff.otherManager, {
      qrToken: m.qrNow(),
      memberCouponId: s2Copy.id,
    })
    expect(there.status).toBe(200)
  })

  it('answers an ended coupon with 410 COUPON_EXPIRED and shows it as ended', async () => {
    const tag = newTag()
    const [m] = await members(ctx, tag, 1)
    if (!m) throw new Error('member')
    const c = await createCoupon(ctx, operator)
    await issue(ctx, operator, c.id, tag)
    const copy = await copyOf(ctx, m.user, c.id)
    await ctx.call('POST', `/api/admin/coupons/${c.id}/end`, { headers: operator })
    const res = await redeem(staff.clerk, { qrToken: m.qrNow(), memberCouponId: copy.id })
    expect(res.status).toBe(410)
    expect(res.json.error.code).toBe('COUPON_EXPIRED')
    expect(res.json.error.message).toMatch(/ended/)
    expect((await copyOf(ctx, m.user, c.id)).status).toBe('ended')
  })

  it('gives bonus points in the same transaction (ledger = balance) and a manager reverses it', async () => {
    const tag = newTag()
    const [m] = await members(ctx, tag, 1, 100)
    if (!m) throw new Error('member')
    const c = await createCoupon(ctx, operator, {
      title: 'ボーナス',
      reward: { type: 'bonusPoints', points: 50 },
    })
    await issue(ctx, operator, c.id, tag)
    const copy = await copyOf(ctx, m.user, c.id)
    const ok = await redeem(staff.clerk, { qrToken: m.qrNow(), memberCouponId: copy.id })
    expect(ok.status).toBe(200)
    expect(ok.json).toMatchObject({ balance: 150, pointsAwarded: 50 })
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 150, balance: 150 })
    const entry = await row<{ type: string; points: number }>(
      ctx.db,
      sql`SELECT type, points FROM ledger WHERE card_id = ${m.cardId} ORDER BY id DESC LIMIT 1`,
    )
    expect(entry).toMatchObject({ type: 'coupon' })
    // The member is told, as for any till change of points.
    const told = await count(sql`SELECT count(*) AS n FROM outbox WHERE kind = 'push'
      AND line_user_id = ${m.user} AND payload LIKE ${'%クーポンでポイントが付きました%'}`)
    expect(told).toBe(1)
    expect(Number(entry?.points)).toBe(50)
    const reverse = (headers: Record<string, string>) =>
      tillCall(ctx, headers, '/api/staff/coupons/reverse', { redemptionId: ok.json.redemptionId })
    const clerk = await reverse(staff.clerk)
    expect(clerk.status).toBe(403)
    expect(clerk.json.error.code).toBe('FORBIDDEN')
    const otherStore = await reverse(staff.otherManager)
    expect(otherStore.status).toBe(404)
    expect(otherStore.json.error.code).toBe('TRANSACTION_NOT_FOUND')
    const done = await reverse(staff.manager)
    expect(done.status).toBe(200)
    expect(done.json).toEqual({
      redemptionId: ok.json.redemptionId,
      memberCouponId: copy.id,
      balance: 100,
    })
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 100, balance: 100 })
    const again = await reverse(staff.manager)
    expect(again.status).toBe(409)
    expect(again.json.error.code).toBe('ALREADY_VOIDED')
    // The use is given back: the copy can be used again, and counts once.
    expect((await copyOf(ctx, m.user, c.id)).status).toBe('available')
    const reuse = await redeem(staff.clerk, { qrToken: m.qrNow(), memberCouponId: copy.id })
    expect(reuse.status).toBe(200)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 150, balance: 150 })
    const detail = await ctx.call('GET', `/api/admin/coupons/${c.id}`, { headers: operator })
    expect(detail.json).toMatchObject({ issued: 1, used: 1, usageRate: 1 })
    expect(detail.json.byStore).toEqual([{ storeCode: 'S001', used: 1 }])
    expect(detail.json.byDay).toEqual([{ date: '2026-11-23', issued: 1, used: 1 }])
    // A points void cannot touch the coupon's ledger entry.
    const pointsVoid = await tillCall(
      ctx,
      staff.manager,
      `/api/staff/transactions/${(await row<{ id: number }>(ctx.db, sql`SELECT id FROM ledger WHERE card_id = ${m.cardId} AND type = 'coupon' ORDER BY id DESC LIMIT 1`))?.id}/void`,
      {},
    )
    expect(pointsVoid.json.error.code).toBe('NOT_VOIDABLE')
  })

  it('issues the follow-up coupon when one is used (a second-visit chain)', async () => {
    const tag = newTag()
    const [m] = await members(ctx, tag, 1)
    if (!m) throw new Error('member')
    const second = await createCoupon(ctx, operator, { title: '2回目' })
    const first = await createCoupon(ctx, operator, { title: '1回目', followUpCouponId: second.id })
    expect(first.followUpCouponId).toBe(second.id)
    await issue(ctx, operator, first.id, tag)
    expect((await walletOf(ctx, m.user)).some((x) => x.couponId === second.id)).toBe(false)
    const copy = await copyOf(ctx, m.user, first.id)
    expect(
      (await redeem(staff.clerk, { qrToken: m.qrNow(), memberCouponId: copy.id })).status,
    ).toBe(200)
    expect((await copyOf(ctx, m.user, second.id)).status).toBe('available')
  })

  it('allows perMemberLimit uses of a copy, then 409', async () => {
    const tag = newTag()
    const [m] = await members(ctx, tag, 1)
    if (!m) throw new Error('member')
    const c = await createCoupon(ctx, operator, { perMemberLimit: 2 })
    await issue(ctx, operator, c.id, tag)
    const copy = await copyOf(ctx, m.user, c.id)
    const results = []
    for (let i = 0; i < 3; i++) {
      results.push(
        (await redeem(staff.clerk, { qrToken: m.qrNow(), memberCouponId: copy.id })).status,
      )
    }
    expect(results).toEqual([200, 200, 409])
  })

  it('one QR token uses one coupon (QR_ALREADY_USED for a second)', async () => {
    const tag = newTag()
    const [m] = await members(ctx, tag, 1)
    if (!m) throw new Error('member')
    const a = await createCoupon(ctx, operator)
    const b = await createCoupon(ctx, operator)
    for (const c of [a, b]) await issue(ctx, operator, c.id, tag)
    const qrToken = m.qrNow()
    const first = await redeem(staff.clerk, {
      qrToken,
      memberCouponId: (await copyOf(ctx, m.user, a.id)).id,
    })
    expect(first.status).toBe(200)
    const second = await redeem(staff.clerk, {
      qrToken,
      memberCouponId: (await copyOf(ctx, m.user, b.id)).id,
    })
    expect(second.status).toBe(409)
    expect(second.json.error.code).toBe('QR_ALREADY_USED')
  })
})

describe('counting', () => {
  it('the dashboard counts coupons issued and used in the period; the export lists uses', async () => {
    const kpis = async () =>
      (
        await ctx.call('GET', '/api/admin/kpis?from=2026-11-23&to=2026-11-23', {
          headers: operator,
        })
      ).json
    const before = await kpis()
    expect(typeof before.couponsIssued).toBe('number')
    const tag = newTag()
    const [m] = await members(ctx, tag, 2)
    if (!m) throw new Error('member')
    const c = await createCoupon(ctx, operator, { title: 'export-me' })
    await issue(ctx, operator, c.id, tag)
    const copy = await copyOf(ctx, m.user, c.id)
    await redeem(staff.clerk, { qrToken: m.qrNow(), memberCouponId: copy.id, purchaseAmount: 1234 })
    const after = await kpis()
    expect(after.couponsIssued - before.couponsIssued).toBe(2)
    expect(after.couponsUsed - before.couponsUsed).toBe(1)
    const other = await ctx.call('GET', '/api/admin/kpis?from=2026-11-24&to=2026-11-24', {
      headers: operator,
    })
    expect(other.json).toMatchObject({ couponsIssued: 0, couponsUsed: 0 })
    const csv = await ctx.call(
      'GET',
      '/api/admin/exports/coupons.csv?from=2026-11-23&to=2026-11-23',
      {
        headers: roles.admin,
      },
    )
    expect(csv.status).toBe(200)
    expect(csv.headers.get('Content-Type')).toMatch(/text\/csv/)
    const line = csv.text.split(/\r?\n/).find((l) => l.includes('export-me'))
    expect(line).toContain(m.cardNumber)
    expect(line).toContain('1234')
    const denied = await ctx.call('GET', '/api/admin/exports/coupons.csv', { headers: operator })
    expect(denied.status).toBe(403)
  })
})

describe('for the automations', () => {
  it('couponExpiring: usable copies ending within N days, not yet reminded, once', async () => {
    const tag = newTag()
    const [m] = await members(ctx, tag, 1)
    if (!m) throw new Error('member')
    const c = await createCoupon(ctx, operator, {}, 24 * 2)
    const far = await createCoupon(ctx, operator, {}, 24 * 30)
    for (const x of [c, far]) await issue(ctx, operator, x.id, tag)
    const now = ctx.clock.now()
    const mine = async () => {
      const out = []
      for await (const page of couponExpiringTargets(ctx.db, now, 3, 2)) {
        out.push(...page.filter((r) => Number(r.cardId) === m.cardId))
      }
      return out
    }
    const found = await mine()
    expect(found.map((r) => Number(r.couponId))).toEqual([c.id])
    expect(found[0]?.lineUserId).toBe(m.user)
    const id = Number(found[0]?.memberCouponId)
    expect(await ctx.db.transaction((tx) => markCouponReminded(tx, id, now))).toBe(true)
    expect(await ctx.db.transaction((tx) => markCouponReminded(tx, id, now))).toBe(false)
    expect(await mine()).toEqual([])
  })

  it('params.couponId: a member gets a copy unless holding a usable one', async () => {
    const tag = newTag()
    const [m] = await members(ctx, tag, 1)
    if (!m) throw new Error('member')
    const c = await createCoupon(ctx, operator, { title: 'birthday' })
    const service = createCoupons({
      db: ctx.db,
      clock: ctx.clock,
      timeZone: 'Asia/Tokyo',
      expiryDays: 0,
    })
    const give = () =>
      ctx.db.transaction((tx) => service.issueToCard(tx, c.id, m.cardId, 'automation'))
    expect(await give()).toEqual(expect.any(Number))
    expect(await give()).toBeUndefined()
    const copy = await copyOf(ctx, m.user, c.id)
    expect(
      (await redeem(staff.clerk, { qrToken: m.qrNow(), memberCouponId: copy.id })).status,
    ).toBe(200)
    expect(await give()).toEqual(expect.any(Number))
    const copies = (await walletOf(ctx, m.user)).filter((x) => x.couponId === c.id)
    expect(copies.map((x) => x.status).sort()).toEqual(['available', 'used'])
  })
})

describe('time', () => {
  it('answers a copy past its end with 410 COUPON_EXPIRED, and a reversal past the window with 422', async () => {
    const tag = newTag()
    const [m] = await members(ctx, tag, 1)
    if (!m) throw new Error('member')
    const short = await createCoupon(ctx, operator, { validUntil: isoIn(ctx, 3_600_000) })
    const long = await createCoupon(ctx, operator)
    for (const c of [short, long]) await issue(ctx, operator, c.id, tag)
    const used = await redeem(staff.clerk, {
      qrToken: m.qrNow(),
      memberCouponId: (await copyOf(ctx, m.user, long.id)).id,
    })
    expect(used.status).toBe(200)
    ctx.clock.advance(2 * 3_600_000)
    const fresh = await signInStaff(ctx)
    const res = await redeem(fresh.clerk, {
      qrToken: m.qrNow(),
      memberCouponId: (await copyOf(ctx, m.user, short.id)).id,
    })
    expect(res.status).toBe(410)
    expect(res.json.error.code).toBe('COUPON_EXPIRED')
    expect((await copyOf(ctx, m.user, short.id)).status).toBe('expired')
    const late = await tillCall(ctx, fresh.manager, '/api/staff/coupons/reverse', {
      redemptionId: used.json.redemptionId,
    })
    expect(late.status).toBe(422)
    expect(late.json.error.code).toBe('VOID_WINDOW_PASSED')
  })
})
