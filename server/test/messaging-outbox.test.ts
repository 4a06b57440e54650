import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createStaffService } from '../src/services/staff.ts'
import { createMessagingContext, outboxRows, userEvent } from './messaging-support.ts'
import { addCard, linkBody } from './support.ts'

const ctx = await createMessagingContext()

async function linkedMember(points = 0) {
  const user = ctx.newUser()
  const card = await addCard(ctx.db, ctx.secrets, { points })
  const headers = await ctx.userHeaders(user)
  const res = await ctx.call('POST', '/api/link', {
    headers,
    body: linkBody(card.cardNumber, card.pin),
  })
  expect(res.status).toBe(201)
  return { user, card, headers }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('pushes through the outbox', () => {
  it('on link: a Flex push with the bonus and balance, carrying X-Line-Retry-Key', async () => {
    const { user } = await linkedMember(300)
    const rows = (await outboxRows(ctx)).filter((r) => r.userId === user)
    expect(rows.map((r) => r.kind).sort()).toEqual(['push', 'richmenu_sync'])
    await ctx.drain()
    const [push] = ctx.pushesTo(user)
    expect(push?.headers['x-line-retry-key']).toMatch(UUID)
    expect(push?.headers['x-line-retry-key']).toBe(rows.find((r) => r.kind === 'push')?.retryKey)
    const body = JSON.stringify(push?.body)
    expect(body).toContain('"type":"flex"')
    expect(body).toContain('連携が完了しました')
    expect(body).toContain('+200 pt')
    expect(body).toContain('500 pt')
    expect(body).toContain('https://liff.line.me/1234567890-abcdefgh/card')
  })

  it('writes nothing when the change is refused (same transaction)', async () => {
    const { card } = await linkedMember()
    const before = (await outboxRows(ctx)).length
    const other = ctx.newUser()
    const res = await ctx.call('POST', '/api/link', {
      headers: await ctx.userHeaders(other),
      body: linkBody(card.cardNumber, card.pin),
    })
    expect(res.status).toBe(409)
    const unlink = await ctx.call('DELETE', '/api/link', { headers: await ctx.userHeaders(other) })
    expect(unlink.status).toBe(404)
    expect((await outboxRows(ctx)).length).toBe(before)
  })

  it('a transient error is retried with backoff and the same retry key: one push in the end', async () => {
    await ctx.drain()
    const { user } = await linkedMember()
    ctx.standIn.failNext('/v2/bot/message/push', 500, 2)
    const r1 = await ctx.drain()
    expect(r1.retried).toBe(1)
    const row = async () =>
      (await outboxRows(ctx)).find((r) => r.kind === 'push' && r.userId === user)
    const first = await row()
    expect(first?.attempts).toBe(1)
    // 2 s × 2^0 with the test's jitter of 1.0.
    expect(first?.nextAttemptAt).toBe(ctx.clock.now() + 2_000)
    ctx.clock.advance(2_000)
    expect((await ctx.drain()).retried).toBe(1)
    expect((await row())?.nextAttemptAt).toBe(ctx.clock.now() + 4_000)
    ctx.clock.advance(4_000)
    expect((await ctx.drain()).sent).toBe(1)
    expect(ctx.pushesTo(user)).toHaveLength(1)
    expect((await row())?.sentAt).toBe(ctx.clock.now())
  })

  it('LINE answering 409 for the retry key (accepted before) counts as sent, not resent', async () => {
    await ctx.drain()
    const { user } = await linkedMember()
    const row = (await outboxRows(ctx)).find((r) => r.kind === 'push' && r.userId === user)
    // As if an earlier attempt reached LINE but its answer was lost.
    await ctx.line.client
      .api()
      .pushMessage({ to: user, messages: [{ type: 'text', text: 'x' }] }, row?.retryKey)
    const r = await ctx.drain()
    expect(r.sent).toBeGreaterThanOrEqual(1)
    expect(ctx.pushesTo(user)).toHaveLength(1)
    expect(
      ctx.standIn.rejected.filter((c) => c.headers['x-line-retry-key'] === row?.retryKey),
    ).toHaveLength(1)
    const after = (await outboxRows(ctx)).find((x) => x.id === row?.id)
    expect(after?.sentAt).not.toBeNull()
    expect(after?.lastError).toContain('409')
  })

  it('keeps the order of one user’s pushes when an earlier one is being retried', async () => {
    await ctx.drain()
    const { user, card } = await linkedMember(100)
    ctx.standIn.failNext('/v2/bot/message/push', 500, 1)
    await ctx.db.transaction((tx) =>
      ctx.line.onLedgerChange(tx, {
        entryId: 777_001,
        cardId: card.cardId,
        lineUserId: user,
        type: 'award',
        points: 5,
        balance: 305,
        storeCode: null,
        storeName: 'テスト店',
        staffId: null,
        purchaseAmount: 500,
        voidsEntryId: null,
        at: ctx.clock.now(),
      }),
    )
    const r = await ctx.drain()
    expect(r.retried).toBe(1)
    expect(ctx.pushesTo(user)).toHaveLength(0)
    ctx.clock.advance(2_000)
    await ctx.drain()
    const texts = ctx.pushesTo(user).map((p) => JSON.stringify(p.body))
    expect(texts).toHaveLength(2)
    expect(texts[0]).toContain('連携が完了しました')
    expect(texts[1]).toContain('ポイントが付きました')
  })

  it('gives a push up after its attempts, logging it', async () => {
    await ctx.drain()
    const { user } = await linkedMember()
    ctx.standIn.failNext(`/v2/bot/message/push`, 503, 20)
    for (let i = 0; i < 25; i++) {
      await ctx.drain()
      ctx.clock.advance(60 * 60_000)
    }
    const row = (await outboxRows(ctx)).find((r) => r.kind === 'push' && r.userId === user)
    expect(row?.attempts).toBe(20)
    expect(row?.failedAt).not.toBeNull()
    expect(ctx.pushesTo(user)).toHaveLength(0)
    expect(
      ctx.logger.lines.some((l) => l.includes('failed for good') && l.includes('"kind":"push"')),
    ).toBe(true)
  })
})

describe('points at the till push the member', async () => {
  const staff = createStaffService({ db: ctx.db, clock: ctx.clock })
  await staff.upsert({
    staffId: 'clerk-1',
    storeCode: 'S001',
    storeName: '渋谷店',
    role: 'clerk',
    password: 'clerk-pass-1',
  })

  it('award and redeem each push once: store, points, new balance; a replay pushes nothing more', async () => {
    // Drain leftovers of the previous block (its forced failures may still be queued).
    ctx.clock.advance(24 * 60 * 60_000)
    await ctx.drain()
    const login = await ctx.call('POST', '/api/staff/login', {
      headers: { 'Content-Type': 'application/json' },
      body: { staffId: 'clerk-1', password: 'clerk-pass-1' },
    })
    expect(login.status).toBe(200)
    const staffHeaders = {
      Authorization: `Bearer ${login.json.token}`,
      'Content-Type': 'application/json',
    }
    const { user, headers } = await linkedMember(1000)
    await ctx.drain()
    const qr = await ctx.call('GET', '/api/card/qr', { headers })
    expect(qr.status).toBe(200)
    const award = await ctx.call('POST', '/api/staff/points', {
      headers: { ...staffHeaders, 'Idempotency-Key': 'till-award-0001' },
      body: { qrToken: qr.json.token, type: 'award', purchaseAmount: 5000 },
    })
    expect(award.status).toBe(200)
    const replay = await ctx.call('POST', '/api/staff/points', {
      headers: { ...staffHeaders, 'Idempotency-Key': 'till-award-0001' },
      body: { qrToken: qr.json.token, type: 'award', purchaseAmount: 5000 },
    })
    expect(replay.json).toEqual(award.json)
    const redeem = await ctx.call('POST', '/api/staff/points', {
      headers: { ...staffHeaders, 'Idempotency-Key': 'till-redeem-0001' },
      body: { qrToken: qr.json.token, type: 'redeem', points: 100 },
    })
    expect(redeem.status).toBe(200)
    // A fresh code: the first was spent by its redemption (docs/decisions/002).
    const fresh = await ctx.call('GET', '/api/card/qr', { headers })
    const tooMuch = await ctx.call('POST', '/api/staff/points', {
      headers: { ...staffHeaders, 'Idempotency-Key': 'till-redeem-0002' },
      body: { qrToken: fresh.json.token, type: 'redeem', points: 999_999 },
    })
    expect(tooMuch.status).toBe(422)
    await ctx.drain()
    const pushes = ctx.pushesTo(user).map((p) => JSON.stringify(p.body))
    expect(pushes).toHaveLength(3) // link, award, redeem: nothing for the replay or the refusal
    expect(pushes[1]).toContain('ポイントが付きました')
    expect(pushes[1]).toContain('渋谷店')
    expect(pushes[1]).toContain(`+${award.json.points} pt`)
    expect(pushes[1]).toContain(`${award.json.balance.toLocaleString('ja-JP')} pt`)
    expect(pushes[2]).toContain('ポイントを利用しました')
    expect(pushes[2]).toContain('-100 pt')
    expect(pushes[2]).toContain(`${redeem.json.balance.toLocaleString('ja-JP')} pt`)
  })

  it("words the award's push in the member's LINE language (English for en, else Japanese)", async () => {
    await ctx.drain()
    const login = await ctx.call('POST', '/api/staff/login', {
      headers: { 'Content-Type': 'application/json' },
      body: { staffId: 'clerk-1', password: 'clerk-pass-1' },
    })
    const staffHeaders = {
      Authorization: `Bearer ${login.json.token}`,
      'Content-Type': 'application/json',
    }
    const english = await linkedMember(0)
    const japanese = await linkedMember(0)
    // LINE reports the language with the profile read on follow.
    ctx.standIn.profileLanguages.set(english.user, 'en')
    await ctx.webhook({
      events: [userEvent(english.user, 'follow', { follow: { isUnblocked: false } })],
    })
    await ctx.drain()
    for (const [i, m] of [english, japanese].entries()) {
      const qr = await ctx.call('GET', '/api/card/qr', { headers: m.headers })
      const award = await ctx.call('POST', '/api/staff/points', {
        headers: { ...staffHeaders, 'Idempotency-Key': `till-lang-${i}` },
        body: { qrToken: qr.json.token, type: 'award', purchaseAmount: 2000 },
      })
      expect(award.status).toBe(200)
    }
    await ctx.drain()
    const last = (user: string) => JSON.stringify(ctx.pushesTo(user).at(-1)?.body)
    expect(last(english.user)).toContain('Points earned')
    expect(last(english.user)).toContain('渋谷店')
    expect(last(english.user)).not.toContain('ポイントが付きました')
    expect(last(japanese.user)).toContain('ポイントが付きました')
    expect(last(japanese.user)).not.toContain('Points earned')
  })
})

describe('pre-expiry notices', () => {
  it('queues one notice per expiry batch for a linked card nearing expiry', async () => {
    await ctx.drain()
    const { user, card } = await linkedMember(400)
    await ctx.drain()
    const DAY = 86_400_000
    // Last activity 355 days ago: with 365-day expiry it expires in 10 days.
    const last = ctx.clock.now() - 355 * DAY
    await ctx.db.execute(
      sql`UPDATE point_cards SET last_activity_at = ${last} WHERE id = ${card.cardId}`,
    )
    const first = await ctx.line.queuePreExpiryNotices(ctx.clock.now(), 365)
    const again = await ctx.line.queuePreExpiryNotices(ctx.clock.now() + 60 * 60_000, 365)
    expect(first).toBeGreaterThanOrEqual(1)
    expect(again).toBe(0)
    await ctx.drain()
    const notices = ctx
      .pushesTo(user)
      .filter((p) => JSON.stringify(p.body).includes('有効期限が近づいています'))
    expect(notices).toHaveLength(1)
    expect(JSON.stringify(notices[0]?.body)).toContain('600 pt')
    // A later batch (new activity, later expiry) gets its own notice.
    await ctx.db.execute(
      sql`UPDATE point_cards SET last_activity_at = ${last + DAY} WHERE id = ${card.cardId}`,
    )
    expect(await ctx.line.queuePreExpiryNotices(ctx.clock.now(), 365)).toBeGreaterThanOrEqual(1)
  })
})

describe('monthly message count and the no-token mode', () => {
  it('counts pushes per month (JST) and logs the running count', async () => {
    const rows = await ctx.db.execute<{ month: string; count: number }>(
      sql`SELECT month, count FROM message_counts`,
    )
    const sent = ctx.standIn.calls.filter((c) => c.path === '/v2/bot/message/push').length
    expect(rows.reduce((a, r) => a + r.count, 0)).toBe(sent - 1) // minus the one the test sent itself
    expect(rows[0]?.month).toMatch(/^\d{4}-\d{2}$/)
    expect(ctx.logger.lines.some((l) => l.includes('"messagesThisMonth"'))).toBe(true)
  })

  it('with no access token, calls are skipped and logged, and linking still works', async () => {
    const bare = await createMessagingContext({ env: { LINE_MESSAGING_ACCESS_TOKEN: '' } })
    const user = bare.newUser()
    const card = await addCard(bare.db, bare.secrets)
    const res = await bare.call('POST', '/api/link', {
      headers: await bare.userHeaders(user),
      body: linkBody(card.cardNumber, card.pin),
    })
    expect(res.status).toBe(201)
    const r = await bare.drain()
    expect(r.skipped).toBe(2)
    expect(bare.standIn.calls).toHaveLength(0)
    // Both rows are given up for good: failed with the reason, no claim left to expire.
    const rows = await outboxRows(bare)
    expect(rows).toHaveLength(2)
    for (const row of rows) {
      expect(row).toMatchObject({
        failedAt: bare.clock.now(),
        sentAt: null,
        claimedAt: null,
        lastError: 'skipped: no LINE_MESSAGING_ACCESS_TOKEN',
      })
    }
    expect(bare.logger.lines.some((l) => l.includes('skipped: no channel access token'))).toBe(true)
    expect(bare.logger.lines.join('\n')).not.toContain(card.cardNumber)
  })
})

describe('housekeeping', () => {
  it('purges sent outbox rows and webhook event IDs older than 30 days, keeps pending ones', async () => {
    await ctx.drain()
    const pendingUser = ctx.newUser()
    await ctx.db.transaction((tx) =>
      ctx.line.outbox.enqueue(
        tx,
        'push',
        { to: pendingUser, messages: [] },
        { userId: pendingUser },
      ),
    )
    const sentBefore = (await outboxRows(ctx)).filter((r) => r.sentAt !== null).length
    expect(sentBefore).toBeGreaterThan(0)
    const r = await ctx.line.worker.purge(ctx.clock.now() + 31 * 86_400_000)
    expect(r.outbox).toBeGreaterThanOrEqual(sentBefore)
    const left = await outboxRows(ctx)
    expect(left.every((x) => x.sentAt === null && x.failedAt === null)).toBe(true)
    expect(left.some((x) => x.userId === pendingUser)).toBe(true)
  })
})

describe('a new digital card issued in the app', () => {
  it('pushes the completion and switches the rich menu like any link; a repeat queues nothing', async () => {
    await ctx.drain()
    const user = ctx.newUser()
    const headers = { ...(await ctx.userHeaders(user)), 'Idempotency-Key': 'issue-card-0001' }
    const body = {
      name: '新規 会員',
      consent: { version: ctx.config.consentVersion, accepted: true },
    }
    const res = await ctx.call('POST', '/api/cards', { headers, body })
    expect(res.status).toBe(201)
    const rows = (await outboxRows(ctx)).filter((r) => r.userId === user).length
    expect((await ctx.call('POST', '/api/cards', { headers, body })).status).toBe(201)
    expect((await outboxRows(ctx)).filter((r) => r.userId === user).length).toBe(rows)
    await ctx.drain()
    const pushes = ctx.pushesTo(user)
    expect(pushes).toHaveLength(1)
    expect(JSON.stringify(pushes[0]?.body)).toContain('連携が完了しました')
  })
})
