import { randomUUID } from 'node:crypto'
import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ensureAppBuilt,
  launchBrowser,
  linkByApi,
  newLineUserId,
  type PageErrorLog,
  qrByApi,
  saveArtifact,
  staffScan,
  staffToken,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import { newTill, signInTill } from '../support/sign-in.ts'

/**
 * Decision 097: a manager reverses a coupon use from the till's list of today (not only on
 * the result screen right after the use), within the void window; a clerk is told to ask one.
 */
const BONUS = '50ポイントプレゼント / 50 bonus points'

describe('coupon uses in the till’s list of today (demo mode)', () => {
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

  it('a manager reverses a clerk’s coupon use from the list; the member has it back', async () => {
    // The first demo card holds the demo coupons (among them 50 bonus points from 1,000 yen).
    const member = newLineUserId()
    await linkByApi(server.url, member, '4900000000000011', '1234')
    const clerk = await staffToken(server.url)
    const { token: qrToken } = await qrByApi(server.url, member)
    const scan = await staffScan(server.url, clerk, qrToken)
    const coupon = (scan.body as { coupons?: { id: number; title: string }[] }).coupons?.find(
      (c) => c.title === BONUS,
    )
    if (!coupon) throw new Error('the demo card holds no bonus coupon')
    const used = await fetch(`${server.url}/api/staff/coupons/redeem`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${clerk}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({ qrToken, memberCouponId: coupon.id, purchaseAmount: 1500 }),
    })
    expect(used.status).toBe(200)
    const { redemptionId, balance } = (await used.json()) as {
      redemptionId: number
      balance: number
    }

    const till = await newTill(browser, server.url)
    const managerTill = await newTill(browser, server.url)
    try {
      // A clerk sees the use, but no way to reverse it: a manager's.
      const clerkPage = await till.newPage()
      await signInTill(clerkPage, 'demo-clerk', 'demo-clerk-pass')
      await clerkPage.getByTestId('nav-today').click()
      const clerkRow = clerkPage.getByTestId('coupon-use').filter({ hasText: BONUS })
      await clerkRow.waitFor()
      expect(await clerkRow.getByTestId('coupon-use-reverse').count()).toBe(0)
      expect(await clerkPage.getByTestId('coupon-uses-ask-manager').textContent()).toContain(
        'クーポン使用の取消は店長のみ行えます',
      )
      saveArtifact('till-coupon-uses-0-clerk.png', await clerkPage.screenshot({ fullPage: true }))

      const page = await managerTill.newPage()
      await signInTill(page, 'demo-manager', 'demo-manager-pass')
      await page.getByTestId('nav-today').click()
      const row = page.locator(`[data-redemption-id="${redemptionId}"]`)
      await row.waitFor()
      expect(await row.textContent()).toContain('50\u00a0pt 付与')
      expect(await row.textContent()).toContain('山田 花子')
      expect(await row.textContent()).toContain('1,500\u00a0円')
      await row.getByRole('button', { name: '使用を取消' }).click()
      const confirm = row.getByRole('group', { name: '使用を取消' })
      expect(await confirm.textContent()).toContain(`クーポン「${BONUS}」の使用を取り消しますか？`)
      expect(await confirm.textContent()).toContain('付与した50\u00a0ptも取り消します。')
      expect(await confirm.textContent()).not.toContain('次回クーポン')
      saveArtifact('till-coupon-uses-1-confirm.png', await page.screenshot({ fullPage: true }))
      const reversed = page.waitForResponse((r) => r.url().endsWith('/api/staff/coupons/reverse'))
      await confirm.getByRole('button', { name: '取り消す' }).click()
      const answer = await reversed
      expect(answer.status()).toBe(200)
      expect(answer.request().headers()['idempotency-key']).toBeTruthy()
      expect(await answer.json()).toMatchObject({ redemptionId, balance: balance - 50 })
      const notice = page.getByTestId('coupon-uses-notice')
      await expect
        .poll(() => notice.textContent())
        .toContain(`新しい残高：${new Intl.NumberFormat('ja-JP').format(balance - 50)}\u00a0pt`)
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.textContent))
        .toContain('使用を取り消しました')
      await expect.poll(() => row.textContent()).toContain('取消済み')
      // The points list above shows the bonus points' void too.
      await expect.poll(() => page.getByTestId('tx').filter({ hasText: '−50 pt' }).count()).toBe(1)
      expect(await row.getByTestId('coupon-use-reverse').count()).toBe(0)
      saveArtifact('till-coupon-uses-2-reversed.png', await page.screenshot({ fullPage: true }))

      // The member holds the coupon again: the till's scan lists it.
      const again = await staffScan(server.url, clerk, (await qrByApi(server.url, member)).token)
      const back = (again.body as { coupons?: { id: number }[] }).coupons?.map((c) => c.id)
      expect(back).toContain(coupon.id)
    } finally {
      await Promise.all([till.close(), managerTill.close()])
    }
  })
})
