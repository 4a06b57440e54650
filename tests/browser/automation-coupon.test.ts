import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ensureAppBuilt,
  launchBrowser,
  type PageErrorLog,
  saveArtifact,
  watchCsp,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import { submitStaffSignIn } from '../support/sign-in.ts'

/**
 * Decision 097: the console's automation card picks the coupon each messaged member gets
 * (`params.couponId`), from the active coupons, in Chromium (Element Plus, the console's CSP).
 */
const DRINK = 'ドリンク1杯無料 / Free drink'

describe('the automation card’s coupon picker (demo mode)', () => {
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

  it('an operator picks a demo coupon for the birthday message by keyboard; it is saved', async () => {
    const desk = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1366, height: 900 },
      locale: 'ja-JP',
    })
    await watchCsp(desk)
    try {
      const page = await desk.newPage()
      await page.goto('/admin/automations')
      await expect.poll(() => new URL(page.url()).pathname).toBe('/admin/sign-in')
      await submitStaffSignIn(page, 'demo-admin', 'demo-admin-pass')
      const card = page.getByTestId('automation-birthday')
      await card.waitFor()
      // The label names the combobox; the keyboard opens it and picks an option.
      const combo = card.getByRole('combobox', { name: 'あわせて配布するクーポン（任意）' })
      await card.getByText('あわせて配布するクーポン（任意）').click()
      await expect.poll(() => combo.evaluate((e) => e === document.activeElement)).toBe(true)
      await combo.press('Enter')
      const option = page.getByRole('option', { name: DRINK })
      await option.waitFor()
      saveArtifact('automation-coupon-1-open.png', await page.screenshot())
      await combo.fill('ドリンク')
      await combo.press('ArrowDown')
      await combo.press('Enter')
      await expect.poll(() => card.getByTestId('automation-coupon').textContent()).toContain(DRINK)
      const put = page.waitForResponse(
        (r) =>
          r.url().endsWith('/api/admin/automations/birthday') && r.request().method() === 'PUT',
      )
      await card.getByRole('button', { name: '保存' }).click()
      const answer = await put
      expect(answer.status()).toBe(200)
      const sent = JSON.parse(answer.request().postData() ?? '{}') as {
        params: { couponId: number }
      }
      expect(typeof sent.params.couponId).toBe('number')
      expect((await answer.json()).params.couponId).toBe(sent.params.couponId)
      saveArtifact('automation-coupon-2-saved.png', await page.screenshot({ fullPage: true }))
      // Kept: a reload shows the coupon picked.
      await page.reload()
      await page.getByTestId('automation-birthday').waitFor()
      await expect
        .poll(() =>
          page.getByTestId('automation-birthday').getByTestId('automation-coupon').textContent(),
        )
        .toContain(DRINK)
    } finally {
      await desk.close()
    }
  })
})
