import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { retryKeyFor } from '../src/line/outbox.ts'
import { createMessagingContext, outboxRows, userEvent } from './messaging-support.ts'
import { addCard, linkBody, row } from './support.ts'

const ctx = await createMessagingContext()
await ctx.deploy()

/** The replies sent with `replyToken`, as the stand-in recorded them. */
function repliesFor(replyToken: string) {
  return ctx
    .callsTo('/v2/bot/message/reply')
    .filter((c) => (c.body as { replyToken: string }).replyToken === replyToken)
    .map((c) => (c.body as { messages: unknown[] }).messages)
}

async function linkedUser(points = 500) {
  const user = ctx.newUser()
  const card = await addCard(ctx.db, ctx.secrets, { points })
  const res = await ctx.call('POST', '/api/link', {
    headers: await ctx.userHeaders(user),
    body: linkBody(card.cardNumber, card.pin),
  })
  expect(res.status).toBe(201)
  await ctx.drain()
  return { user, card, balance: res.json.member.points as number }
}

describe('webhook events', () => {
  it('follow: remembers the friend and replies with a greeting that invites to link', async () => {
    const user = ctx.newUser()
    const ev = userEvent(user, 'follow', { follow: { isUnblocked: false } })
    expect((await ctx.webhook({ events: [ev] })).status).toBe(200)
    const friend = await row<{ f: number; b: number | null }>(
      ctx.db,
      sql`SELECT followed_at AS f, blocked_at AS b FROM line_friends WHERE line_user_id = ${user}`,
    )
    expect(friend?.f).toBe(ctx.clock.now())
    expect(friend?.b).toBeNull()
    await ctx.drain()
    const [messages] = repliesFor(ev.replyToken)
    const text = JSON.stringify(messages)
    expect(text).toContain('友だち追加ありがとうございます')
    expect(text).toContain(`https://liff.line.me/${'1234567890-abcdefgh'}/link`)
    // The menu fitting an unlinked user: no per-user menu.
    expect(ctx.callsTo(`/v2/bot/user/${user}/richmenu`, 'DELETE').length).toBeGreaterThanOrEqual(1)
  })

  it('unfollow: marks the user blocked, and no push goes to them afterwards', async () => {
    const { user, card } = await linkedUser()
    const ev = userEvent(user, 'unfollow')
    delete (ev as { replyToken?: string }).replyToken
    expect((await ctx.webhook({ events: [ev] })).status).toBe(200)
    const blockedAt = async () =>
      (
        await row<{ b: number | null }>(
          ctx.db,
          sql`SELECT blocked_at AS b FROM line_friends WHERE line_user_id = ${user}`,
        )
      )?.b
    expect(await blockedAt()).toBe(ctx.clock.now())
    // A points change for the blocked member queues a push that is skipped, not sent.
    const pushesBefore = ctx.pushesTo(user).length
    await ctx.db.transaction((tx) =>
      ctx.line.onLedgerChange(tx, {
        entryId: 999_001,
        cardId: card.cardId,
        lineUserId: user,
        type: 'award',
        points: 10,
        balance: 10,
        storeCode: null,
        storeName: null,
        staffId: null,
        purchaseAmount: 1000,
        voidsEntryId: null,
        at: ctx.clock.now(),
      }),
    )
    const r = await ctx.drain()
    expect(r.skipped).toBe(1)
    expect(ctx.pushesTo(user).length).toBe(pushesBefore)
    // The push is given up for good: failed with the reason, no claim left to expire.
    const pushRow = await row<{ failedAt: number | null; claimedAt: number | null; e: string }>(
      ctx.db,
      sql`SELECT failed_at AS "failedAt", claimed_at AS "claimedAt", last_error AS e
        FROM outbox WHERE retry_key = ${retryKeyFor('ledger:999001')}`,
    )
    expect(pushRow).toEqual({
      failedAt: ctx.clock.now(),
      claimedAt: null,
      e: 'skipped: the user blocked the account',
    })
    // Following again (unblocking) clears the block.
    await ctx.webhook({ events: [userEvent(user, 'follow', { follow: { isUnblocked: true } })] })
    expect(await blockedAt()).toBeNull()
  })

  it('message "ポイント" / "残高" / "points": the linked member gets the balance and a card button', async () => {
    const { user, balance } = await linkedUser(700)
    for (const text of ['ポイント', '残高', 'Points', 'ﾎﾟｲﾝﾄ']) {
      const ev = userEvent(user, 'message', { message: { type: 'text', id: '1', text } })
      await ctx.webhook({ events: [ev] })
      await ctx.drain()
      const [messages] = repliesFor(ev.replyToken)
      const json = JSON.stringify(messages)
      expect(json, text).toContain(`${balance.toLocaleString('ja-JP')} pt`)
      expect(json).toContain('/card')
    }
  })

  it('message "会員証": the card link; other text: help', async () => {
    const { user } = await linkedUser()
    const ev = userEvent(user, 'message', { message: { type: 'text', id: '1', text: '会員証' } })
    const other = userEvent(user, 'message', {
      message: { type: 'text', id: '2', text: 'こんにちは' },
    })
    await ctx.webhook({ events: [ev, other] })
    await ctx.drain()
    expect(JSON.stringify(repliesFor(ev.replyToken))).toContain(
      'https://liff.line.me/1234567890-abcdefgh/card',
    )
    expect(JSON.stringify(repliesFor(other.replyToken))).toContain('「ポイント」で残高')
  })

  it('an unlinked user asking for points gets the invitation to link, never a balance', async () => {
    const user = ctx.newUser()
    const ev = userEvent(user, 'message', { message: { type: 'text', id: '1', text: 'ポイント' } })
    const sticker = userEvent(user, 'message', { message: { type: 'sticker', id: '2' } })
    await ctx.webhook({ events: [ev, sticker] })
    await ctx.drain()
    for (const token of [ev.replyToken, sticker.replyToken]) {
      const json = JSON.stringify(repliesFor(token))
      expect(json).toContain('会員証を連携')
      expect(json).not.toContain('ポイント残高')
    }
  })

  it('postback from the rich menu: balance, news, help', async () => {
    const { user, balance } = await linkedUser(321)
    const evs = ['action=balance', 'action=news', 'action=help'].map((data) =>
      userEvent(user, 'postback', { postback: { data } }),
    )
    await ctx.webhook({ events: evs })
    await ctx.drain()
    const [b, n, h] = evs.map((e) => JSON.stringify(repliesFor(e.replyToken)))
    expect(b).toContain(`${balance} pt`)
    expect(n).toContain('お知らせ')
    expect(h).toContain('会員証')
  })

  it('accountLink with result "failed": tells the user, links nothing', async () => {
    const user = ctx.newUser()
    const ev = userEvent(user, 'accountLink', { link: { result: 'failed' } })
    await ctx.webhook({ events: [ev] })
    await ctx.drain()
    expect(JSON.stringify(repliesFor(ev.replyToken))).toContain('連携が完了しませんでした')
    const me = await ctx.call('GET', '/api/me', { headers: await ctx.userHeaders(user) })
    expect(me.json).toEqual({ linked: false })
  })

  it('ignores standby-mode events, group sources and unknown types (but answers 200)', async () => {
    const user = ctx.newUser()
    const rowsBefore = (await outboxRows(ctx)).length
    const events = [
      userEvent(user, 'message', {
        mode: 'standby',
        message: { type: 'text', id: '1', text: 'ポイント' },
      }),
      {
        ...userEvent(user, 'message', { message: { type: 'text', id: '2', text: 'ポイント' } }),
        source: { type: 'group', groupId: 'C1', userId: user },
      },
      userEvent(user, 'videoPlayComplete', { videoPlayComplete: { trackingId: 't' } }),
      { type: 'somethingNew', webhookEventId: 'x-1' },
    ]
    const res = await ctx.webhook({ events })
    expect(res.status).toBe(200)
    expect((await outboxRows(ctx)).length).toBe(rowsBefore)
  })

  it('a redelivered event (same webhookEventId) does nothing twice', async () => {
    const user = ctx.newUser()
    const ev = userEvent(user, 'follow', { follow: { isUnblocked: false } })
    await ctx.webhook({ events: [ev] })
    const rows = (await outboxRows(ctx)).length
    const redelivered = { ...ev, deliveryContext: { isRedelivery: true } }
    const res = await ctx.webhook({ events: [redelivered] })
    expect(res.status).toBe(200)
    expect((await outboxRows(ctx)).length).toBe(rows)
    await ctx.drain()
    expect(repliesFor(ev.replyToken)).toHaveLength(1)
  })

  it('answers without waiting for LINE: the reply is queued, sent by the worker', async () => {
    const user = ctx.newUser()
    ctx.standIn.failNext('/v2/bot/message/reply', 500, 1)
    const ev = userEvent(user, 'follow', { follow: { isUnblocked: false } })
    const res = await ctx.webhook({ events: [ev] })
    expect(res.status).toBe(200)
    expect(repliesFor(ev.replyToken)).toHaveLength(0)
    const first = await ctx.drain()
    expect(first.retried).toBeGreaterThanOrEqual(1)
    ctx.clock.advance(5_000)
    await ctx.drain()
    expect(repliesFor(ev.replyToken)).toHaveLength(1)
  })
})

describe("the member's language", () => {
  it('is read from the LINE profile on follow; messages go out in English for en', async () => {
    const user = ctx.newUser()
    ctx.standIn.profileLanguages.set(user, 'en')
    const follow = userEvent(user, 'follow', { follow: { isUnblocked: false } })
    await ctx.webhook({ events: [follow] })
    await ctx.drain()
    expect(ctx.callsTo(`/v2/bot/profile/${user}`, 'GET')).toHaveLength(1)
    const friend = await row<{ language: string }>(
      ctx.db,
      sql`SELECT language FROM line_friends WHERE line_user_id = ${user}`,
    )
    expect(friend?.language).toBe('en')
    const ask = userEvent(user, 'message', { message: { type: 'text', id: '1', text: 'points' } })
    await ctx.webhook({ events: [ask] })
    await ctx.drain()
    const reply = JSON.stringify(repliesFor(ask.replyToken))
    expect(reply).toContain('Link my card')
    expect(reply).not.toContain('会員証を連携')
  })
})
