import { createHash } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import { STAND_IN_CHANNEL_SECRET } from '../src/line/stand-in.ts'
import { STAND_IN_LOGIN_USERS } from '../src/line/stand-in-login.ts'
import { WEB_LOGIN_STARTS_PER_MINUTE } from '../src/services/web-login.ts'
import { WEB_SESSION_ABSOLUTE_MS, WEB_SESSION_IDLE_MS } from '../src/services/web-sessions.ts'
import { addCard, createTestContext, linkBody, type TestContext } from './support.ts'

/** A context configured for LINE Login on the web against the stand-in. */
function webContext(env: Record<string, string> = {}) {
  return createTestContext({ env: { LINE_LOGIN_CHANNEL_SECRET: STAND_IN_CHANNEL_SECRET, ...env } })
}

const ctx = await webContext()
const ORIGIN = ctx.config.publicUrl

/** One cookie of a `Set-Cookie` list: its value and attributes (lower-cased names). */
function cookieOf(res: Response, name: string) {
  const line = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`))
  if (!line) return undefined
  const [pair = '', ...attrs] = line.split(';').map((s) => s.trim())
  const attributes = new Map<string, string>()
  for (const a of attrs) {
    const eq = a.indexOf('=')
    attributes.set((eq === -1 ? a : a.slice(0, eq)).toLowerCase(), eq === -1 ? '' : a.slice(eq + 1))
  }
  return { value: pair.slice(name.length + 1), attributes, line }
}

/** `GET /login/line?next=`: the redirect to LINE and the binding cookie. */
async function startLogin(c: TestContext, next?: string, cookie?: string) {
  const path = next === undefined ? '/login/line' : `/login/line?next=${encodeURIComponent(next)}`
  const res = await c.app.request(path, { headers: cookie ? { Cookie: cookie } : {} })
  expect(res.status).toBe(302)
  const authorize = new URL(res.headers.get('Location') ?? '')
  const binding = cookieOf(
    res,
    c.config.publicUrl.startsWith('https:') ? '__Host-mc_login' : 'mc_login',
  )
  return { res, authorize, binding }
}

/** The stand-in's consent page answered: the callback URL LINE sends the browser to. */
async function decide(
  c: TestContext,
  authorize: URL,
  o: { allow?: boolean; user?: string } = {},
): Promise<URL> {
  const form = new URLSearchParams(authorize.searchParams)
  form.set('user', o.user ?? 'new')
  form.set('decision', o.allow === false ? 'cancel' : 'allow')
  const res = await fetch(`${c.lineBase}/oauth2/v2.1/authorize`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form,
    redirect: 'manual',
  })
  expect(res.status).toBe(302)
  return new URL(res.headers.get('Location') ?? '')
}

/** The browser arriving at the callback with `cookie`. */
async function callback(c: TestContext, url: URL, cookie?: string) {
  const res = await c.app.request(`${url.pathname}${url.search}`, {
    headers: cookie ? { Cookie: cookie } : {},
  })
  return { res, text: await res.text() }
}

/** The whole sign-in: returns the session's Cookie header and where it went. */
async function signIn(c: TestContext, next = '/card', user?: string) {
  const { authorize, binding } = await startLogin(c, next)
  const back = await decide(c, authorize, { user })
  const { res } = await callback(c, back, `mc_login=${binding?.value}`)
  expect(res.status).toBe(302)
  const session = cookieOf(res, 'mc_session')
  expect(session).toBeDefined()
  return { cookie: `mc_session=${session?.value}`, location: res.headers.get('Location'), res }
}

function withCookie(cookie: string, extra: Record<string, string> = {}) {
  return { Cookie: cookie, ...extra }
}

async function sessionCount(c: TestContext) {
  const [row] = await c.db.execute<{ n: number }>(
    sql`SELECT CAST(count(*) AS BIGINT) AS n FROM web_sessions`,
  )
  return Number(row?.n)
}

describe('GET /login/line', () => {
  it('redirects to LINE Login with code flow, PKCE S256, state, nonce, openid profile and bot_prompt', async () => {
    const { authorize, binding } = await startLogin(ctx, '/history')
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${ctx.lineBase}/oauth2/v2.1/authorize`)
    const q = authorize.searchParams
    expect(q.get('response_type')).toBe('code')
    expect(q.get('client_id')).toBe(ctx.config.line.loginChannelId)
    expect(q.get('redirect_uri')).toBe(`${ORIGIN}/login/line/callback`)
    expect(q.get('scope')?.split(' ').sort()).toEqual(['openid', 'profile'])
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{32,}$/)
    expect(q.get('nonce')).toMatch(/^[A-Za-z0-9_-]{32,}$/)
    expect(q.get('code_challenge_method')).toBe('S256')
    expect(q.get('bot_prompt')).toBe('aggressive')
    // The challenge is S256 of the verifier kept on the server (never sent to the browser).
    const stateHash = createHash('sha256')
      .update(q.get('state') ?? '')
      .digest('hex')
    const [row] = await ctx.db.execute<{ v: string; n: string; p: string }>(
      sql`SELECT code_verifier AS v, nonce AS n, next_path AS p FROM web_login_states
        WHERE state_hash = ${stateHash}`,
    )
    expect(row?.p).toBe('/history')
    expect(row?.n).toBe(q.get('nonce'))
    expect(q.get('code_challenge')).toBe(
      createHash('sha256')
        .update(row?.v ?? '')
        .digest('base64url'),
    )
    expect(authorize.toString()).not.toContain(row?.v ?? 'none')
    // The binding cookie: HttpOnly, SameSite=Lax, short-lived; not Secure over plain http.
    expect(binding?.value).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(binding?.attributes.has('httponly')).toBe(true)
    expect(binding?.attributes.get('samesite')).toBe('Lax')
    expect(binding?.attributes.get('path')).toBe('/')
    expect(binding?.attributes.get('max-age')).toBe('600')
    expect(binding?.attributes.has('secure')).toBe(false)
  })

  it('keeps the browser binding across sign-ins started in several tabs', async () => {
    const first = await startLogin(ctx, '/card')
    const cookie = `mc_login=${first.binding?.value}`
    const second = await startLogin(ctx, '/history', cookie)
    expect(second.binding?.value).toBe(first.binding?.value)
    // Both finish in this browser.
    for (const { authorize } of [first, second]) {
      const { res } = await callback(ctx, await decide(ctx, authorize), cookie)
      expect(res.status).toBe(302)
    }
  })

  it('leaves bot_prompt out for LINE_BOT_PROMPT=none and sends normal as normal', async () => {
    const none = await webContext({ LINE_BOT_PROMPT: 'none' })
    expect((await startLogin(none, '/')).authorize.searchParams.has('bot_prompt')).toBe(false)
    const normal = await webContext({ LINE_BOT_PROMPT: 'normal' })
    expect((await startLogin(normal, '/')).authorize.searchParams.get('bot_prompt')).toBe('normal')
  })

  it('answers a 404 page when no LINE Login channel secret is set', async () => {
    const bare = await createTestContext()
    const res = await bare.app.request('/login/line?next=/')
    expect(res.status).toBe(404)
    expect(await res.text()).toContain('LINE でのログインは使えません')
  })
})

