import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
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

/**
 * Issue 15's proof in Chromium against the real server in demo mode (the stand-in LINE
 * multicasts, validates and reports the quota): an operator builds a segment by clicking,
 * sees the count, sends a campaign and sees it sent; a member turns promotions off in the
 * LIFF app and is excluded from the next campaign.
 */

const ADMIN = { id: 'demo-admin', password: 'demo-admin-pass' }
const GOLD = { number: '4900000000000011', pin: '1234' }
const SILVER = { number: '4900000000000029', pin: '2345' }

async function shot(page: Page, name: string) {
  saveArtifact(name, await page.screenshot({ fullPage: true }))
}

/** Opens an Element Plus select named `label` (the last on the page) and picks `option`. */
async function pick(page: Page, label: string, option: string) {
  await page
    .locator('.el-select', { has: page.getByRole('combobox', { name: label }) })
    .last()
    .click()
  await page.getByRole('option', { name: option }).last().click()
  await page.keyboard.press('Escape')
}

/** On the new campaign screen: the name, gold and silver by clicking, one text message. */
async function compose(page: Page, name: string, text: string) {
  await page.goto('/admin/campaigns/new')
  await page.getByRole('textbox', { name: '配信名（管理用）' }).fill(name)
  await page.getByRole('button', { name: '条件を追加' }).click()
  await pick(page, 'ランク', 'ゴールド')
  await pick(page, 'ランク', 'シルバー')
  await page.getByLabel('本文').fill(text)
}

/** Sends the composed campaign now and waits for its page to say it was sent. */
async function sendNow(page: Page) {
  await page.getByTestId('campaign-submit').click()
  const dialog = page.getByRole('dialog')
  await dialog.getByRole('button', { name: '送信する' }).click()
  await expect.poll(() => new URL(page.url()).pathname).toMatch(/^\/admin\/campaigns\/\d+$/)
  await expect
    .poll(async () => (await page.getByTestId('campaign-status').textContent())?.trim(), {
      timeout: 30_000,
    })
    .toBe('送信済み')
}

describe('segment delivery from the console (issue 15)', () => {
  let server: RunningServer
  let browser: Browser
  let pageErrors: PageErrorLog
  let desk: BrowserContext | undefined
  let phone: BrowserContext | undefined

  beforeAll(async () => {
    ensureAppBuilt()
    ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
    pageErrors = watchPageErrors(browser)
  })
  afterEach(() => {
    expect(pageErrors.take()).toEqual([])
  })
  afterAll(async () => {
    await phone?.close()
    await desk?.close()
    await browser?.close()
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  it('an operator builds a segment by clicking, sees the count, sends a campaign and sees it sent; a member who turns promotions off is excluded from the next one', async () => {
    const goldUser = newLineUserId()
    const silverUser = newLineUserId()
    await linkByApi(server.url, goldUser, GOLD.number, GOLD.pin)
    await linkByApi(server.url, silverUser, SILVER.number, SILVER.pin)

    desk = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1366, height: 900 },
      locale: 'ja-JP',
    })
    await watchCsp(desk)
    const page = await desk.newPage()
    await page.goto('/admin/sign-in')
    await page.getByLabel('スタッフID').fill(ADMIN.id)
    await page.getByLabel('パスワード', { exact: true }).fill(ADMIN.password)
    await page.getByRole('button', { name: 'ログイン' }).click()
    await page.getByRole('navigation', { name: 'メニュー' }).waitFor()
    // The dashboard shows this month's LINE message quota.
    await page.getByTestId('quota').getByText('通').first().waitFor()

    // The segment, by clicking: gold or silver members; both linked members match.
    await compose(page, '冬のセール', '冬のセールのお知らせです。会員様はポイント2倍！')
    await expect.poll(() => page.getByTestId('count-matched').textContent()).toBe('2 人')
    await expect.poll(() => page.getByTestId('count-reachable').textContent()).toBe('2 人')
    await shot(page, 'campaigns-01-compose.png')
    await sendNow(page)
    expect(await page.getByTestId('c-recipients').textContent()).toBe('2')
    expect(await page.getByTestId('c-sent').textContent()).toBe('2')
    expect(await page.getByTestId('c-excluded').textContent()).toBe('0')
    await shot(page, 'campaigns-02-sent.png')

    // The silver member turns promotions off in the LIFF app's settings.
    phone = await newPhone(browser, server.url, { user: silverUser })
    const liff = await phone.newPage()
    await liff.goto('/settings')
    const toggle = liff.getByLabel('お得な情報をLINEで受け取る')
    await expect.poll(() => toggle.isChecked()).toBe(true)
    const saved = liff.waitForResponse(
      (r) => r.url().endsWith('/api/me/preferences') && r.request().method() === 'PUT',
    )
    await toggle.uncheck()
    expect((await saved).status()).toBe(200)
    await expect.poll(() => toggle.isChecked()).toBe(false)

    // The next campaign to the same segment: still matched, no longer reachable, excluded.
    await compose(page, '冬のセール 第2弾', '第2弾のお知らせです。')
    await expect.poll(() => page.getByTestId('count-matched').textContent()).toBe('2 人')
    await expect.poll(() => page.getByTestId('count-reachable').textContent()).toBe('1 人')
    await sendNow(page)
    expect(await page.getByTestId('c-sent').textContent()).toBe('1')
    await expect.poll(() => page.getByTestId('c-opted-out').textContent()).toBe('1 人')
    await shot(page, 'campaigns-03-excluded.png')

    // Both are in the list, newest first.
    await page.getByRole('link', { name: '配信', exact: true }).click()
    const rows = page.getByTestId('campaigns-table').locator('tbody tr')
    await expect.poll(() => rows.count()).toBe(2)
    expect(await rows.first().textContent()).toContain('冬のセール 第2弾')
    expect(await rows.first().textContent()).toContain('送信済み')
  })
})
