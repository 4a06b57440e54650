import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  decodeQr,
  ensureAppBuilt,
  launchBrowser,
  linkByApi,
  newLineUserId,
  newPhone,
  type PageErrorLog,
  saveArtifact,
  watchCsp,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import { submitStaffSignIn } from '../support/sign-in.ts'

/**
 * Issue 16's proof in Chromium against the real server (demo mode): an operator creates a
 * coupon in the console and issues it to a segment; the member sees it in the LIFF app; the
 * clerk scans the member's QR, applies it; the member's app shows it used. The routes are
 * WAVE3-API.md's "Coupons".
 */

const MANUAL = 'QRコードの文字・手入力用コード（手入力・バーコードリーダー）'
const TITLE = '2回目来店 200円引き'

async function shot(page: Page, name: string) {
  saveArtifact(name, await page.screenshot({ fullPage: true }))
}

async function newContext(
  browser: Browser,
  baseURL: string,
  viewport: { width: number; height: number },
): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, viewport, locale: 'ja-JP' })
  await watchCsp(context)
  return context
}

describe('LINE-only coupons in Chromium (demo mode)', () => {
  let server: RunningServer
  let browser: Browser
  let pageErrors: PageErrorLog

  beforeAll(async () => {
    ensureAppBuilt()
    ;[server, browser] = await Promise.all([
      startServer({ env: { CARD_TOKEN_TTL_SECONDS: '300' } }),
      launchBrowser(),
    ])
    pageErrors = watchPageErrors(browser)
  })
  afterEach(() => {
    expect(pageErrors.take()).toEqual([])
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  it('an operator creates and issues a coupon; the member sees it; the clerk applies it; the app shows it used', async () => {
    const member = newLineUserId()
    // The demo's third card: the demo's own coupons go to the first.
    await linkByApi(server.url, member, '4900000000000037', '3456')
    const desk = await newContext(browser, server.url, { width: 1366, height: 900 })
    const phone = await newPhone(browser, server.url, { user: member })
    const tablet = await newContext(browser, server.url, { width: 1280, height: 800 })
    try {
      // The console: create the coupon.
      const console = await desk.newPage()
      await console.goto('/admin/coupons')
      await expect.poll(() => new URL(console.url()).pathname).toBe('/admin/sign-in')
      await submitStaffSignIn(console, 'demo-admin', 'demo-admin-pass')
      await console.getByTestId('coupons').waitFor()
      await console.getByTestId('new-coupon').click()
      await console.getByTestId('coupon-new').waitFor()
      // Nothing filled in: every problem is named, nothing is sent.
      await console.getByTestId('create-coupon').click()
      expect(await console.getByTestId('form-problem').first().textContent()).toContain(
        '入力内容を確認してください',
      )
      await console.getByLabel('タイトル（必須）').fill(TITLE)
      await console.getByLabel('値引き額（円）').fill('200')
      await console.getByLabel('最低購入金額（円・任意）').fill('1000')
      const created = console.waitForResponse(
        (r) =>
          new URL(r.url()).pathname === '/api/admin/coupons' && r.request().method() === 'POST',
      )
      await console.getByTestId('create-coupon').click()
      expect((await created).status()).toBe(201)
      await console.getByTestId('coupon-detail').waitFor()
      expect(await console.getByTestId('coupon-heading').textContent()).toContain(TITLE)
      expect(await console.getByTestId('coupon-issued').textContent()).toContain('0')

      // Issue it to every linked member, and tell nobody (no promotional message).
      await console.getByTestId('issue-segment').fill('{"all":[]}')
      await console.getByTestId('issue-count').click()
      await expect
        .poll(() => console.getByTestId('issue-counted').textContent())
        .toContain('対象：1人')
      const issued = console.waitForResponse((r) => r.url().endsWith('/issue'))
      await console.getByTestId('issue-submit').click()
      const issueAnswer = await issued
      expect(issueAnswer.status()).toBe(200)
      expect(issueAnswer.request().headers()['idempotency-key']).toBeTruthy()
      expect(await issueAnswer.json()).toMatchObject({ issued: 1 })
      await expect
        .poll(() => console.getByTestId('issue-done').textContent())
        .toContain('1人に配布')
      await expect.poll(() => console.getByTestId('coupon-issued').textContent()).toContain('1')
      await shot(console, 'coupons-01-console-issued.png')

      // The member: the card counts it (after its QR), the coupons tab lists it, its page says how.
      const app = await phone.newPage()
      await app.goto('/card')
      const qrBox = app.getByTestId('qr-box')
      await qrBox.locator('svg').waitFor()
      await expect
        .poll(() => app.getByTestId('coupon-count').textContent())
        .toMatch(/使えるクーポン 1/)
      const png = saveArtifact('coupons-02-card.png', await qrBox.screenshot())
      const qrToken = await decodeQr(png)
      expect(qrToken).toMatch(/^[A-Z2-7]{36}$/)
      await shot(app, 'coupons-03-card-full.png')
      await app.getByTestId('coupon-count').getByRole('link').click()
      await app.getByTestId('coupons-available').waitFor()
      const item = app.getByTestId('coupons-available').getByTestId('coupon-item')
      expect(await item.count()).toBe(1)
      expect(await item.textContent()).toContain(TITLE)
      expect(await item.textContent()).toContain('200\u2060円引き')
      await shot(app, 'coupons-04-list.png')
      await item.getByRole('link').click()
      await app.getByTestId('coupon-page').locator('#coupon-title').waitFor()
      expect(await app.getByTestId('coupon-minimum').textContent()).toContain('1,000\u2060円以上')
      expect(await app.getByTestId('show-card').textContent()).toContain('会員証を表示する')
      await shot(app, 'coupons-05-coupon.png')

      // The till: scan (typed from the card's QR), see the coupon with its condition, apply it.
      const till = await tablet.newPage()
      await till.goto('/staff')
      await expect.poll(() => till.url()).toMatch(/\/staff\/login$/)
      await till.getByLabel('スタッフID').fill('demo-clerk')
      await till.getByLabel('パスワード').fill('demo-clerk-pass')
      await till.getByRole('button', { name: 'ログイン' }).click()
      await till.getByTestId('till').waitFor()
      const scanned = till.waitForResponse((r) => r.url().endsWith('/api/staff/scan'))
      await till.getByLabel(MANUAL).fill(qrToken)
      await till.getByRole('button', { name: '確認', exact: true }).click()
      expect((await scanned).status()).toBe(200)
      const row = till.getByTestId('till-coupon').filter({ hasText: TITLE })
      await row.waitFor()
      expect(await row.textContent()).toContain('1,000\u00a0円以上のお買い上げ')
      await shot(till, 'coupons-06-till-member.png')
      await row.getByTestId('use-coupon').click()
      await till.getByTestId('coupon-apply').waitFor()
      // Under the minimum: the till says so before anything is sent.
      await till.getByTestId('coupon-amount').fill('800')
      await till.getByTestId('coupon-under-minimum').waitFor()
      expect(await till.getByTestId('apply-coupon').isDisabled()).toBe(true)
      await till.getByTestId('coupon-amount').fill('1500')
      const redeemed = till.waitForResponse((r) => r.url().endsWith('/api/staff/coupons/redeem'))
      await till.getByTestId('apply-coupon').click()
      const answer = await redeemed
      expect(answer.status()).toBe(200)
      expect(answer.request().headers()['idempotency-key']).toBeTruthy()
      expect(JSON.parse(answer.request().postData() ?? '{}')).toMatchObject({
        qrToken,
        purchaseAmount: 1500,
      })
      await till.getByTestId('coupon-result').waitFor()
      expect(await till.getByTestId('coupon-result-title').textContent()).toContain(TITLE)
      await shot(till, 'coupons-07-till-applied.png')

      // The member's app: the coupon is used now.
      await app.goto('/coupons')
      await app.getByTestId('coupons-past').waitFor()
      expect(await app.getByTestId('coupons-empty').isVisible()).toBe(true)
      const used = app.getByTestId('coupons-past').getByTestId('coupon-item')
      expect(await used.textContent()).toContain(TITLE)
      expect(await used.textContent()).toContain('使用済み')
      await shot(app, 'coupons-08-list-used.png')

      // The console counts the use.
      await console.reload()
      await expect.poll(() => console.getByTestId('coupon-used').textContent()).toContain('1')
      expect(await console.getByTestId('coupon-rate').textContent()).toContain('100.0%')
      // And so does the dashboard: copies issued in the period / uses (one, this one).
      await console.goto('/admin')
      await expect
        .poll(() => console.getByTestId('kpi-coupons').textContent())
        .toMatch(/\d+ \/ 1\b/)
    } finally {
      await Promise.all([desk.close(), phone.close(), tablet.close()])
    }
  })
})
