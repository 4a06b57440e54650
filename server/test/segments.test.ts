import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { issueQrToken } from '../src/services/qr-token.ts'
import { createStaffService } from '../src/services/staff.ts'
import { roleHeaders } from './admin-support.ts'
import { createMessagingContext, userEvent } from './messaging-support.ts'
import { addCard, linkBody, ON_POSTGRES, row } from './support.ts'

const ctx = await createMessagingContext()
const T0 = ctx.clock.now() // 2026-11-23T03:00Z = 12:00 in Tokyo
const DAY = 86_400_000
/** A time given as Asia/Tokyo wall-clock (UTC+9). */
const jst = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) =>
  Date.UTC(y, mo - 1, d, h - 9, mi, s)

let admin: Record<string, string>
let roles: Awaited<ReturnType<typeof roleHeaders>>
const till: Record<string, Record<string, string>> = {}

beforeAll(async () => {
  roles = await roleHeaders(ctx)
  admin = roles.operator
  const service = createStaffService({ db: ctx.db, clock: ctx.clock, secrets: ctx.secrets })
  for (const store of ['S001', 'S002']) {
    await service.upsert({
      staffId: `seg-${store}`,
      storeCode: store,
      storeName: `Store ${store}`,
      role: 'manager',
      password: 'till-password-1',
    })
    const res = await ctx.call('POST', '/api/staff/login', {
      headers: { 'Content-Type': 'application/json' },
      body: { staffId: `seg-${store}`, password: 'till-password-1' },
    })
    expect(res.status).toBe(200)
    till[store] = { Authorization: `Bearer ${res.json.token}`, 'Content-Type': 'application/json' }
  }
})

interface Member {
  user: string
  cardId: number
  linkId: number
}

/** A card with rank `tag` (isolating each test's members), linked now through the route. */
async function member(
  tag: string,
  o: { points?: number; birthDate?: string | null; at?: number } = {},
): Promise<Member> {
  const card = await addCard(ctx.db, ctx.secrets, { points: o.points ?? 0, rank: tag })
  if (o.birthDate) {
    await ctx.db.execute(
      sql`UPDATE point_cards SET birth_date = ${o.birthDate} WHERE id = ${card.cardId}`,
    )
  }
  const user = ctx.newUser()
  ctx.clock.set(o.at ?? T0)
  const res = await ctx.call('POST', '/api/link', {
    headers: await ctx.userHeaders(user),
    body: linkBody(card.cardNumber, card.pin),
  })
  ctx.clock.set(T0)
  expect(res.status, JSON.stringify(res.json)).toBe(201)
  const link = await row<{ id: number }>(
    ctx.db,
    sql`SELECT id FROM line_links WHERE card_id = ${card.cardId} AND unlinked_at IS NULL`,
  )
  return { user, cardId: card.cardId, linkId: Number(link?.id) }
}

/** An award at the till of `store` at time `at` (then the clock goes back to T0). */
async function visit(m: Member, at: number, store = 'S001', amount = 100) {
  ctx.clock.set(at)
  const qrToken = issueQrToken(
    ctx.secrets.qrTokenKey,
    m.linkId,
    Math.floor(at / 1000) + ctx.config.cardTokenTtlSeconds,
  )
  const res = await ctx.call('POST', '/api/staff/points', {
    headers: { ...till[store], 'Idempotency-Key': randomUUID() },
    body: { qrToken, type: 'award', purchaseAmount: amount },
  })
  ctx.clock.set(T0)
  expect(res.status, JSON.stringify(res.json)).toBe(200)
}

async function count(segment: unknown, headers = admin) {
  const res = await ctx.call('POST', '/api/admin/segments/count', { headers, body: { segment } })
  return res
}

/** `matched` of `{all: [rank in [tag], cond]}`. */
async function matched(tag: string, cond: unknown): Promise<number> {
  const res = await count({ all: [{ field: 'rank', op: 'in', value: [tag] }, cond] })
  expect(res.status, JSON.stringify(res.json)).toBe(200)
  return res.json.matched
}

