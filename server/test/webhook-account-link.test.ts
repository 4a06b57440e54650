import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import {
  createMessagingContext,
  type MessagingContext,
  sign,
  userEvent,
} from './messaging-support.ts'
import { addCard, row } from './support.ts'

const ctx = await createMessagingContext()
const { richMenuIds } = await (async () => {
  const r = await ctx.deploy()
  return { richMenuIds: { member: r.menus.member.richMenuId } }
})()

/** The user asks to link in the chat; returns the sign-in URL LINE delivered in the reply. */
async function startInChat(c: MessagingContext, user: string) {
  const ev = userEvent(user, 'message', { message: { type: 'text', id: '1', text: '連携' } })
  expect((await c.webhook({ events: [ev] })).status).toBe(200)
  await c.drain()
  expect(c.callsTo(`/v2/bot/user/${user}/linkToken`, 'POST')).toHaveLength(1)
  const reply = c
    .callsTo('/v2/bot/message/reply')
    .find((r) => (r.body as { replyToken: string }).replyToken === ev.replyToken)
  const uri = /"uri":"([^"]+\/account-link\?linkToken=[^"]+)"/.exec(
    JSON.stringify(reply?.body),
  )?.[1]
  expect(uri).toBeDefined()
  const url = new URL(uri as string)
  return {
    path: `${url.pathname}${url.search}`,
    linkToken: url.searchParams.get('linkToken') ?? '',
  }
}

