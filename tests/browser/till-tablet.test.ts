import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ensureAppBuilt,
  issueByApi,
  launchBrowser,
  newLineUserId,
  type PageErrorLog,
  qrByApi,
  saveArtifact,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import { signInTill } from '../support/sign-in.ts'

/** The devices a till runs on: a phone, and a 10-inch tablet held either way. */
const DEVICES = {
  phone: { width: 390, height: 844, scale: 2 },
  'small-phone': { width: 360, height: 740, scale: 2 },
  'tablet-landscape': { width: 1280, height: 800, scale: 1 },
  'tablet-portrait': { width: 800, height: 1280, scale: 1 },
} as const
type Device = keyof typeof DEVICES

function newTill(browser: Browser, baseURL: string, device: Device): Promise<BrowserContext> {
  const d = DEVICES[device]
  return browser.newContext({
    baseURL,
    viewport: { width: d.width, height: d.height },
    deviceScaleFactor: d.scale,
    isMobile: true,
    hasTouch: true,
    locale: 'ja-JP',
  })
}

const MANUAL = 'QRコードの文字・手入力用コード（手入力・バーコードリーダー）'

async function lookUp(page: Page, token: string) {
  await page.getByLabel(MANUAL).fill(token)
  await page.getByRole('button', { name: '確認', exact: true }).click()
  await page.getByTestId('member').waitFor()
}

/** How many lines each element's text is drawn on (its text line boxes, from the layout). */
function lineCounts(
  elements: Locator,
): Promise<{ label: string; lines: number; overflows: boolean }[]> {
  return elements.evaluateAll((els) =>
    els.map((el) => {
      const range = document.createRange()
      range.selectNodeContents(el)
      const tops = new Set(
        Array.from(range.getClientRects())
          .filter((r) => r.width > 0)
          .map((r) => Math.round(r.top)),
      )
      return {
        label: el.textContent?.trim() ?? '',
        lines: tops.size,
        overflows: el.scrollWidth > el.clientWidth,
      }
    }),
  )
}

/** How many lines each tab's label is drawn on. */
function tabLineCounts(page: Page) {
  return lineCounts(page.getByTestId('tabs').locator('button'))
}

/** The box of a test id's element, in CSS pixels. */
async function box(page: Page, testId: string) {
  const b = await page.getByTestId(testId).boundingBox()
  if (!b) throw new Error(`${testId} is not shown`)
  return b
}