describe('GET /login/line/callback', () => {
  it('starts a web session (HttpOnly, SameSite=Lax, no Secure on http) and goes to next', async () => {
    const { authorize, binding } = await startLogin(ctx, '/history?from=poster')
    const back = await decide(ctx, authorize, { user: STAND_IN_LOGIN_USERS[1].sub })
    expect(back.searchParams.get('state')).toBe(authorize.searchParams.get('state'))
    expect(back.searchParams.get('friendship_status_changed')).toBe('false')
    const { res } = await callback(ctx, back, `mc_login=${binding?.value}`)
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toBe('/history?from=poster')
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const session = cookieOf(res, 'mc_session')
    expect(session?.value).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(session?.attributes.has('httponly')).toBe(true)
    expect(session?.attributes.get('samesite')).toBe('Lax')
    expect(session?.attributes.get('path')).toBe('/')
    expect(session?.attributes.has('secure')).toBe(false)
    expect(Number(session?.attributes.get('max-age'))).toBe(WEB_SESSION_ABSOLUTE_MS / 1000)
    const hint = cookieOf(res, 'mc_signed_in')
    expect(hint?.value).toBe('1')
    expect(hint?.attributes.has('httponly')).toBe(false)
    // Only the hash of the token is stored.
    const rows = await ctx.db.execute<{ token_hash: string; line_user_id: string }>(
      sql`SELECT token_hash, line_user_id FROM web_sessions`,
    )
    const mine = rows.find((r) => r.line_user_id === STAND_IN_LOGIN_USERS[1].sub)
    expect(mine?.token_hash).toBe(
      createHash('sha256')
        .update(session?.value ?? '')
        .digest('hex'),
    )
    const me = await ctx.call('GET', '/api/me', {
      headers: withCookie(`mc_session=${session?.value}`),
    })
    expect(me.status).toBe(200)
    expect(me.json).toEqual({ linked: false })
  })

  it('uses __Host- cookies with Secure behind an https PUBLIC_URL', async () => {
    const https = await webContext({ PUBLIC_URL: 'https://members.example.jp' })
    const { authorize, binding } = await startLogin(https, '/')
    expect(authorize.searchParams.get('redirect_uri')).toBe(
      'https://members.example.jp/login/line/callback',
    )
    expect(binding?.attributes.has('secure')).toBe(true)
    const back = await decide(https, authorize)
    const { res } = await callback(https, back, `__Host-mc_login=${binding?.value}`)
    expect(res.status).toBe(302)
    const session = cookieOf(res, '__Host-mc_session')
    expect(session?.attributes.has('secure')).toBe(true)
    expect(session?.attributes.has('httponly')).toBe(true)
    expect(session?.attributes.get('samesite')).toBe('Lax')
    expect(session?.attributes.get('path')).toBe('/')
    expect(session?.attributes.has('domain')).toBe(false)
    expect(cookieOf(res, 'mc_signed_in')?.attributes.has('secure')).toBe(true)
    const cookie = `__Host-mc_session=${session?.value}`
    const me = await https.call('GET', '/api/me', { headers: withCookie(cookie) })
    expect(me.status).toBe(200)
    const out = await https.call('DELETE', '/api/session', {
      headers: withCookie(cookie, { Origin: 'https://members.example.jp' }),
    })
    expect(out.status).toBe(204)
    const cleared = out.headers.getSetCookie().find((c) => c.startsWith('__Host-mc_session='))
    expect(cleared).toMatch(/Max-Age=0/)
    expect(cleared).toMatch(/Secure/)
    expect((await https.call('GET', '/api/me', { headers: withCookie(cookie) })).status).toBe(401)
  })

  it('refuses a missing, unknown, reused or expired state with a 400 page', async () => {
    const { authorize, binding } = await startLogin(ctx, '/card')
    const cookie = `mc_login=${binding?.value}`
    const back = await decide(ctx, authorize)

    const missing = new URL(back)
    missing.searchParams.delete('state')
    let r = await callback(ctx, missing, cookie)
    expect(r.res.status).toBe(400)
    expect(r.text).toContain('ログインをやり直してください')
    expect(r.text).toContain('Please sign in again')
    expect(r.text).toContain('href="/login/line?next=%2F"')

    const unknown = new URL(back)
    unknown.searchParams.set('state', 'A'.repeat(43))
    r = await callback(ctx, unknown, cookie)
    expect(r.res.status).toBe(400)
    expect(r.text).toContain('このログインのリンクは正しくありません')

    r = await callback(ctx, back, cookie)
    expect(r.res.status).toBe(302)
    r = await callback(ctx, back, cookie)
    expect(r.res.status).toBe(400)
    expect(r.text).toContain('すでに使われています')
    expect(cookieOf(r.res, 'mc_session')).toBeUndefined()

    const late = await startLogin(ctx, '/card')
    const lateBack = await decide(ctx, late.authorize)
    ctx.clock.advance(10 * 60_000 + 1)
    r = await callback(ctx, lateBack, `mc_login=${late.binding?.value}`)
    expect(r.res.status).toBe(400)
    expect(r.text).toContain('時間が経ちすぎました')
    expect(cookieOf(r.res, 'mc_session')).toBeUndefined()
  })

  it('refuses a state started in another browser (no or another binding cookie), once and for all', async () => {
    const { authorize, binding } = await startLogin(ctx, '/card')
    const back = await decide(ctx, authorize)
    const other = await startLogin(ctx, '/card')
    let r = await callback(ctx, back, `mc_login=${other.binding?.value}`)
    expect(r.res.status).toBe(400)
    expect(r.text).toContain('別のブラウザー')
    // The state is spent: the right browser cannot use it after an attacker tried.
    r = await callback(ctx, back, `mc_login=${binding?.value}`)
    expect(r.res.status).toBe(400)
    const bare = await startLogin(ctx, '/card')
    r = await callback(ctx, await decide(ctx, bare.authorize))
    expect(r.res.status).toBe(400)
  })

  it('uses a state once when two callbacks race with it', async () => {
    const { authorize, binding } = await startLogin(ctx, '/card')
    const back = await decide(ctx, authorize)
    const cookie = `mc_login=${binding?.value}`
    const results = await Promise.all([1, 2, 3].map(() => callback(ctx, back, cookie)))
    expect(results.map((r) => r.res.status).sort()).toEqual([302, 400, 400])
  })

  it('error=access_denied: a page saying it was cancelled, a way back, no session', async () => {
    const before = await sessionCount(ctx)
    const { authorize, binding } = await startLogin(ctx, '/history')
    const back = await decide(ctx, authorize, { allow: false })
    expect(back.searchParams.get('error')).toBe('access_denied')
    const r = await callback(ctx, back, `mc_login=${binding?.value}`)
    expect(r.res.status).toBe(200)
    expect(r.text).toContain('LINE でのログインをキャンセルしました')
    expect(r.text).toContain('You cancelled signing in with LINE')
    expect(r.text).toContain('href="/login/line?next=%2Fhistory"')
    expect(r.text).toContain('href="/history"')
    expect(r.text.indexOf('キャンセル')).toBeLessThan(r.text.indexOf('cancelled'))
    expect(r.res.headers.get('Content-Security-Policy')).toContain("default-src 'none'")
    expect(cookieOf(r.res, 'mc_session')).toBeUndefined()
    expect(await sessionCount(ctx)).toBe(before)
  })

  it('refuses an ID token with the wrong nonce, a forged signature, or another audience', async () => {
    for (const tamper of [
      { nonce: 'not-the-nonce-we-sent' },
      { secret: 'someone-elses-secret' },
      { aud: '9999999999' },
      { iss: 'https://evil.example' },
      { expiresIn: -3600 },
    ]) {
      const before = await sessionCount(ctx)
      const { authorize, binding } = await startLogin(ctx, '/card')
      const back = await decide(ctx, authorize)
      ctx.line.tamperNextIdToken(tamper)
      const r = await callback(ctx, back, `mc_login=${binding?.value}`)
      expect(r.res.status, JSON.stringify(tamper)).toBe(400)
      expect(r.text).toContain('LINE でのログインを確認できませんでした')
      expect(cookieOf(r.res, 'mc_session')).toBeUndefined()
      expect(await sessionCount(ctx)).toBe(before)
    }
  })

  it('refuses a code whose PKCE verifier does not match its challenge (at LINE)', async () => {
    const { authorize, binding } = await startLogin(ctx, '/card')
    const back = await decide(ctx, authorize)
    const stateHash = createHash('sha256')
      .update(authorize.searchParams.get('state') ?? '')
      .digest('hex')
    await ctx.db.execute(
      sql`UPDATE web_login_states SET code_verifier = ${'x'.repeat(64)} WHERE state_hash = ${stateHash}`,
    )
    const r = await callback(ctx, back, `mc_login=${binding?.value}`)
    expect(r.res.status).toBe(400)
    expect(r.text).toContain('LINE でログインできませんでした')
    expect(cookieOf(r.res, 'mc_session')).toBeUndefined()
  })

  it('answers 503 with Retry-After when LINE cannot be reached', async () => {
    const config = structuredClone(ctx.config)
    config.line.apiBase = 'http://127.0.0.1:9'
    const offline = createApp({
      db: ctx.db,
      clock: ctx.clock,
      config,
      secrets: ctx.secrets,
      logger: ctx.logger,
    })
    const start = await offline.request('/login/line?next=/card')
    const binding = cookieOf(start, 'mc_login')
    const back = await decide(ctx, new URL(start.headers.get('Location') ?? ''))
    const res = await offline.request(`${back.pathname}${back.search}`, {
      headers: { Cookie: `mc_login=${binding?.value}` },
    })
    expect(res.status).toBe(503)
    expect(res.headers.get('Retry-After')).toBe('30')
    expect(await res.text()).toContain('LINE に接続できませんでした')
  })

  it('never logs the code, state, tokens or cookies', async () => {
    const { cookie } = await signIn(ctx)
    const all = ctx.logger.lines.join('\n')
    expect(all).not.toContain(cookie.slice('mc_session='.length))
    expect(all.split('\n').filter((l) => /code=|state=|eyJ|mc_session|mc_login/.test(l))).toEqual(
      [],
    )
  })
})

