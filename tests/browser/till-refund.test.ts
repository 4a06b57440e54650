import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ensureAppBuilt,
  issueByApi,
  launchBrowser,
  newLineUserId,
  newPhone,
  type PageErrorLog,
  qrByApi,
  saveArtifact,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import { newTill, signInTill } from '../support/sign-in.ts'

describe('a return (返品) at the till, from the list of today (demo mode)', () => {
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

  it('a clerk awards, then returns part of the purchase and then the rest; the customer sees it', async () => {
    // A digital card (regular, 200 pt bonus): 3,000 yen earns 30 pt at the demo's 1 %.
    const customer = newLineUserId()
    await issueByApi(server.url, customer, '返品 花子')
    const till = await newTill(browser, server.url)
    const phone = await newPhone(browser, server.url, { user: customer })
    try {
      const page = await till.newPage()
      await signInTill(page, 'demo-clerk', 'demo-clerk-pass')
      await page
        .getByLabel('QRコードの文字・手入力用コード（手入力・バーコードリーダー）')
        .fill((await qrByApi(server.url, customer)).token)
      await page.getByRole('button', { name: '確認' }).click()
      await page.getByTestId('member').waitFor()
      await page.getByLabel('お買い上げ金額（円）').fill('3000')
      await page.getByRole('button', { name: '付与内容を確認' }).click()
      await page.getByTestId('confirm-ok').click()
      await page.getByTestId('result').waitFor()
      expect(await page.getByTestId('result-balance').textContent()).toBe('230 pt')

      // The list of today: the award offers 返品 (to a clerk too; a void is a manager's).
      await page.getByTestId('nav-today').click()
      const awardRow = page
        .getByTestId('tx')
        .filter({ hasText: '返品 花子' })
        .filter({ hasText: '付与' })
      await awardRow.getByTestId('refund').click()
      const amount = awardRow.getByLabel('返品する金額（円）')
      await expect.poll(() => amount.inputValue()).toBe('3000')
      expect(await awardRow.textContent()).toContain('あと 3,000\u00a0円まで返品できます')
      await amount.fill('3001')
      expect(await awardRow.getByTestId('refund-review').isDisabled()).toBe(true)
      await amount.fill('1000')
      await expect
        .poll(() => awardRow.getByTestId('refund-preview').textContent())
        .toContain('戻すポイント：−10\u00a0pt')
      await awardRow.getByTestId('refund-review').click()
      expect(await awardRow.textContent()).toContain(
        '1,000\u00a0円を返品し、付与したポイントを戻します。',
      )
      saveArtifact('till-refund-1-confirm.png', await page.screenshot({ fullPage: true }))
      await awardRow.getByTestId('refund-confirm').click()
      await page.getByTestId('today-notice').waitFor()
      expect(await page.getByTestId('today-notice').textContent()).toContain(
        '返品しました（−10\u00a0pt）。新しい残高：220\u00a0pt',
      )
      await expect
        .poll(() => awardRow.getByTestId('refunded').textContent())
        .toBe('返品済み 1,000\u00a0円')
      const refundRow = page
        .getByTestId('tx')
        .filter({ hasText: '返品 花子' })
        .filter({ hasText: '−10 pt' })
      await expect.poll(() => refundRow.count()).toBe(1)
      saveArtifact('till-refund-2-done.png', await page.screenshot({ fullPage: true }))

      // The rest: 2,000 yen takes back the other 20 pt, and the award offers no more returns.
      await awardRow.getByTestId('refund').click()
      await expect.poll(() => awardRow.getByLabel('返品する金額（円）').inputValue()).toBe('2000')
      await awardRow.getByTestId('refund-review').click()
      await awardRow.getByTestId('refund-confirm').click()
      await expect
        .poll(() => page.getByTestId('today-notice').textContent())
        .toContain('返品しました（−20\u00a0pt）。新しい残高：200\u00a0pt')
      await expect.poll(() => awardRow.getByTestId('refund').count()).toBe(0)

      // The customer's history, Japanese first.
      const card = await phone.newPage()
      await card.goto('/history')
      const items = card.getByTestId('history-item')
      await items.first().waitFor()
      expect(await items.nth(0).textContent()).toContain('返品')
      expect(await items.nth(0).textContent()).toContain('−20')
      expect(await items.nth(1).textContent()).toContain('−10')
      expect(await items.nth(2).textContent()).toContain('+30')
      saveArtifact('till-refund-3-history.png', await card.screenshot({ fullPage: true }))
    } finally {
      await phone.close()
      await till.close()
    }
  })
})