describe('the till on a phone and on a 10-inch tablet (Chromium, demo mode)', () => {
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

  for (const device of ['phone', 'small-phone'] as const) {
    it(`a manager's three tabs each fit on one line on a ${device} (${DEVICES[device].width} px)`, async () => {
      const customer = newLineUserId()
      await issueByApi(server.url, customer, '小林 三郎')
      const till = await newTill(browser, server.url, device)
      try {
        const page = await till.newPage()
        await signInTill(page, 'demo-manager', 'demo-manager-pass')
        await lookUp(page, (await qrByApi(server.url, customer)).token)
        expect(await tabLineCounts(page)).toEqual([
          { label: 'ポイント付与', lines: 1, overflows: false },
          { label: 'ポイント利用', lines: 1, overflows: false },
          { label: 'ポイント調整', lines: 1, overflows: false },
        ])
        // The member's rank and card number are not split inside a word either.
        expect(await lineCounts(page.getByTestId('member-rank'))).toEqual([
          { label: 'レギュラー', lines: 1, overflows: false },
        ])
        expect(await lineCounts(page.getByTestId('member-card'))).toEqual([
          { label: expect.stringMatching(/^•••• •••• •••• \d{4}$/), lines: 1, overflows: false },
        ])
        // In English the labels may wrap, but only between words.
        await page.getByRole('button', { name: 'English' }).click()
        await page.getByRole('button', { name: 'Award points' }).waitFor()
        for (const tab of await tabLineCounts(page)) {
          expect(tab.overflows).toBe(false)
          expect(tab.lines).toBeLessThanOrEqual(tab.label.split(' ').length)
        }
        await page.getByRole('button', { name: '日本語' }).click()
        await page.getByRole('button', { name: 'ポイント付与' }).waitFor()
        // The page never scrolls sideways.
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(
          DEVICES[device].width,
        )
        saveArtifact(`till-${device}-manager.png`, await page.screenshot({ fullPage: true }))
      } finally {
        await till.close()
      }
    })
  }

  it('on a tablet in landscape (1280×800) the till fills the screen, the member beside the actions', async () => {
    const customer = newLineUserId()
    await issueByApi(server.url, customer, '中村 四葉')
    const till = await newTill(browser, server.url, 'tablet-landscape')
    try {
      const page = await till.newPage()
      await signInTill(page, 'demo-manager', 'demo-manager-pass')
      // No phone column between grey gutters: the header and the scan screen use the width.
      expect((await box(page, 'till-header')).width).toBe(1280)
      const scan = await box(page, 'scan')
      expect(scan.width).toBeGreaterThan(1000)
      // The scanner buttons and the manual field side by side.
      const camera = await box(page, 'scan-camera')
      const manual = await box(page, 'qr-manual')
      expect(manual.x).toBeGreaterThan(camera.x + camera.width)
      saveArtifact('till-tablet-landscape-scan.png', await page.screenshot())

      await lookUp(page, (await qrByApi(server.url, customer)).token)
      const member = await box(page, 'member')
      const amount = await box(page, 'amount')
      const review = await box(page, 'review')
      expect(amount.x).toBeGreaterThan(member.x + member.width)
      // Everything for an award is in view without scrolling.
      expect(review.y + review.height).toBeLessThanOrEqual(800)
      expect(member.y + member.height).toBeLessThanOrEqual(800)
      await page.getByLabel('お買い上げ金額（円）').fill('2480')
      await page.getByTestId('preview').getByText('付与予定').waitFor()
      saveArtifact('till-tablet-landscape-member.png', await page.screenshot())
      await page.getByTestId('review').click()
      await page.getByTestId('confirm-ok').click()
      await page.getByTestId('result').waitFor()
      saveArtifact('till-tablet-landscape-result.png', await page.screenshot())

      await page.getByTestId('nav-today').click()
      await page.getByTestId('tx').first().waitFor()
      expect((await box(page, 'tx')).width).toBeGreaterThan(1000)
      saveArtifact('till-tablet-landscape-today.png', await page.screenshot())
    } finally {
      await till.close()
    }
  })

  it('on a tablet in portrait (800×1280) the till is one column the width of the screen', async () => {
    const customer = newLineUserId()
    await issueByApi(server.url, customer, '山本 五月')
    const till = await newTill(browser, server.url, 'tablet-portrait')
    try {
      const page = await till.newPage()
      await signInTill(page, 'demo-manager', 'demo-manager-pass')
      expect((await box(page, 'till-header')).width).toBe(800)
      expect((await box(page, 'qr-manual')).width).toBeGreaterThan(650)
      saveArtifact('till-tablet-portrait-scan.png', await page.screenshot())
      await lookUp(page, (await qrByApi(server.url, customer)).token)
      const member = await box(page, 'member')
      const amount = await box(page, 'amount')
      expect(member.width).toBeGreaterThan(650)
      expect(amount.y).toBeGreaterThan(member.y + member.height)
      const review = await box(page, 'review')
      expect(review.y + review.height).toBeLessThanOrEqual(1280)
      expect(await tabLineCounts(page)).toEqual([
        { label: 'ポイント付与', lines: 1, overflows: false },
        { label: 'ポイント利用', lines: 1, overflows: false },
        { label: 'ポイント調整', lines: 1, overflows: false },
      ])
      saveArtifact('till-tablet-portrait-member.png', await page.screenshot())
    } finally {
      await till.close()
    }
  })

  it('the clerk stays signed in after closing the till and opening it again; signing out ends it', async () => {
    const till = await newTill(browser, server.url, 'tablet-landscape')
    try {
      const first = await till.newPage()
      await signInTill(first, 'demo-clerk', 'demo-clerk-pass')
      await first.close()
      // The window was closed: a new page of the same browser (device) opens on the till.
      const again = await till.newPage()
      await again.goto('/staff')
      await again.getByTestId('till').waitFor()
      expect(again.url()).toMatch(/\/staff$/)
      expect(await again.getByTestId('till-header').textContent()).toContain('demo-clerk')
      // The token kept is the one the server still honours.
      const token = await again.evaluate(() => localStorage.getItem('membercard.staff.token'))
      const me = await fetch(`${server.url}/api/staff/me`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(me.status).toBe(200)
      await again.getByTestId('sign-out').click()
      await again.getByTestId('staff-login').waitFor()
      expect(await again.evaluate(() => localStorage.getItem('membercard.staff.token'))).toBeNull()
      await again.close()
      const afterSignOut = await till.newPage()
      await afterSignOut.goto('/staff')
      await expect.poll(() => afterSignOut.url()).toMatch(/\/staff\/login$/)
      // …and the token it had is refused by the server.
      const refused = await fetch(`${server.url}/api/staff/me`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(refused.status).toBe(401)
    } finally {
      await till.close()
    }
  })

  it('a clerk is told to ask a manager for a void; a manager is not', async () => {
    const customer = newLineUserId()
    await issueByApi(server.url, customer, '加藤 六花')
    const till = await newTill(browser, server.url, 'phone')
    try {
      const page = await till.newPage()
      await signInTill(page, 'demo-clerk', 'demo-clerk-pass')
      await lookUp(page, (await qrByApi(server.url, customer)).token)
      await page.getByLabel('お買い上げ金額（円）').fill('1000')
      await page.getByTestId('review').click()
      await page.getByTestId('confirm-ok').click()
      await page.getByTestId('result').waitFor()
      expect(await page.getByTestId('result-ask-manager').textContent()).toContain(
        '店長に取消を依頼してください',
      )
      await page.getByTestId('nav-today').click()
      await page.getByTestId('tx').first().waitFor()
      expect(await page.getByTestId('void-ask-manager').textContent()).toContain(
        '店長に依頼してください',
      )
      expect(await page.getByTestId('void').count()).toBe(0)
      saveArtifact('till-phone-today-clerk.png', await page.screenshot({ fullPage: true }))
      await page.getByTestId('sign-out').click()
      await page.getByTestId('staff-login').waitFor()
      await signInTill(page, 'demo-manager', 'demo-manager-pass')
      await page.getByTestId('nav-today').click()
      await page.getByTestId('void').first().waitFor()
      expect(await page.getByTestId('void-ask-manager').count()).toBe(0)
    } finally {
      await till.close()
    }
  })

  describe('with codes that expire in 10 seconds', () => {
    let short: RunningServer

    beforeAll(async () => {
      short = await startServer({ env: { CARD_TOKEN_TTL_SECONDS: '10' } })
    })
    afterAll(async () => {
      await short?.stop()
      if (short) removeDataDir(short.dataDir)
    })

    it('when the code expires the till offers 再スキャン, and the same customer’s new code keeps the amount', async () => {
      const customer = newLineUserId()
      await issueByApi(short.url, customer, '吉田 七海')
      const till = await newTill(browser, short.url, 'phone')
      try {
        const page = await till.newPage()
        await signInTill(page, 'demo-clerk', 'demo-clerk-pass')
        const shown = await qrByApi(short.url, customer)
        await lookUp(page, shown.token)
        expect(await page.getByTestId('rescan').count()).toBe(0)
        await page.getByLabel('お買い上げ金額（円）').fill('1500')
        // The code runs out while the clerk is busy: the till says so and offers a re-scan.
        const rescan = page.getByRole('button', { name: '再スキャン' })
        await rescan.waitFor({ timeout: 15_000 })
        expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(shown.expiresAt))
        expect(await page.getByTestId('review').isDisabled()).toBe(true)
        saveArtifact('till-phone-qr-expired-rescan.png', await page.screenshot({ fullPage: true }))
        await rescan.click()
        // Back at the scan, ready for the code (the manual field has focus), saying what stays.
        await page.getByRole('heading', { name: '会員証を再スキャン' }).waitFor()
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('qr-manual')
        expect(await page.getByTestId('carried').textContent()).toContain('1,500\u00a0円')
        saveArtifact('till-phone-rescan.png', await page.screenshot({ fullPage: true }))
        const fresh = await qrByApi(short.url, customer)
        expect(fresh.token).not.toBe(shown.token)
        await lookUp(page, fresh.token)
        expect(await page.getByLabel('お買い上げ金額（円）').inputValue()).toBe('1500')
        expect(await page.getByTestId('rescan').count()).toBe(0)
        await page.getByTestId('review').click()
        await page.getByTestId('confirm-ok').click()
        await page.getByTestId('result').waitFor()
        expect(await page.getByTestId('result').textContent()).toContain(
          '15\u00a0pt を付与しました',
        )

        // A code that expired at the server (confirmed too late) offers the re-scan as well.
        await page.getByTestId('next-customer').click()
        await lookUp(page, (await qrByApi(short.url, customer)).token)
        await page.getByLabel('お買い上げ金額（円）').fill('800')
        await page.getByTestId('review').click()
        await page.route('**/api/staff/points', (route) =>
          route.fulfill({
            status: 410,
            contentType: 'application/json',
            body: JSON.stringify({ error: { code: 'QR_EXPIRED', message: 'expired' } }),
          }),
        )
        await page.getByTestId('confirm-ok').click()
        await page.getByTestId('till-error').waitFor()
        await page.unroute('**/api/staff/points')
        await rescan.click()
        await lookUp(page, (await qrByApi(short.url, customer)).token)
        expect(await page.getByLabel('お買い上げ金額（円）').inputValue()).toBe('800')
      } finally {
        await till.close()
      }
    })
  })
})