describe('segment fields (hand-computed members; today is 2026-11-23 in Asia/Tokyo)', () => {
  it('lastVisitDaysAgo and visitsInLast90Days count Asia/Tokyo days at the 90-day edge', async () => {
    const tag = 'visits'
    const a = await member(tag)
    const b = await member(tag)
    await member(tag) // never visited
    await visit(a, jst(2026, 8, 25, 23, 59, 59)) // day D-90: outside the last 90 days
    await visit(a, jst(2026, 8, 26, 0, 0, 0)) // day D-89: inside
    await visit(b, jst(2026, 11, 22, 23, 59)) // yesterday in Tokyo
    await visit(b, jst(2026, 11, 23, 0, 0)) // today in Tokyo, still the 22nd in UTC
    await visit(b, jst(2026, 11, 23, 11, 0), 'S002') // the same Tokyo day again
    const last = (op: string, value: number) =>
      matched(tag, { field: 'lastVisitDaysAgo', op, value })
    expect(await last('>=', 0)).toBe(3)
    expect(await last('>=', 89)).toBe(2) // a and the never-visited member
    expect(await last('>=', 90)).toBe(1) // only the never-visited member
    expect(await last('<=', 0)).toBe(1) // b
    expect(await last('<=', 89)).toBe(2) // a, b; never-visited matches no <=
    expect(await last('<=', 36500)).toBe(2)
    const visits = (op: string, value: number) =>
      matched(tag, { field: 'visitsInLast90Days', op, value })
    expect(await visits('>=', 1)).toBe(2)
    expect(await visits('>=', 2)).toBe(1) // b: two Tokyo days
    expect(await visits('>=', 3)).toBe(0)
    expect(await visits('<=', 0)).toBe(1)
    expect(await visits('<=', 1)).toBe(2)
  })

  it('birthMonth matches December and January birthdays by month only', async () => {
    const tag = 'birthdays'
    await member(tag, { birthDate: '1990-12-31' })
    await member(tag, { birthDate: '1985-01-01' })
    await member(tag, { birthDate: null })
    const months = (value: number[]) => matched(tag, { field: 'birthMonth', op: 'in', value })
    expect(await months([12])).toBe(1)
    expect(await months([1])).toBe(1)
    expect(await months([12, 1])).toBe(2)
    expect(await months([2, 11])).toBe(0)
  })

  it('rank and points compare the balance, boundaries included', async () => {
    const tag = 'points'
    await member(tag, { points: 99 })
    await member(tag, { points: 100 })
    await member(tag, { points: 101 })
    const pts = (op: string, value: number) => matched(tag, { field: 'points', op, value })
    // The link bonus (200) is part of the balance.
    expect(await pts('>=', 300)).toBe(2)
    expect(await pts('<=', 300)).toBe(2)
    expect(await pts('>=', 302)).toBe(0)
    const ranks = await count({ all: [{ field: 'rank', op: 'in', value: [tag, 'visits'] }] })
    expect(ranks.json.matched).toBe(6)
  })

  it('pointsExpiringWithinDays: positive balances whose expiry (last activity + 365 days) is within N days', async () => {
    const tag = 'expiring'
    const e = await member(tag, { at: T0 - 400 * DAY })
    await visit(e, T0 - 355 * DAY) // expires at T0 + 10 days
    const zero = await member(tag, { at: T0 - 400 * DAY })
    // A zero balance never matches, however old its activity.
    await ctx.db.execute(
      sql`INSERT INTO ledger (card_id, type, points, balance_after, created_at)
        VALUES (${zero.cardId}, 'adjust', -200, 0, ${T0 - 400 * DAY})`,
    )
    await ctx.db.execute(sql`UPDATE point_cards SET points = 0 WHERE id = ${zero.cardId}`)
    await member(tag) // linked now: expires in 365 days
    const within = (value: number) =>
      matched(tag, { field: 'pointsExpiringWithinDays', op: '<=', value })
    expect(await within(9)).toBe(0)
    expect(await within(10)).toBe(1)
    expect(await within(364)).toBe(1)
    expect(await within(365)).toBe(2)
  })

  it('linkedDaysAgo counts Asia/Tokyo days since the current link', async () => {
    const tag = 'linked'
    await member(tag, { at: jst(2026, 11, 13, 0, 0) }) // day D-10
    await member(tag, { at: jst(2026, 11, 12, 23, 59) }) // day D-11
    await member(tag) // today
    const linked = (op: string, value: number) =>
      matched(tag, { field: 'linkedDaysAgo', op, value })
    expect(await linked('>=', 10)).toBe(2)
    expect(await linked('>=', 11)).toBe(1)
    expect(await linked('>=', 12)).toBe(0)
    expect(await linked('<=', 10)).toBe(2)
    expect(await linked('<=', 0)).toBe(1)
  })

  it('visitedStore and nested all/any', async () => {
    const tag = 'stores'
    const a = await member(tag, { birthDate: '2000-12-01' })
    const b = await member(tag)
    await member(tag, { birthDate: '2000-12-02' })
    await visit(a, T0 - DAY, 'S001')
    await visit(b, T0 - DAY, 'S002')
    const stores = (value: string[]) => matched(tag, { field: 'visitedStore', op: 'in', value })
    expect(await stores(['S001'])).toBe(1)
    expect(await stores(['S001', 'S002'])).toBe(2)
    expect(await stores(['S999'])).toBe(0)
    // (visited S002) or (December and visited S001)
    expect(
      await matched(tag, {
        any: [
          { field: 'visitedStore', op: 'in', value: ['S002'] },
          {
            all: [
              { field: 'birthMonth', op: 'in', value: [12] },
              { field: 'visitedStore', op: 'in', value: ['S001'] },
            ],
          },
        ],
      }),
    ).toBe(2)
    expect(await matched(tag, { any: [] })).toBe(0)
    expect(await matched(tag, { all: [] })).toBe(3)
  })
})