describe('next: only a same-origin path', () => {
  const cases: [string, string][] = [
    ['//evil.example/x', '/'],
    ['/\\evil.example', '/'],
    ['\\\\evil.example', '/'],
    ['https://evil.example/', '/'],
    ['http:evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['/\t/evil.example', '/'],
    ['/%0d%0aSet-Cookie:x=1', '/%0d%0aSet-Cookie:x=1'],
    ['evil', '/'],
    ['', '/'],
    ['/login/line?next=//evil.example', '/'],
    ['/history?tab=1#top', '/history?tab=1#top'],
    ['/card', '/card'],
  ]
  it.each(cases)('next=%j ends at %j', async (next, expected) => {
    const { location } = await signIn(ctx, next)
    expect(location).toBe(expected)
  })

  it('without next ends at /', async () => {
    const { authorize, binding } = await startLogin(ctx)
    const { res } = await callback(ctx, await decide(ctx, authorize), `mc_login=${binding?.value}`)
    expect(res.headers.get('Location')).toBe('/')
  })
})

describe('the customer API in a web session', () => {
  it('links, shows the card QR and history, and unlinks, as the same LINE user as LIFF', async () => {
    const user = STAND_IN_LOGIN_USERS[0].sub
    const { cookie } = await signIn(ctx, '/card', user)
    const card = await addCard(ctx.db, ctx.secrets, { points: 500, pin: '4321' })
    const write = withCookie(cookie, { Origin: ORIGIN, 'Content-Type': 'application/json' })

    expect((await ctx.call('GET', '/api/link/bonus', { headers: withCookie(cookie) })).status).toBe(
      200,
    )
    const linked = await ctx.call('POST', '/api/link', {
      headers: write,
      body: linkBody(card.cardNumber, '4321'),
    })
    expect(linked.status).toBe(201)
    expect(linked.json.member.points).toBe(500 + ctx.config.linkBonusPoints)

    // The LIFF bearer token of the same user sees the same link.
    const viaLiff = await ctx.call('GET', '/api/me', { headers: await ctx.userHeaders(user) })
    expect(viaLiff.json.linked).toBe(true)
    expect(viaLiff.json.member.cardNumber).toBe(linked.json.member.cardNumber)

    const qr = await ctx.call('GET', '/api/card/qr', { headers: withCookie(cookie) })
    expect(qr.status).toBe(200)
    expect(typeof qr.json.token).toBe('string')
    const history = await ctx.call('GET', '/api/points/history', { headers: withCookie(cookie) })
    expect(history.status).toBe(200)
    expect(history.json.items.length).toBeGreaterThan(0)

    const unlinked = await ctx.call('DELETE', '/api/link', {
      headers: withCookie(cookie, { Origin: ORIGIN }),
    })
    expect(unlinked.status).toBe(204)
    expect((await ctx.call('GET', '/api/me', { headers: withCookie(cookie) })).json).toEqual({
      linked: false,
    })
  })

  it('refuses cookie-authenticated writes from another origin or with no origin (CSRF)', async () => {
    const { cookie } = await signIn(ctx)
    const card = await addCard(ctx.db, ctx.secrets, { pin: '1111' })
    const body = linkBody(card.cardNumber, '1111')
    const json = { 'Content-Type': 'application/json' }
    for (const headers of [
      withCookie(cookie, { ...json, Origin: 'https://evil.example' }),
      withCookie(cookie, { ...json, Origin: 'null' }),
      withCookie(cookie, json),
      withCookie(cookie, { ...json, 'Sec-Fetch-Site': 'cross-site' }),
    ]) {
      const r = await ctx.call('POST', '/api/link', { headers, body })
      expect(r.status).toBe(403)
      expect(r.json.error.code).toBe('FORBIDDEN')
    }
    const del = await ctx.call('DELETE', '/api/link', {
      headers: withCookie(cookie, { Origin: 'https://evil.example' }),
    })
    expect(del.status).toBe(403)
    const issue = await ctx.call('POST', '/api/cards', {
      headers: withCookie(cookie, {
        ...json,
        Origin: 'https://evil.example',
        'Idempotency-Key': 'web-csrf-test-1',
      }),
      body: { name: 'X', consent: { version: '2026-11-01', accepted: true } },
    })
    expect(issue.status).toBe(403)
    // Nothing was linked by any of them; a same-origin fetch without Origin is let through.
    expect((await ctx.call('GET', '/api/me', { headers: withCookie(cookie) })).json.linked).toBe(
      false,
    )
    const ok = await ctx.call('POST', '/api/link', {
      headers: withCookie(cookie, { ...json, 'Sec-Fetch-Site': 'same-origin' }),
      body,
    })
    expect(ok.status).toBe(201)
  })

  it('answers 401 INVALID_ID_TOKEN without a session, or with a made-up one', async () => {
    for (const cookie of ['mc_session=nope', `mc_session=${'a'.repeat(43)}`]) {
      const r = await ctx.call('GET', '/api/me', { headers: withCookie(cookie) })
      expect(r.status).toBe(401)
      expect(r.json.error.code).toBe('INVALID_ID_TOKEN')
      // Its cookies are cleared, so the app offers to sign in.
      expect(r.headers.getSetCookie().some((c) => /^mc_signed_in=;.*Max-Age=0/.test(c))).toBe(true)
    }
    expect((await ctx.call('GET', '/api/me')).status).toBe(401)
  })

  it('a bearer token wins over a cookie (the LIFF app in LINE)', async () => {
    const { cookie } = await signIn(ctx, '/', STAND_IN_LOGIN_USERS[1].sub)
    const other = ctx.newUser()
    const r = await ctx.call('GET', '/api/me', {
      headers: { ...(await ctx.userHeaders(other)), Cookie: cookie },
    })
    expect(r.status).toBe(200)
    const bad = await ctx.call('GET', '/api/me', {
      headers: { Authorization: 'Bearer forged', Cookie: cookie },
    })
    expect(bad.status).toBe(401)
  })

  it('signs out with DELETE /api/session, on every instance', async () => {
    const { cookie } = await signIn(ctx)
    const second = createApp({
      db: ctx.db,
      clock: ctx.clock,
      config: ctx.config,
      secrets: ctx.secrets,
      logger: ctx.logger,
    })
    expect((await second.request('/api/me', { headers: withCookie(cookie) })).status).toBe(200)
    const refused = await ctx.call('DELETE', '/api/session', {
      headers: withCookie(cookie, { Origin: 'https://evil.example' }),
    })
    expect(refused.status).toBe(403)
    const out = await ctx.call('DELETE', '/api/session', {
      headers: withCookie(cookie, { Origin: ORIGIN }),
    })
    expect(out.status).toBe(204)
    expect(out.headers.getSetCookie().some((c) => /^mc_session=;.*Max-Age=0/.test(c))).toBe(true)
    expect((await ctx.call('GET', '/api/me', { headers: withCookie(cookie) })).status).toBe(401)
    expect((await second.request('/api/me', { headers: withCookie(cookie) })).status).toBe(401)
    // Without a session it is still 204 (nothing to end).
    expect((await ctx.call('DELETE', '/api/session')).status).toBe(204)
  })

  it('ends a session idle for 30 days, and any session 90 days after it began', async () => {
    const idle = await signIn(ctx)
    ctx.clock.advance(WEB_SESSION_IDLE_MS - 60_000)
    expect((await ctx.call('GET', '/api/me', { headers: withCookie(idle.cookie) })).status).toBe(
      200,
    )
    ctx.clock.advance(WEB_SESSION_IDLE_MS - 60_000)
    expect((await ctx.call('GET', '/api/me', { headers: withCookie(idle.cookie) })).status).toBe(
      200,
    )
    ctx.clock.advance(WEB_SESSION_IDLE_MS)
    expect((await ctx.call('GET', '/api/me', { headers: withCookie(idle.cookie) })).status).toBe(
      401,
    )

    const busy = await signIn(ctx)
    let elapsed = 0
    while (elapsed + 20 * 86_400_000 < WEB_SESSION_ABSOLUTE_MS) {
      ctx.clock.advance(20 * 86_400_000)
      elapsed += 20 * 86_400_000
      expect((await ctx.call('GET', '/api/me', { headers: withCookie(busy.cookie) })).status).toBe(
        200,
      )
    }
    ctx.clock.advance(WEB_SESSION_ABSOLUTE_MS - elapsed)
    expect((await ctx.call('GET', '/api/me', { headers: withCookie(busy.cookie) })).status).toBe(
      401,
    )
  })
})

describe('the stand-in LINE Login', () => {
  async function codeFor(authorize: URL) {
    const back = await decide(ctx, authorize)
    return back.searchParams.get('code') ?? ''
  }
  async function token(form: Record<string, string>) {
    const res = await fetch(`${ctx.lineBase}/oauth2/v2.1/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    })
    return { status: res.status, json: (await res.json()) as Record<string, string> }
  }

  it('checks the PKCE verifier against the challenge, the secret and the redirect_uri; codes are single use', async () => {
    const verifier = 'v'.repeat(43)
    const authorize = new URL(`${ctx.lineBase}/oauth2/v2.1/authorize`)
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: ctx.config.line.loginChannelId,
      redirect_uri: `${ORIGIN}/login/line/callback`,
      state: 's'.repeat(43),
      scope: 'openid profile',
      nonce: 'n'.repeat(43),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }))
      authorize.searchParams.set(k, v)
    const page = await fetch(authorize)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('許可する')

    const base = {
      grant_type: 'authorization_code',
      redirect_uri: `${ORIGIN}/login/line/callback`,
      client_id: ctx.config.line.loginChannelId,
      client_secret: STAND_IN_CHANNEL_SECRET,
    }
    let r = await token({ ...base, code: await codeFor(authorize), code_verifier: 'w'.repeat(43) })
    expect(r.status).toBe(400)
    expect(r.json.error).toBe('invalid_grant')
    r = await token({
      ...base,
      code: await codeFor(authorize),
      code_verifier: verifier,
      client_secret: 'x',
    })
    expect(r.json.error).toBe('invalid_client')
    r = await token({
      ...base,
      code: await codeFor(authorize),
      code_verifier: verifier,
      redirect_uri: 'https://evil.example/cb',
    })
    expect(r.json.error).toBe('invalid_grant')
    const code = await codeFor(authorize)
    r = await token({ ...base, code, code_verifier: verifier })
    expect(r.status).toBe(200)
    expect(r.json.token_type).toBe('Bearer')
    const claims = JSON.parse(
      Buffer.from(r.json.id_token?.split('.')[1] ?? '', 'base64url').toString(),
    ) as Record<string, unknown>
    expect(claims.nonce).toBe('n'.repeat(43))
    expect(claims.aud).toBe(ctx.config.line.loginChannelId)
    expect(
      JSON.parse(Buffer.from(r.json.id_token?.split('.')[0] ?? '', 'base64url').toString()).alg,
    ).toBe('HS256')
    r = await token({ ...base, code, code_verifier: verifier })
    expect(r.json.error).toBe('invalid_grant')
  })

  it('refuses an authorization request for another channel or without openid', async () => {
    const { authorize } = await startLogin(ctx, '/')
    for (const [k, v] of [
      ['client_id', '42'],
      ['scope', 'profile'],
      ['response_type', 'token'],
      ['code_challenge_method', 'plain'],
    ] as const) {
      const bad = new URL(authorize)
      bad.searchParams.set(k, v)
      expect((await fetch(bad)).status, k).toBe(400)
    }
  })
})

describe('GET /login/line from one client address', () => {
  /** A request as the Node adapter passes it: from `address`, with no forwarding headers. */
  const from = (address: string) => ({
    incoming: { socket: { remoteAddress: address }, headers: {} },
  })
  const stored = async (c: TestContext) => {
    const [row] = await c.db.execute<{ n: number }>(
      sql`SELECT CAST(count(*) AS BIGINT) AS n FROM web_login_states`,
    )
    return Number(row?.n)
  }

  it(`starts ${WEB_LOGIN_STARTS_PER_MINUTE} sign-ins a minute, then refuses with a page and stores nothing more; others and the next minute go on`, async () => {
    const c = await webContext()
    const start = (address: string) => c.app.request('/login/line?next=/card', {}, from(address))
    for (let i = 0; i < WEB_LOGIN_STARTS_PER_MINUTE; i++) {
      expect((await start('203.0.113.7')).status).toBe(302)
    }
    const refused = await start('203.0.113.7')
    expect(refused.status).toBe(429)
    expect(refused.headers.get('Retry-After')).toBe('60')
    expect(refused.headers.get('Content-Security-Policy')).toContain("default-src 'none'")
    const page = await refused.text()
    expect(page).toContain('しばらくしてからお試しください')
    expect(page).toContain('/login/line?next=%2Fcard')
    expect(await stored(c)).toBe(WEB_LOGIN_STARTS_PER_MINUTE)

    expect((await start('198.51.100.9')).status).toBe(302)
    c.clock.advance(60_000)
    expect((await start('203.0.113.7')).status).toBe(302)
  })
})
