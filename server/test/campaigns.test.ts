import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { retryKeyFor } from '../src/line/outbox.ts'
import { lineFriends } from '../src/repositories/line-friends.ts'
import { memberPreferences } from '../src/repositories/member-preferences.ts'
import { createAuditService } from '../src/services/audit.ts'
import { createCoupons } from '../src/services/coupons.ts'
import { createMarketing } from '../src/services/marketing.ts'
import { bearerHeaders, roleHeaders } from './admin-support.ts'
import { createCampaign, multicastsTo, rankSegment, seedMembers, TEXT } from './campaign-support.ts'
import { createMessagingContext, outboxRows } from './messaging-support.ts'

const ctx = await createMessagingContext()
const DAY = 86_400_000
let admin: Record<string, string>

beforeAll(async () => {
  admin = (await roleHeaders(ctx)).operator
})

const get = async (id: number) => {
  const res = await ctx.call('GET', `/api/admin/campaigns/${id}`, { headers: admin })
  expect(res.status).toBe(200)
  return res.json
}

describe('campaigns', () => {
  it('sends a campaign to 1,203 members as 3 multicasts of ≤ 500, every member once, with stable retry keys', async () => {
    const members = await seedMembers(ctx.db, 1203, 'big')
    const res = await createCampaign(ctx, admin, {
      name: '春のセール',
      segment: rankSegment('big'),
    })
    const id = res.json.id as number
    expect(res.json).toMatchObject({ status: 'sending', recipients: 1203, excluded: 0 })
    expect(res.json.aggregationUnit).toMatch(/^[a-zA-Z0-9_]{1,30}$/)
    await ctx.drain()
    const calls = multicastsTo(
      ctx,
      members.map((m) => m.user),
    )
    // The batches go out at once (in any order); batch n carries the key derived from n.
    const sizeByKey = Object.fromEntries(
      calls.map((c) => [c.headers['x-line-retry-key'], (c.body as { to: string[] }).to.length]),
    )
    expect(sizeByKey).toEqual({
      [retryKeyFor(`campaign:${id}:batch:0`)]: 500,
      [retryKeyFor(`campaign:${id}:batch:1`)]: 500,
      [retryKeyFor(`campaign:${id}:batch:2`)]: 203,
    })
    const reached = calls.flatMap((c) => (c.body as { to: string[] }).to)
    expect(new Set(reached).size).toBe(1203)
    expect(reached.length).toBe(1203)
    for (const c of calls) {
      expect((c.body as { customAggregationUnits: string[] }).customAggregationUnits).toEqual([
        res.json.aggregationUnit,
      ])
    }
    expect(await get(id)).toMatchObject({
      status: 'sent',
      recipients: 1203,
      sent: 1203,
      failed: 0,
      excluded: 0,
      excludedBy: { optedOut: 0, blocked: 0, frequencyCap: 0 },
    })
    // LINE's unit statistics read back (the stand-in answers plausible figures above 20).
    const insight = await ctx.call('GET', `/api/admin/campaigns/${id}/insight`, { headers: admin })
    expect(insight.status).toBe(200)
    expect(insight.json.aggregationUnit).toBe(res.json.aggregationUnit)
    expect(insight.json.uniqueImpression).toBeGreaterThan(20)
    expect(insight.json.uniqueClick).toBeGreaterThan(0)
  })

  it('a worker that dies mid-send (LINE accepted a batch, nothing recorded) is replaced: no member twice, none missed', async () => {
    const { createLineMessaging } = await import('../src/line/line-service.ts')
    const members = await seedMembers(ctx.db, 1203, 'crash')
    const users = members.map((m) => m.user)
    let release: () => void = () => {}
    const dead = new Promise<void>((r) => {
      release = r
    })
    let calls = 0
    // The first process: one batch per claim; its second multicast reaches LINE, then the
    // process "dies" (the call never returns, nothing is recorded).
    const first = createLineMessaging({
      db: ctx.db,
      clock: ctx.clock,
      config: ctx.config,
      logger: ctx.logger,
      worker: { concurrency: 1, callTimeoutMs: 600_000 },
      client: {
        ...ctx.line.client,
        enabled: true,
        api: () =>
          new Proxy(ctx.line.client.api(), {
            get(target, p, r) {
              const v = Reflect.get(target, p, r)
              if (p !== 'multicast') return typeof v === 'function' ? v.bind(target) : v
              return async (...args: unknown[]) => {
                const out = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args)
                calls++
                if (calls === 2) {
                  await dead
                  throw new Error('the process died')
                }
                return out
              }
            },
          }),
      },
    })
    const res = await createCampaign(ctx, admin, { name: 'crash', segment: rankSegment('crash') })
    const id = res.json.id as number
    const dying = first.worker.runOnce()
    // Wait until LINE has the second batch (the first process is now stuck in that call).
    for (let i = 0; i < 200 && multicastsTo(ctx, users).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 10))
    }
    expect(multicastsTo(ctx, users)).toHaveLength(2)
    expect((await get(id)).sent).toBe(500)
    // The restart: a new process after the dead one's claim has lapsed.
    ctx.clock.advance(61_000)
    await ctx.drain()
    release()
    await dying.catch(() => undefined)
    const accepted = multicastsTo(ctx, users)
    expect(accepted).toHaveLength(3)
    const reached = accepted.flatMap((c) => (c.body as { to: string[] }).to)
    expect(reached.length).toBe(1203)
    expect(new Set(reached)).toEqual(new Set(users))
    for (const u of users) expect(ctx.standIn.deliveries.get(u)).toBe(1)
    // The resent second batch carried the same retry key, and LINE refused it as a repeat.
    const repeat = ctx.standIn.rejected.filter(
      (c) => c.headers['x-line-retry-key'] === retryKeyFor(`campaign:${id}:batch:1`),
    )
    expect(repeat).toHaveLength(1)
    expect(await get(id)).toMatchObject({ status: 'sent', sent: 1203, failed: 0 })
  })

  it('paces multicasts through the rate window the instances share', async () => {
    const { createLineMessaging } = await import('../src/line/line-service.ts')
    const members = await seedMembers(ctx.db, 1203, 'pace')
    // Ahead of every window the other tests' real clock has used (a whole second).
    let wall = Math.floor(Date.now() / 1000) * 1000 + 864_000_000
    const waits: number[] = []
    const paced = createLineMessaging({
      db: ctx.db,
      clock: ctx.clock,
      config: ctx.config,
      logger: ctx.logger,
      // Two calls a second at most in any second, not only in each clock second: one call a
      // one-second window, and each batch waits for the next window (the wall clock is fake).
      worker: {
        maxPerSecond: 2,
        wallClock: () => wall,
        sleep: async (ms) => {
          waits.push(ms)
          wall += ms
        },
      },
    })
    const res = await createCampaign(ctx, admin, { name: 'pace', segment: rankSegment('pace') })
    await paced.worker.runOnce()
    const calls = multicastsTo(
      ctx,
      members.map((m) => m.user),
    )
    expect(calls).toHaveLength(3)
    expect(waits).toEqual([1_000, 1_000])
    expect(await get(res.json.id)).toMatchObject({ status: 'sent', sent: 1203 })
    // The window now lies ahead of the real clock: the other tests start afresh.
    await ctx.db.execute(sql`DELETE FROM rate_windows`)
  })

  it('refuses a campaign the quota cannot cover with 422 QUOTA_EXCEEDED saying how many it can reach', async () => {
    await seedMembers(ctx.db, 30, 'quota')
    ctx.standIn.setQuota({ type: 'limited', value: 1000 })
    ctx.standIn.setConsumption(980)
    try {
      const quota = await ctx.call('GET', '/api/admin/quota', { headers: admin })
      expect(quota.json).toEqual({ type: 'limited', limit: 1000, used: 980, remaining: 20 })
      const before = (await outboxRows(ctx)).length
      const res = await createCampaign(
        ctx,
        admin,
        { name: 'too many', segment: rankSegment('quota') },
        422,
      )
      expect(res.json.error.code).toBe('QUOTA_EXCEEDED')
      expect(res.json.error.message).toContain('at most 20')
      expect((await outboxRows(ctx)).length).toBe(before)
      const list = await ctx.call('GET', '/api/admin/campaigns', { headers: admin })
      expect(list.json.items.some((c: { name: string }) => c.name === 'too many')).toBe(false)
      ctx.standIn.setConsumption(970)
      await createCampaign(ctx, admin, { name: 'fits', segment: rankSegment('quota') })
      await ctx.drain()
    } finally {
      ctx.standIn.setQuota({ type: 'limited', value: 1_000_000 })
      ctx.standIn.setConsumption(0)
    }
  })

  it('counts the messages still queued for LINE against the quota: two campaigns cannot both take the last messages', async () => {
    await seedMembers(ctx.db, 25, 'quota-a')
    await seedMembers(ctx.db, 25, 'quota-b')
    await ctx.drain()
    const unsent = (await outboxRows(ctx)).filter((r) => r.sentAt === null && r.failedAt === null)
    expect(unsent).toEqual([])
    ctx.standIn.setQuota({ type: 'limited', value: 1000 })
    ctx.standIn.setConsumption(960)
    try {
      // 25 of the 40 left are queued, not yet sent: LINE has not counted them.
      await createCampaign(ctx, admin, { name: 'first', segment: rankSegment('quota-a') })
      const second = await createCampaign(
        ctx,
        admin,
        { name: 'second', segment: rankSegment('quota-b') },
        422,
      )
      expect(second.json.error.code).toBe('QUOTA_EXCEEDED')
      expect(second.json.error.message).toContain('at most 15')
      await ctx.drain()
      // Sent, they are LINE's count: the answer is the same.
      const again = await createCampaign(
        ctx,
        admin,
        { name: 'second again', segment: rankSegment('quota-b') },
        422,
      )
      expect(again.json.error.message).toContain('at most 15')
    } finally {
      ctx.standIn.setQuota({ type: 'limited', value: 1_000_000 })
      ctx.standIn.setConsumption(0)
    }
  })

  it('of two campaigns created at once that together exceed the quota, exactly one is queued', async () => {
    await seedMembers(ctx.db, 25, 'race-a')
    await seedMembers(ctx.db, 25, 'race-b')
    await ctx.drain()
    ctx.standIn.setQuota({ type: 'limited', value: 1000 })
    ctx.standIn.setConsumption(960)
    try {
      const results = await Promise.all(
        ['race-a', 'race-b'].map((rank) =>
          ctx.call('POST', '/api/admin/campaigns', {
            headers: { ...admin, 'Idempotency-Key': randomUUID() },
            body: { name: rank, segment: rankSegment(rank), messages: TEXT },
          }),
        ),
      )
      expect(results.map((r) => r.status).sort()).toEqual([201, 422])
      const queued = (await outboxRows(ctx)).filter((r) => r.sentAt === null && r.failedAt === null)
      expect(queued.length).toBe(1)
    } finally {
      ctx.standIn.setQuota({ type: 'limited', value: 1_000_000 })
      ctx.standIn.setConsumption(0)
      await ctx.drain()
    }
  })

  it('cancels during sending: unsent batches stop and their members keep their promotion slot', async () => {
    const { createLineMessaging } = await import('../src/line/line-service.ts')
    const members = await seedMembers(ctx.db, 1203, 'cancel')
    const users = members.map((m) => m.user)
    const oneAtATime = createLineMessaging({
      db: ctx.db,
      clock: ctx.clock,
      config: ctx.config,
      logger: ctx.logger,
      worker: { concurrency: 1, batchSize: 1 },
    })
    const res = await createCampaign(ctx, admin, { name: 'cancel', segment: rankSegment('cancel') })
    const id = res.json.id as number
    await oneAtATime.worker.runOnce()
    expect(multicastsTo(ctx, users)).toHaveLength(1)
    const cancel = await ctx.call('POST', `/api/admin/campaigns/${id}/cancel`, { headers: admin })
    expect(cancel.status).toBe(200)
    expect(cancel.json).toMatchObject({ status: 'cancelled', sent: 500, failed: 0 })
    expect(cancel.json.finishedAt).not.toBeNull()
    await ctx.drain()
    expect(multicastsTo(ctx, users)).toHaveLength(1)
    expect(await get(id)).toMatchObject({ status: 'cancelled', sent: 500, failed: 0 })
    const [recorded] = await ctx.db.execute<{ n: number | string }>(
      sql`SELECT count(*) AS n FROM promo_sends WHERE source = ${`campaign:${id}`}`,
    )
    expect(Number(recorded?.n)).toBe(500)
    const again = await ctx.call('POST', `/api/admin/campaigns/${id}/cancel`, { headers: admin })
    expect(again.status).toBe(409)
    expect(again.json.error.code).toBe('CAMPAIGN_ALREADY_FINISHED')
  })

  it('excludes members who opted out, blocked the account, or reached the frequency cap', async () => {
    const [optedOut, blocked, ...rest] = await seedMembers(ctx.db, 5, 'excl')
    if (!optedOut || !blocked) throw new Error('no members')
    await memberPreferences.setPromotions(ctx.db, optedOut.user, false, ctx.clock.now())
    await lineFriends.follow(ctx.db, blocked.user, ctx.clock.now() - DAY)
    await lineFriends.block(ctx.db, blocked.user, ctx.clock.now())
    const restUsers = rest.map((m) => m.user)
    const send = async (name: string) => {
      const res = await createCampaign(ctx, admin, { name, segment: rankSegment('excl') })
      await ctx.drain()
      return get(res.json.id)
    }
    expect(await send('one')).toMatchObject({
      recipients: 3,
      sent: 3,
      excluded: 2,
      excludedBy: { optedOut: 1, blocked: 1, frequencyCap: 0 },
    })
    expect(await send('two')).toMatchObject({ recipients: 3, sent: 3 })
    // The default cap: 2 promotions per 7 days.
    expect(await send('three')).toMatchObject({
      status: 'sent',
      recipients: 0,
      sent: 0,
      excluded: 5,
      excludedBy: { optedOut: 1, blocked: 1, frequencyCap: 3 },
    })
    const reachedRest = multicastsTo(ctx, restUsers)
    expect(reachedRest).toHaveLength(2)
    for (const c of multicastsTo(ctx, [optedOut.user, blocked.user])) {
      expect(c).toBeUndefined()
    }
    // A week later the window has passed; a raised cap lets a third one through at once.
    const put = await ctx.call('PUT', '/api/admin/messaging-settings', {
      headers: admin,
      body: { frequencyCap: { messages: 3, days: 7 }, automationHour: 9 },
    })
    expect(put.status).toBe(200)
    expect(put.json).toEqual({ frequencyCap: { messages: 3, days: 7 }, automationHour: 9 })
    const badCap = await ctx.call('PUT', '/api/admin/messaging-settings', {
      headers: admin,
      body: { frequencyCap: { messages: 0, days: 7 }, automationHour: 9 },
    })
    expect(badCap.status).toBe(400)
    expect(badCap.json.error.message).toContain('frequencyCap.messages')
    const read = await ctx.call('GET', '/api/admin/messaging-settings', { headers: admin })
    expect(read.json).toEqual(put.json)
    expect(await send('four')).toMatchObject({ recipients: 3, excludedBy: { frequencyCap: 0 } })
    ctx.clock.advance(7 * DAY + 1)
    admin = await bearerHeaders(ctx, 'role-operator')
    await ctx.call('PUT', '/api/admin/messaging-settings', {
      headers: admin,
      body: { frequencyCap: { messages: 2, days: 7 }, automationHour: 10 },
    })
    expect(await send('five')).toMatchObject({ recipients: 3, excludedBy: { frequencyCap: 0 } })
    // Following again makes the blocked member reachable.
    await lineFriends.follow(ctx.db, blocked.user, ctx.clock.now())
    expect(await send('six')).toMatchObject({
      recipients: 4,
      excludedBy: { optedOut: 1, blocked: 0, frequencyCap: 0 },
    })
    expect(await send('seven')).toMatchObject({
      recipients: 1,
      excludedBy: { optedOut: 1, blocked: 0, frequencyCap: 3 },
    })
  })

  it('schedules a campaign, starts it once when due, and cancels a scheduled one', async () => {
    await seedMembers(ctx.db, 25, 'sched')
    const at = new Date(ctx.clock.now() + 3_600_000).toISOString()
    const res = await createCampaign(ctx, admin, {
      name: 'later',
      segment: rankSegment('sched'),
      scheduledAt: at,
    })
    expect(res.json).toMatchObject({ status: 'scheduled', recipients: 0, scheduledAt: at })
    const campaigns = createMarketing({
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
    }).campaigns
    expect(await campaigns.startDue()).toBe(0)
    ctx.clock.advance(3_600_000)
    const [a, b] = await Promise.all([campaigns.startDue(), campaigns.startDue()])
    expect((a ?? 0) + (b ?? 0)).toBe(1)
    await ctx.drain()
    expect(await get(res.json.id)).toMatchObject({ status: 'sent', recipients: 25, sent: 25 })

    const other = await createCampaign(ctx, admin, {
      name: 'never',
      segment: rankSegment('sched'),
      scheduledAt: new Date(ctx.clock.now() + DAY).toISOString(),
    })
    const cancel = await ctx.call('POST', `/api/admin/campaigns/${other.json.id}/cancel`, {
      headers: admin,
    })
    expect(cancel.json).toMatchObject({ status: 'cancelled', recipients: 0 })
    ctx.clock.advance(DAY)
    admin = await bearerHeaders(ctx, 'role-operator')
    expect(await campaigns.startDue()).toBe(0)
  })

  it('replays a repeated Idempotency-Key, validates messages, and is for operators only', async () => {
    await seedMembers(ctx.db, 2, 'idem')
    const key = randomUUID()
    const body = { name: 'once', segment: rankSegment('idem'), messages: TEXT }
    const first = await ctx.call('POST', '/api/admin/campaigns', {
      headers: { ...admin, 'Idempotency-Key': key },
      body,
    })
    const second = await ctx.call('POST', '/api/admin/campaigns', {
      headers: { ...admin, 'Idempotency-Key': key },
      body,
    })
    expect(first.status).toBe(201)
    expect(second.status).toBe(201)
    expect(second.json.id).toBe(first.json.id)
    const bad = async (messages: unknown, expected: string) => {
      const res = await createCampaign(
        ctx,
        admin,
        { name: 'bad', segment: rankSegment('idem'), messages },
        400,
      )
      expect(res.json.error.code).toBe('VALIDATION_FAILED')
      expect(res.json.error.message).toContain(expected)
    }
    await bad([], 'messages')
    await bad(Array(6).fill(TEXT[0]), 'at most 5')
    await bad([{ type: 'text', text: '' }], 'messages[0].text')
    await bad(
      [
        {
          type: 'image',
          originalContentUrl: 'http://x.example/a.png',
          previewImageUrl: 'https://x.example/a.png',
        },
      ],
      'https',
    )
    await bad([{ type: 'sticker', packageId: '1', stickerId: '1' }], 'messages[0]')
    const flex = {
      type: 'flex',
      altText: '会員証を開く',
      contents: {
        type: 'bubble',
        footer: {
          type: 'box',
          layout: 'vertical',
          contents: [
            {
              type: 'button',
              action: { type: 'uri', label: '開く', uri: 'https://liff.line.me/1-a' },
            },
          ],
        },
      },
    }
    const ok = await ctx.call('POST', '/api/admin/messages/validate', {
      headers: admin,
      body: { messages: [flex, TEXT[0]] },
    })
    expect(ok.status).toBe(200)
    expect(ok.json).toEqual({ valid: true })
    expect(ctx.callsTo('/v2/bot/message/validate/multicast').length).toBeGreaterThan(0)
    ctx.standIn.failNext('/v2/bot/message/validate', 400)
    const refused = await ctx.call('POST', '/api/admin/messages/validate', {
      headers: admin,
      body: { messages: [flex] },
    })
    expect(refused.status).toBe(400)
    expect(refused.json.error.message).toContain('LINE refused the messages: stand-in failure')
    const fresh = await roleHeaders(ctx)
    admin = fresh.operator
    for (const role of ['clerk', 'manager'] as const) {
      const res = await ctx.call('POST', '/api/admin/campaigns', {
        headers: { ...fresh[role], 'Idempotency-Key': randomUUID() },
        body,
      })
      expect(res.status).toBe(403)
    }
  })

  it('lists campaigns newest first; insight is honest below 20 people', async () => {
    await seedMembers(ctx.db, 3, 'few')
    const res = await createCampaign(ctx, admin, { name: 'few', segment: rankSegment('few') })
    await ctx.drain()
    const list = await ctx.call('GET', '/api/admin/campaigns', { headers: admin })
    expect(list.status).toBe(200)
    const ids = list.json.items.map((c: { id: number }) => c.id)
    expect(ids[0]).toBe(res.json.id)
    expect([...ids].sort((x: number, y: number) => y - x)).toEqual(ids)
    const insight = await ctx.call('GET', `/api/admin/campaigns/${res.json.id}/insight`, {
      headers: admin,
    })
    expect(insight.json).toMatchObject({ uniqueImpression: null, uniqueClick: null })
    expect(insight.json.note).toContain('20')
    expect((await ctx.call('GET', '/api/admin/campaigns/999999', { headers: admin })).status).toBe(
      404,
    )
  })

  it('test recipients get a test push that is not a promotion', async () => {
    const staffUser = ctx.newUser()
    const add = await ctx.call('POST', '/api/admin/test-recipients', {
      headers: admin,
      body: { lineUserId: staffUser, label: '店長 テスト' },
    })
    expect(add.status).toBe(201)
    const list = await ctx.call('GET', '/api/admin/test-recipients', { headers: admin })
    expect(list.json.items).toContainEqual({ lineUserId: staffUser, label: '店長 テスト' })
    const sent = await ctx.call('POST', '/api/admin/campaigns/test', {
      headers: admin,
      body: { messages: TEXT },
    })
    expect(sent.json).toEqual({ sentTo: 1 })
    await ctx.drain()
    expect(ctx.pushesTo(staffUser)).toHaveLength(1)
    const [promos] = await ctx.db.execute<{ n: number | string }>(
      sql`SELECT count(*) AS n FROM promo_sends WHERE line_user_id = ${staffUser}`,
    )
    expect(Number(promos?.n)).toBe(0)
    const del = `/api/admin/test-recipients/${staffUser}`
    expect((await ctx.call('DELETE', del, { headers: admin })).status).toBe(204)
    expect((await ctx.call('DELETE', del, { headers: admin })).status).toBe(404)
  })
})