describe('matched vs reachable', () => {
  it('counts only linked members; reachable excludes opt-outs and unfollowed friends', async () => {
    const tag = 'reach'
    await member(tag) // no friendship event: a friend
    const optedOut = await member(tag)
    const blocked = await member(tag)
    const back = await member(tag)
    const unlinked = await member(tag)
    const put = await ctx.call('PUT', '/api/me/preferences', {
      headers: await ctx.userHeaders(optedOut.user),
      body: { promotions: false },
    })
    expect(put.status).toBe(200)
    expect(put.json).toEqual({ promotions: false })
    await ctx.webhook({ events: [userEvent(blocked.user, 'unfollow')] })
    await ctx.webhook({ events: [userEvent(back.user, 'unfollow')] })
    await ctx.webhook({
      events: [userEvent(back.user, 'follow', { follow: { isUnblocked: true } })],
    })
    const del = await ctx.call('DELETE', '/api/link', {
      headers: await ctx.userHeaders(unlinked.user),
    })
    expect(del.status).toBe(204)
    const res = await count({ all: [{ field: 'rank', op: 'in', value: [tag] }] })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ matched: 4, reachable: 2 })
  })
})

describe('validation and roles', () => {
  it('names the bad part of the segment', async () => {
    const cases: [unknown, RegExp][] = [
      [
        {
          all: [
            { field: 'rank', op: 'in', value: ['gold'] },
            { any: [] },
            { field: 'points', op: '>', value: 1 },
          ],
        },
        /^segment\.all\[2\]\.op: /,
      ],
      [{ any: [{ field: 'height', op: '>=', value: 1 }] }, /^segment\.any\[0\]\.field: /],
      [
        { all: [{ any: [{ field: 'birthMonth', op: 'in', value: [13] }] }] },
        /all\[0\]\.any\[0\]\.value\[0\]: must be a month 1-12/,
      ],
      [{ all: [], any: [] }, /^segment: must be a group/],
      [{ all: [{ field: 'visitsInLast90Days', op: '>=', value: 1.5 }] }, /all\[0\]\.value/],
      [
        { all: [{ field: 'pointsExpiringWithinDays', op: '>=', value: 3 }] },
        /all\[0\]\.op: must be "<="/,
      ],
      [{ all: [{ field: 'rank', op: 'in', value: ['a'], extra: 1 }] }, /all\[0\]: unknown field/],
    ]
    for (const [segment, message] of cases) {
      const res = await count(segment)
      expect(res.status, JSON.stringify(segment)).toBe(400)
      expect(res.json.error.code).toBe('VALIDATION_FAILED')
      expect(res.json.error.message).toMatch(message)
    }
    const extra = await ctx.call('POST', '/api/admin/segments/count', {
      headers: admin,
      body: { segment: { all: [] }, more: 1 },
    })
    expect(extra.status).toBe(400)
  })

  it('is for operators and admins only', async () => {
    const segment = { all: [] }
    expect((await count(segment, roles.clerk)).status).toBe(403)
    expect((await count(segment, roles.manager)).status).toBe(403)
    expect((await count(segment, roles.operator)).status).toBe(200)
    expect((await count(segment, roles.admin)).status).toBe(200)
    expect((await count(segment, { 'Content-Type': 'application/json' })).status).toBe(401)
  })
})

