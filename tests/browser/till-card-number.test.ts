import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  demoIdToken,
  ensureAppBuilt,
  issueByApi,
  launchBrowser,
  newLineUserId,
  type PageErrorLog,
  saveArtifact,
  watchCsp,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'

/** A phone and a 10-inch tablet in landscape, as the till runs on. */
const DEVICES = {
  phone: { width: 390, height: 844, scale: 2 },
  'tablet-landscape': { width: 1280, height: 800, scale: 1 },
} as const

async function newTill(
  browser: Browser,
  baseURL: string,
  device: keyof typeof DEVICES,
): Promise<BrowserContext> {
  const d = DEVICES[device]
  const context = await browser.newContext({
    baseURL,
    viewport: { width: d.width, height: d.height },
    deviceScaleFactor: d.scale,
    isMobile: true,
    hasTouch: true,
    locale: 'ja-JP',
  })
  await watchCsp(context)
  return context
}

async function signIn(page: Page, staffId: string, password: string) {
  await page.goto('/staff')
  await expect.poll(() => page.url()).toMatch(/\/staff\/login$/)
  await page.getByLabel('スタッフID').fill(staffId)
  await page.getByLabel('パスワード').fill(password)
  await page.getByRole('button', { name: 'ログイン' }).click()
  await page.getByTestId('till').waitFor()
}

const CARD_LABEL = 'ポイントカードの番号（16桁）'

/** The card's balance as the customer's app reads it. */
async function balanceOf(baseUrl: string, sub: string): Promise<number> {
  const res = await fetch(`${baseUrl}/api/me`, {
    headers: { authorization: `Bearer ${await demoIdToken(baseUrl, { sub })}` },
  })
  return ((await res.json()) as { member: { points: number } }).member.points
}

describe('a customer without a phone: the plastic card number at the till (issue 12, decision 092)', () => {
  let server: RunningServer
  let browser: Browser
  let pageErrors: PageErrorLog

  beforeAll(async () => {
    ensureAppBuilt()
    ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
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

  it('on a tablet, a clerk types the card number and awards points; redeeming is not offered', async () => {
    const customer = newLineUserId()
    const cardNumber = await issueByApi(server.url, customer, '佐藤 六花')
    const before = await balanceOf(server.url, customer)
    const till = await newTill(browser, server.url, 'tablet-landscape')
    try {
      const page = await till.newPage()
      await signIn(page, 'demo-clerk', 'demo-clerk-pass')
      const field = page.getByLabel(CARD_LABEL)
      await field.waitFor()
      saveArtifact('till-card-number-scan.png', await page.screenshot())
      // As printed on the card: groups of four.
      await field.fill(cardNumber.replace(/(\d{4})(?=\d)/g, '$1 '))
      await page.getByRole('button', { name: 'カード番号で探す' }).click()
      await page.getByTestId('member').waitFor()
      await expect.poll(() => page.getByTestId('member-name').textContent()).toBe('佐藤 六花')
      await expect
        .poll(() => page.getByTestId('member-card').textContent())
        .toContain(cardNumber.slice(-4))
      expect(await page.getByTestId('member-card').textContent()).not.toContain(cardNumber)
      await expect
        .poll(() => page.getByTestId('member-by-card').textContent())
        .toContain('ポイント付与のみ')
      // Award only: no redeem or adjust tab, and no QR countdown.
      expect(await page.getByRole('button', { name: 'ポイント利用' }).count()).toBe(0)
      expect(await page.getByTestId('tabs').count()).toBe(0)
      expect(await page.getByText('QRの有効期限').count()).toBe(0)
      await page.getByLabel('お買い上げ金額（円）').fill('1500')
      await page.getByTestId('preview').getByText('付与予定').waitFor()
      saveArtifact('till-card-number-member.png', await page.screenshot())
      await page.getByTestId('review').click()
      await page.getByTestId('confirm-ok').click()
      await page.getByTestId('result').waitFor()
      saveArtifact('till-card-number-result.png', await page.screenshot())
      await expect.poll(() => balanceOf(server.url, customer)).toBe(before + 15)
    } finally {
      await till.close()
    }
  })

  it("a barcode scanner reading the card into the till's code field finds the member", async () => {
    const customer = newLineUserId()
    const cardNumber = await issueByApi(server.url, customer, '伊藤 七海')
    const till = await newTill(browser, server.url, 'tablet-landscape')
    try {
      const page = await till.newPage()
      await signIn(page, 'demo-clerk', 'demo-clerk-pass')
      await page.getByTestId('qr-manual').waitFor()
      // The code field has the focus; a wedge scanner types the digits and Enter.
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('qr-manual')
      await page.keyboard.type(cardNumber)
      await page.keyboard.press('Enter')
      await page.getByTestId('member-by-card').waitFor()
      expect(await page.getByTestId('member-name').textContent()).toContain('伊藤 七海')
      // With no field focused, the page listens for the scanner itself.
      await page.getByTestId('next-in-actions').click()
      await page.getByTestId('scan').waitFor()
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
      await page.keyboard.type(cardNumber)
      await page.keyboard.press('Enter')
      await page.getByTestId('member-by-card').waitFor()
    } finally {
      await till.close()
    }
  })

  it('on a phone, a mistyped number and an unknown card say what to do, in Japanese', async () => {
    const till = await newTill(browser, server.url, 'phone')
    try {
      const page = await till.newPage()
      await signIn(page, 'demo-clerk', 'demo-clerk-pass')
      const field = page.getByLabel(CARD_LABEL)
      await field.fill('4000 0000 0000 0003')
      await page.getByRole('button', { name: 'カード番号で探す' }).click()
      await expect
        .poll(() => page.getByTestId('till-error').textContent())
        .toContain('カード番号が正しくありません')
      await field.fill('4000-0000-0000-0002')
      await page.getByRole('button', { name: 'カード番号で探す' }).click()
      await expect
        .poll(() => page.getByTestId('till-error').textContent())
        .toContain('この番号のカードは見つかりません')
      await page.getByTestId('card-lookup').scrollIntoViewIfNeeded()
      saveArtifact('till-card-number-phone-unknown.png', await page.screenshot({ fullPage: true }))
      // The page never scrolls sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(390)
    } finally {
      await till.close()
    }
  })
})
