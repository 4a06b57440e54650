import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  decodeQr,
  ensureAppBuilt,
  launchBrowser,
  type PageErrorLog,
  saveArtifact,
  staffScan,
  staffToken,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'

/**
 * LINE Login on the web in a plain browser (no LIFF, no token in the page), against demo
 * mode's stand-in LINE: the website's link → LINE's consent → the card linked, shown,
 * scanned, its history, unlinked; signing out and in again from the app, and cancelling.
 */
describe('LINE Login on the web in a plain browser (demo mode)', () => {
  let server: RunningServer
  let browser: Browser
  let context: BrowserContext | undefined
  let pageErrors: PageErrorLog

  beforeAll(async () => {
    ensureAppBuilt()
    ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
    pageErrors = watchPageErrors(browser)
  })
  afterEach(async () => {
    await context?.close()
    context = undefined
    expect(pageErrors.take()).toEqual([])
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  /** A phone-sized plain browser, with every API request's Authorization header recorded. */
  async function openBrowser(): Promise<{ page: Page; authHeaders: string[] }> {
    context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'ja-JP',
    })
    const page = await context.newPage()
    const authHeaders: string[] = []
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/')) {
        const auth = r.headers().authorization
        if (auth) authHeaders.push(auth)
      }
    })
    return { page, authHeaders }
  }

  /** The stand-in's consent page: choose a user and allow (or cancel). */
  async function consent(page: Page, o: { user: string; allow: boolean; shot?: string }) {
    await page.getByRole('heading', { name: /ログインの許可/ }).waitFor()
    await page.getByLabel(o.user).check()
    if (o.shot) saveArtifact(o.shot, await page.screenshot({ fullPage: true }))
    await page.getByRole('button', { name: o.allow ? /許可する/ : /キャンセル/ }).click()
  }

  async function sessionCookie(): Promise<string | undefined> {
    return (await context?.cookies())?.find((c) => c.name === 'mc_session')?.value
  }

  it('signs in from a link, links a card, shows a scannable QR and the history, unlinks', async () => {
    const { page, authHeaders } = await openBrowser()
    // The company's website links here: the card screen after signing in.
    await page.goto('/login/line?next=%2Fcard')
    expect(new URL(page.url()).pathname).toBe('/__line/oauth2/v2.1/authorize')
    const authorize = new URL(page.url()).searchParams
    expect(authorize.get('code_challenge_method')).toBe('S256')
    expect(authorize.get('bot_prompt')).toBe('aggressive')
    await consent(page, {
      user: '新しいデモユーザー',
      allow: true,
      shot: 'web-login-1-consent.png',
    })

    // Signed in, not linked yet: /card leads on to the consent and link screen.
    await expect.poll(() => new URL(page.url()).pathname).toBe('/link')
    const cookies = (await context?.cookies()) ?? []
    const session = cookies.find((c) => c.name === 'mc_session')
    expect(session?.httpOnly).toBe(true)
    expect(session?.sameSite).toBe('Lax')
    expect(cookies.find((c) => c.name === 'mc_signed_in')?.httpOnly).toBe(false)
    expect(await page.evaluate(() => document.cookie)).not.toContain('mc_session')
    await page.getByRole('heading', { name: 'LINEと会員カードを連携' }).waitFor()
    saveArtifact('web-login-2-link.png', await page.screenshot({ fullPage: true }))

    await page.getByLabel('カード番号（16桁）').pressSequentially('4900000000000011')
    await page.getByLabel('暗証番号（4桁）').fill('1234')
    await page.getByLabel('上記の内容とプライバシーポリシーに同意します').check()
    await page.getByRole('button', { name: '同意して連携する' }).click()

    // The card: its QR decodes (zbarimg) to a token the till accepts for this member.
    await expect.poll(() => new URL(page.url()).pathname).toBe('/card')
    const box = page.getByTestId('qr-box')
    await box.locator('svg').waitFor()
    const qrPath = saveArtifact('web-login-3-qr.png', await box.screenshot())
    saveArtifact('web-login-3-card.png', await page.screenshot({ fullPage: true }))
    const qr = await decodeQr(qrPath)
    const scan = await staffScan(server.url, await staffToken(server.url), qr)
    expect(scan.status).toBe(200)
    expect(scan.body.member?.cardNumber).toMatch(/0011$/)

    // The history: the linking bonus, newest first.
    await page.getByRole('link', { name: '履歴' }).click()
    const first = page.getByTestId('history-item').first()
    await first.waitFor()
    expect(await first.textContent()).toContain('+200')
    saveArtifact('web-login-4-history.png', await page.screenshot({ fullPage: true }))

    // Unlink in 設定.
    await page.getByRole('link', { name: '設定' }).click()
    await page.getByRole('button', { name: '連携を解除する' }).click()
    await page
      .getByRole('alertdialog', { name: '連携を解除しますか？' })
      .getByRole('button', { name: '解除する' })
      .click()
    await expect.poll(() => new URL(page.url()).pathname).toBe('/link')
    await page.getByText('連携を解除しました').waitFor()
    saveArtifact('web-login-5-unlinked.png', await page.screenshot({ fullPage: true }))
    const me = await fetch(`${server.url}/api/me`, {
      headers: { cookie: `mc_session=${await sessionCookie()}` },
    })
    expect(await me.json()).toEqual({ linked: false })

    // No call carried a token: the cookie was the only credential in this plain browser.
    expect(authHeaders).toEqual([])
  })

  it('signs out in 設定, offers LINEでログイン, and tells a cancelled sign-in apart', async () => {
    const { page } = await openBrowser()
    await page.goto('/login/line?next=%2Fsettings')
    await consent(page, { user: 'デモ 花子', allow: true })
    await expect.poll(() => new URL(page.url()).pathname).toBe('/settings')
    const before = await sessionCookie()
    expect(before).toBeDefined()

    // Sign out: the session ends on the server and the app offers LINE Login.
    await page.getByRole('button', { name: 'ログアウト' }).click()
    const login = page.getByRole('link', { name: 'LINEでログイン' })
    await login.waitFor()
    expect(await sessionCookie()).toBeUndefined()
    const ended = await fetch(`${server.url}/api/me`, {
      headers: { cookie: `mc_session=${before}` },
    })
    expect(ended.status).toBe(401)
    expect(await login.getAttribute('href')).toBe('/login/line?next=%2F')
    saveArtifact('web-login-6-signed-out.png', await page.screenshot({ fullPage: true }))

    // LINEでログイン, then cancelled at LINE: a page that says so, with a way back.
    await login.click()
    await consent(page, { user: 'デモ 太郎', allow: false })
    await page.getByRole('heading', { name: 'LINE でのログインをキャンセルしました' }).waitFor()
    expect(await sessionCookie()).toBeUndefined()
    saveArtifact('web-login-7-cancelled.png', await page.screenshot({ fullPage: true }))

    // The page's "LINE でログイン" again, allowed this time: signed in, in the app.
    const callbacks: string[] = []
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/login/line/callback') callbacks.push(r.url())
    })
    await page.getByRole('link', { name: /LINE でログイン/ }).click()
    await consent(page, { user: 'デモ 太郎', allow: true })
    await expect.poll(() => new URL(page.url()).pathname).toBe('/link')
    expect(await sessionCookie()).toBeDefined()

    // The same callback URL again (a reload, the back button): the state is spent.
    expect(callbacks).toHaveLength(1)
    const reused = await page.goto(callbacks[0] ?? '/')
    expect(reused?.status()).toBe(400)
    await page.getByRole('heading', { name: 'ログインをやり直してください' }).waitFor()
    expect(await page.getByText('すでに使われています').count()).toBe(1)
    saveArtifact('web-login-8-reused.png', await page.screenshot({ fullPage: true }))
  })
})