describe('GET/PUT /api/me/preferences', () => {
  it('is true until turned off, and can be turned back on', async () => {
    const headers = await ctx.userHeaders(ctx.newUser())
    const get = () => ctx.call('GET', '/api/me/preferences', { headers })
    expect((await get()).json).toEqual({ promotions: true })
    const off = await ctx.call('PUT', '/api/me/preferences', {
      headers,
      body: { promotions: false },
    })
    expect(off.status).toBe(200)
    expect((await get()).json).toEqual({ promotions: false })
    await ctx.call('PUT', '/api/me/preferences', { headers, body: { promotions: true } })
    expect((await get()).json).toEqual({ promotions: true })
    const bad = await ctx.call('PUT', '/api/me/preferences', {
      headers,
      body: { promotions: 'no' },
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error.code).toBe('VALIDATION_FAILED')
    const unknown = await ctx.call('PUT', '/api/me/preferences', {
      headers,
      body: { promotions: true, userId: 'U1' },
    })
    expect(unknown.status).toBe(400)
    expect((await ctx.call('GET', '/api/me/preferences')).status).toBe(401)
  })
})

describe('facts', () => {
  it('equal a recomputation from the ledger after concurrent till writes', async () => {
    const tag = 'concurrent'
    const ms = await Promise.all([member(tag), member(tag), member(tag)])
    ctx.clock.set(T0)
    const writes = ms.flatMap((m) =>
      ['S001', 'S002', 'S001', 'S002'].map((store) => {
        const qrToken = issueQrToken(
          ctx.secrets.qrTokenKey,
          m.linkId,
          Math.floor(T0 / 1000) + ctx.config.cardTokenTtlSeconds,
        )
        return ctx.call('POST', '/api/staff/points', {
          headers: { ...till[store], 'Idempotency-Key': randomUUID() },
          body: { qrToken, type: 'award', purchaseAmount: 100 },
        })
      }),
    )
    const answers = await Promise.all(writes)
    // Single-use QR: a token scanned at one store is refused at another; count what landed.
    expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true)
    const days = await ctx.db.execute<{ card: number; day: number }>(
      sql`SELECT card_id AS card, day FROM member_visit_days ORDER BY card_id, day`,
    )
    const fromLedger = await ctx.db.execute<{ card: number; day: number }>(
      sql`SELECT DISTINCT card_id AS card, (created_at + 32400000) / 86400000 AS day FROM ledger
        WHERE type IN ('award', 'redeem') AND store_code IS NOT NULL ORDER BY card_id, day`,
    )
    expect(days.map((d) => [Number(d.card), Number(d.day)])).toEqual(
      fromLedger.map((d) => [Number(d.card), Number(d.day)]),
    )
    const stores = await ctx.db.execute<{ card: number; store: string }>(
      sql`SELECT card_id AS card, store_code AS store FROM member_store_visits
        ORDER BY card_id, store_code`,
    )
    const storesFromLedger = await ctx.db.execute<{ card: number; store: string }>(
      sql`SELECT DISTINCT card_id AS card, store_code AS store FROM ledger
        WHERE type IN ('award', 'redeem') AND store_code IS NOT NULL ORDER BY card_id, store_code`,
    )
    expect(stores.map((s) => [Number(s.card), s.store])).toEqual(
      storesFromLedger.map((s) => [Number(s.card), s.store]),
    )
    const last = await ctx.db.execute<{ card: number; day: number }>(
      sql`SELECT card_id AS card, last_visit_day AS day FROM member_facts ORDER BY card_id`,
    )
    const lastFromLedger = await ctx.db.execute<{ card: number; day: number }>(
      sql`SELECT card_id AS card, max((created_at + 32400000) / 86400000) AS day FROM ledger
        WHERE type IN ('award', 'redeem') AND store_code IS NOT NULL
        GROUP BY card_id ORDER BY card_id`,
    )
    expect(last.map((d) => [Number(d.card), Number(d.day)])).toEqual(
      lastFromLedger.map((d) => [Number(d.card), Number(d.day)]),
    )
    expect(await matched(tag, { field: 'lastVisitDaysAgo', op: '<=', value: 0 })).toBe(3)
  })
})

describe('the backfill migration', () => {
  it('rebuilds the same facts from the ledger', async () => {
    const facts = async () => ({
      days: await ctx.db.execute(
        sql`SELECT card_id AS c, day AS d FROM member_visit_days ORDER BY card_id, day`,
      ),
      stores: await ctx.db.execute(
        sql`SELECT card_id AS c, store_code AS s FROM member_store_visits ORDER BY 1, 2`,
      ),
      last: await ctx.db.execute(
        sql`SELECT card_id AS c, last_visit_day AS d FROM member_facts ORDER BY card_id`,
      ),
    })
    const kept = await facts()
    expect(kept.days.length).toBeGreaterThan(3)
    await ctx.db.execute(sql`DELETE FROM member_visit_days`)
    await ctx.db.execute(sql`DELETE FROM member_store_visits`)
    await ctx.db.execute(sql`DELETE FROM member_facts`)
    // The backfill migration, whatever its number.
    const folder = new URL(ON_POSTGRES ? '../drizzle-pg/' : '../drizzle/', import.meta.url)
    const file = readdirSync(folder).find((f) => f.endsWith('_member_facts_backfill.sql'))
    if (!file) throw new Error('no member facts backfill migration')
    const text = readFileSync(new URL(file, folder), 'utf8')
    for (const statement of text.split('--> statement-breakpoint')) {
      await ctx.db.execute(sql.raw(statement))
    }
    expect(await facts()).toEqual(kept)
  })
})