async function submit(
  c: MessagingContext,
  linkToken: string,
  f: { cardNumber: string; pin: string; consent?: boolean },
) {
  const form = new URLSearchParams({ linkToken, cardNumber: f.cardNumber, pin: f.pin })
  if (f.consent !== false) form.set('consent', 'yes')
  const res = await c.app.request('/account-link', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

function linkEvent(user: string, nonce: string, result = 'ok') {
  return userEvent(user, 'accountLink', { link: { result, nonce } })
}

function bonusRows(cardId: number) {
  return ctx.db.execute<{ points: number }>(
    sql`SELECT points FROM ledger WHERE card_id = ${cardId} AND type = 'bonus'`,
  )
}

describe('the Messaging API account-link flow', () => {
  it('links end to end: link token, sign-in page, nonce, accountLink event; same as LIFF', async () => {
    const user = ctx.newUser()
    const card = await addCard(ctx.db, ctx.secrets, { points: 1000, pin: '4321' })
    const { path, linkToken } = await startInChat(ctx, user)

    const page = await ctx.app.request(path)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('<html lang="ja">')
    expect(html).toMatch(/<label for="cardNumber">カード番号/)
    expect(html).toMatch(/<label for="pin">PIN/)
    expect(html).toContain('id="consent"')
    expect(page.headers.get('Content-Security-Policy')).toContain("default-src 'none'")

    const wrong = await submit(ctx, linkToken, { cardNumber: card.cardNumber, pin: '0000' })
    expect(wrong.status).toBe(422)
    expect(wrong.text).toContain('カード番号または PIN が違います')
    expect(wrong.text).toContain('role="alert"')
    const noConsent = await submit(ctx, linkToken, { ...card, consent: false })
    expect(noConsent.status).toBe(403)

    const ok = await submit(ctx, linkToken, card)
    expect(ok.status).toBe(303)
    const location = new URL(ok.headers.get('Location') ?? '')
    expect(`${location.origin}${location.pathname}`).toBe(
      'https://access.line.me/dialog/bot/accountLink',
    )
    expect(location.searchParams.get('linkToken')).toBe(linkToken)
    const nonce = location.searchParams.get('nonce') ?? ''
    // ≥ 128 random bits: 32 bytes in base64url.
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)
    // Nothing is linked before LINE's event.
    const before = await ctx.call('GET', '/api/me', { headers: await ctx.userHeaders(user) })
    expect(before.json).toEqual({ linked: false })

    await ctx.webhook({ events: [linkEvent(user, nonce)] })
    const me = await ctx.call('GET', '/api/me', { headers: await ctx.userHeaders(user) })
    expect(me.json.linked).toBe(true)
    expect(me.json.member.points).toBe(1200)
    expect(me.json.member.cardNumber).toBe(`************${card.cardNumber.slice(-4)}`)
    const link = await row<{ method: string }>(
      ctx.db,
      sql`SELECT method FROM line_links WHERE line_user_id = ${user} AND unlinked_at IS NULL`,
    )
    expect(link?.method).toBe('account_link')
    const consent = await ctx.db.execute(
      sql`SELECT purpose, version FROM consents WHERE line_user_id = ${user}`,
    )
    expect(consent).toEqual([{ purpose: 'link', version: ctx.config.consentVersion }])
    expect(await bonusRows(card.cardId)).toEqual([{ points: 200 }])

    await ctx.drain()
    const pushes = ctx.pushesTo(user)
    expect(pushes).toHaveLength(1)
    expect(JSON.stringify(pushes[0]?.body)).toContain('連携が完了しました')
    expect(pushes[0]?.headers['x-line-retry-key']).toMatch(/^[0-9a-f-]{36}$/)
    expect(ctx.callsTo(`/v2/bot/user/${user}/richmenu/${richMenuIds.member}`, 'POST')).toHaveLength(
      1,
    )
    expect(ctx.standIn.userRichMenus.get(user)).toBe(richMenuIds.member)

    // The nonce is single use: another event with it links nothing and says so.
    const reuse = linkEvent(user, nonce)
    await ctx.webhook({ events: [reuse] })
    await ctx.drain()
    const reply = ctx
      .callsTo('/v2/bot/message/reply')
      .find((r) => (r.body as { replyToken: string }).replyToken === reuse.replyToken)
    expect(JSON.stringify(reply?.body)).toContain('使用済み')
    expect(await bonusRows(card.cardId)).toHaveLength(1)
  })

  it('a reused nonce cannot link a second LINE user to the card', async () => {
    const owner = ctx.newUser()
    const thief = ctx.newUser()
    const card = await addCard(ctx.db, ctx.secrets)
    const { linkToken } = await startInChat(ctx, owner)
    const ok = await submit(ctx, linkToken, card)
    const nonce = new URL(ok.headers.get('Location') ?? '').searchParams.get('nonce') ?? ''
    // The event for another user (a nonce is bound to the user the link token was for).
    await ctx.webhook({ events: [linkEvent(thief, nonce)] })
    const me = await ctx.call('GET', '/api/me', { headers: await ctx.userHeaders(thief) })
    expect(me.json).toEqual({ linked: false })
  })

  it('an expired nonce links nothing; an expired link token shows the expired page', async () => {
    const user = ctx.newUser()
    const card = await addCard(ctx.db, ctx.secrets)
    const { path, linkToken } = await startInChat(ctx, user)
    const ok = await submit(ctx, linkToken, card)
    const nonce = new URL(ok.headers.get('Location') ?? '').searchParams.get('nonce') ?? ''
    ctx.clock.advance(10 * 60_000 + 1)
    const ev = linkEvent(user, nonce)
    await ctx.webhook({ events: [ev] })
    await ctx.drain()
    const me = await ctx.call('GET', '/api/me', { headers: await ctx.userHeaders(user) })
    expect(me.json).toEqual({ linked: false })
    const reply = ctx
      .callsTo('/v2/bot/message/reply')
      .find((r) => (r.body as { replyToken: string }).replyToken === ev.replyToken)
    expect(JSON.stringify(reply?.body)).toContain('有効期限')
    const page = await ctx.app.request(path)
    expect(page.status).toBe(410)
    expect(await page.text()).toContain('有効期限が切れました')
    const late = await submit(ctx, linkToken, card)
    expect(late.status).toBe(410)
  })

  it('an unknown nonce and an unknown link token are refused', async () => {
    const user = ctx.newUser()
    await ctx.webhook({ events: [linkEvent(user, 'x'.repeat(43))] })
    const me = await ctx.call('GET', '/api/me', { headers: await ctx.userHeaders(user) })
    expect(me.json).toEqual({ linked: false })
    expect((await ctx.app.request('/account-link?linkToken=deadbeefdeadbeef')).status).toBe(410)
    expect((await ctx.app.request('/account-link')).status).toBe(410)
  })

  it('has the same rate limits as the LIFF link (5 failures, then 429 with Retry-After)', async () => {
    const user = ctx.newUser()
    const card = await addCard(ctx.db, ctx.secrets)
    const { linkToken } = await startInChat(ctx, user)
    for (let i = 0; i < 5; i++) {
      expect(
        (await submit(ctx, linkToken, { cardNumber: card.cardNumber, pin: '9999' })).status,
      ).toBe(422)
    }
    const limited = await submit(ctx, linkToken, card)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(limited.text).toContain('試行回数が多すぎます')
    // The LIFF path sees the same counter for this user.
    const liff = await ctx.call('POST', '/api/link', {
      headers: await ctx.userHeaders(user),
      body: {
        cardNumber: card.cardNumber,
        pin: card.pin,
        consent: { version: ctx.config.consentVersion, accepted: true },
      },
    })
    expect(liff.status).toBe(429)
  })

  it('a card number with a bad check digit is a 400 on the page, not an attempt', async () => {
    const user = ctx.newUser()
    const { linkToken } = await startInChat(ctx, user)
    const bad = await submit(ctx, linkToken, { cardNumber: '4900000000000012', pin: '1234' })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('カード番号が正しくありません')
    const attempts = await row<{ n: number }>(
      ctx.db,
      sql`SELECT count(*) AS n FROM link_attempts WHERE line_user_id = ${user}`,
    )
    expect(Number(attempts?.n)).toBe(0)
  })

  it('no second bonus after an unlink and a relink through the account-link flow', async () => {
    const user = ctx.newUser()
    const card = await addCard(ctx.db, ctx.secrets)
    const headers = await ctx.userHeaders(user)
    const first = await ctx.call('POST', '/api/link', {
      headers,
      body: {
        cardNumber: card.cardNumber,
        pin: card.pin,
        consent: { version: ctx.config.consentVersion, accepted: true },
      },
    })
    expect(first.json.bonusPoints).toBe(200)
    expect((await ctx.call('DELETE', '/api/link', { headers })).status).toBe(204)
    const { linkToken } = await startInChat(ctx, user)
    const ok = await submit(ctx, linkToken, card)
    const nonce = new URL(ok.headers.get('Location') ?? '').searchParams.get('nonce') ?? ''
    await ctx.webhook({ events: [linkEvent(user, nonce)] })
    const me = await ctx.call('GET', '/api/me', { headers })
    expect(me.json.linked).toBe(true)
    expect(await bonusRows(card.cardId)).toEqual([{ points: 200 }])
  })

  it('asking to link when already linked does not issue a link token', async () => {
    const user = ctx.newUser()
    const card = await addCard(ctx.db, ctx.secrets)
    await ctx.call('POST', '/api/link', {
      headers: await ctx.userHeaders(user),
      body: {
        cardNumber: card.cardNumber,
        pin: card.pin,
        consent: { version: ctx.config.consentVersion, accepted: true },
      },
    })
    const ev = userEvent(user, 'postback', { postback: { data: 'action=account-link' } })
    await ctx.webhook({ events: [ev] })
    await ctx.drain()
    expect(ctx.callsTo(`/v2/bot/user/${user}/linkToken`)).toHaveLength(0)
  })
})

describe('the sign-in link in the chat', () => {
  it('points at PUBLIC_URL, whatever Host the webhook request carried', async () => {
    const c = await createMessagingContext({ env: { PUBLIC_URL: 'https://members.example.jp' } })
    const user = c.newUser()
    const ev = userEvent(user, 'message', { message: { type: 'text', id: '1', text: '連携' } })
    const raw = JSON.stringify({ events: [ev] })
    const res = await c.app.request('https://evil.example/webhook/line', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Host: 'evil.example',
        'X-Line-Signature': sign(raw),
      },
      body: raw,
    })
    expect(res.status).toBe(200)
    await c.drain()
    const reply = c
      .callsTo('/v2/bot/message/reply')
      .find((r) => (r.body as { replyToken: string }).replyToken === ev.replyToken)
    const uri = /"uri":"([^"]+\/account-link\?linkToken=[^"]+)"/.exec(
      JSON.stringify(reply?.body),
    )?.[1]
    expect(uri).toMatch(/^https:\/\/members\.example\.jp\/account-link\?linkToken=/)
  })
})