describe('saved segments and the sample', () => {
  it('saves, lists and deletes segments; samples ≤ 10 members with masked numbers', async () => {
    const members = await seedMembers(ctx.db, 12, 'sample')
    const first = members[0]
    if (!first) throw new Error('no member')
    await memberPreferences.setPromotions(ctx.db, first.user, false, ctx.clock.now())
    const sample = await ctx.call('POST', '/api/admin/segments/sample', {
      headers: admin,
      body: { segment: rankSegment('sample') },
    })
    expect(sample.status).toBe(200)
    expect(sample.json.items).toHaveLength(10)
    expect(sample.json.items[0]).toMatchObject({
      cardId: first.cardId,
      reachable: false,
      rank: 'sample',
    })
    expect(sample.json.items[1].reachable).toBe(true)
    expect(sample.json.items[0].cardNumber).toMatch(/^\*+\d{4}$/)
    const bad = await ctx.call('POST', '/api/admin/segments/sample', {
      headers: admin,
      body: { segment: { all: [{ field: 'rank', op: '>=', value: 1 }] } },
    })
    expect(bad.status).toBe(400)
    const saved = await ctx.call('POST', '/api/admin/segments', {
      headers: admin,
      body: { name: 'ゴールド会員', segment: rankSegment('gold') },
    })
    expect(saved.status).toBe(201)
    expect(saved.json).toMatchObject({ name: 'ゴールド会員', segment: rankSegment('gold') })
    const list = await ctx.call('GET', '/api/admin/segments', { headers: admin })
    expect(list.json.items[0]).toEqual(saved.json)
    const path = `/api/admin/segments/${saved.json.id}`
    expect((await ctx.call('DELETE', path, { headers: admin })).status).toBe(204)
    const gone = await ctx.call('DELETE', path, { headers: admin })
    expect(gone.status).toBe(404)
    expect(gone.json.error.code).toBe('NOT_FOUND')
  })
})
