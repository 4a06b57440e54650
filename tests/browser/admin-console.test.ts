import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { totpCode } from '../../server/src/services/totp.ts'
import {
  decodeQr,
  ensureAppBuilt,
  launchBrowser,
  linkByApi,
  newLineUserId,
  type PageErrorLog,
  qrByApi,
  saveArtifact,
  staffPoints,
  staffToken,
  watchCsp,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import { submitStaffSignIn } from '../support/sign-in.ts'

/** The console on a desktop screen, Japanese first; a CSP violation is a page error. */
async function newDesk(browser: Browser, baseURL: string): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1366, height: 900 },
    locale: 'ja-JP',
  })
  await watchCsp(context)
  return context
}

/** Saves a full-page screenshot of `page` as `tests/artifacts/<name>`. */
async function shot(page: Page, name: string) {
  saveArtifact(name, await page.screenshot({ fullPage: true }))
}

const ADMIN = { id: 'demo-admin', password: 'demo-admin-pass' }

describe('the head office console in Chromium (demo mode)', () => {
  let server: RunningServer
  let browser: Browser
  let pageErrors: PageErrorLog
  /** The admin's desk, signed in with TOTP by the first test, used by the second. */
  let admin: { desk: BrowserContext; page: Page } | undefined

  beforeAll(async () => {
    ensureAppBuilt()
    ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
    pageErrors = watchPageErrors(browser)
  })
  afterEach(() => {
    expect(pageErrors.take()).toEqual([])
  })
  afterAll(async () => {
    await admin?.desk.close()
    await browser?.close()
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  it('an admin signs in with an HttpOnly session, enrolls TOTP from the QR code, then needs the code, and sees it all in the audit trail', async () => {
    const desk = await newDesk(browser, server.url)
    const page = await desk.newPage()
    admin = { desk, page }
    {
      await page.goto('/admin/security')
      await expect.poll(() => new URL(page.url()).pathname).toBe('/admin/sign-in')
      await shot(page, 'admin-01-sign-in.png')
      await submitStaffSignIn(page, ADMIN.id, ADMIN.password)
      // Back to the screen first asked for.
      await page.getByTestId('security').waitFor()
      expect(new URL(page.url()).pathname).toBe('/admin/security')

      // The session cookie is there, but no script can read it.
      const cookies = await desk.cookies()
      const session = cookies.find((c) => c.httpOnly)
      expect(session?.sameSite).toBe('Strict')
      expect(await page.evaluate(() => document.cookie)).not.toContain(session?.value ?? '?')
      expect(
        await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage })),
      ).not.toContain(session?.value ?? '?')

      // Enrollment: the QR code on screen is what an authenticator app reads.
      await page.getByRole('button', { name: 'QRコードを表示' }).click()
      const qr = page.getByTestId('totp-qr')
      await qr.waitFor()
      const otpauth = await decodeQr(saveArtifact('admin-02-totp-qr.png', await qr.screenshot()))
      expect(otpauth).toMatch(/^otpauth:\/\/totp\//)
      const secret = new URL(otpauth).searchParams.get('secret') ?? ''
      await shot(page, 'admin-03-totp-enroll.png')
      await page.getByLabel('確認コード（6桁）').fill(await totpCode(secret, Date.now()))
      await page.getByRole('button', { name: '設定を完了' }).click()
      await page.getByText('2段階認証を設定しました').waitFor()

      // Signed out, signing in again needs the code.
      await page.getByRole('button', { name: 'ログアウト', exact: true }).click()
      await page.getByRole('heading', { name: 'ログイン' }).waitFor()
      await submitStaffSignIn(page, ADMIN.id, ADMIN.password)
      await page.getByLabel('確認コード（6桁）').waitFor()
      expect(await page.getByTestId('sign-in-error').textContent()).toContain('6桁の確認コード')
      await shot(page, 'admin-04-totp-required.png')
      // (A code is taken once: the next step's code, within the server's ± one step.)
      await page.getByLabel('確認コード（6桁）').fill(await totpCode(secret, Date.now() + 30_000))
      await page.getByRole('button', { name: 'ログイン' }).click()
      await page.getByRole('navigation', { name: 'メニュー' }).waitFor()

      // The audit trail shows the sign-ins and the enrollment, newest first.
      await page.getByRole('link', { name: '監査ログ' }).click()
      const table = page.getByTestId('audit-table')
      await table.waitFor()
      const text = (await table.textContent()) ?? ''
      expect(text).toContain('2段階認証の設定')
      expect(text).toContain('ログイン')
      expect(text).toContain(ADMIN.id)
      await shot(page, 'admin-05-audit.png')
    }
  })

  it('after a link and an award at the till, the admin sees them on the dashboard, finds the member by the last 4 digits, adjusts with a reason, and sees it in the audit trail', async () => {
    if (!admin) throw new Error('the first test signs the admin in')
    const { page } = admin
    // A customer links the gold demo card (1,200 pt + the 200 pt bonus) and buys at the till.
    const customer = newLineUserId()
    await linkByApi(server.url, customer, '4900000000000011', '1234')
    const till = await staffToken(server.url)
    const { token: qrToken } = await qrByApi(server.url, customer)
    const award = await staffPoints(server.url, till, {
      qrToken,
      type: 'award',
      purchaseAmount: 3000,
    })
    expect(award.points).toBeGreaterThan(0)

    // The dashboard (the last 30 days by default) counts them.
    await page.getByRole('link', { name: 'ダッシュボード' }).click()
    await page.getByTestId('kpi-new-links').waitFor()
    const tile = async (id: string) =>
      (await page.getByTestId(id).locator('.value').textContent())?.trim()
    await expect.poll(() => tile('kpi-new-links')).toBe('1')
    expect(await tile('kpi-linked')).toBe('1')
    expect(await tile('kpi-bonus')).toBe('200 pt')
    expect(await tile('kpi-awarded')).toBe(`${award.points.toLocaleString('ja-JP')} pt`)
    expect(await page.getByTestId('by-store').textContent()).toMatch(/S001|STORE|store/i)
    await page.getByTestId('chart-points').locator('canvas').waitFor()
    await shot(page, 'admin-07-dashboard.png')

    // Found by the last 4 digits of the card number.
    await page.getByRole('link', { name: '会員', exact: true }).click()
    await page.getByLabel('会員を検索').fill('0011')
    await page.getByRole('button', { name: '検索' }).click()
    const results = page.getByTestId('member-results')
    await results.waitFor()
    expect(await results.locator('tbody tr').count()).toBe(1)
    await shot(page, 'admin-08-members.png')
    await results.getByRole('link').first().click()
    const balance = page.getByTestId('member-balance')
    await balance.waitFor()
    const before = award.balance
    expect((await balance.textContent())?.replace(/\D/g, '')).toBe(String(before))

    // An adjustment with a reason.
    await page.getByTestId('open-adjust').click()
    await page.getByLabel('調整ポイント（減らす場合はマイナス）').fill('-150')
    await page.getByLabel('理由（必須・監査ログに記録されます）').fill('二重付与の取り消し')
    await shot(page, 'admin-09-adjust.png')
    const answer = page.waitForResponse((r) => r.url().endsWith('/adjust'))
    await page.getByRole('button', { name: '調整する' }).click()
    const res = await answer
    expect(res.status()).toBe(200)
    expect(res.request().headers()['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/)
    await expect
      .poll(async () => (await balance.textContent())?.replace(/\D/g, ''))
      .toBe(String(before - 150))
    // The history reloads with the adjustment on top.
    await expect
      .poll(async () =>
        page.getByTestId('member-history').locator('tbody tr').first().textContent(),
      )
      .toContain('調整')
    await shot(page, 'admin-10-member.png')

    // The audit trail has it, with the reason, filtered by action.
    await page.getByRole('link', { name: '監査ログ' }).click()
    await page.getByTestId('audit-table').waitFor()
    // (By keyboard: the select is labelled, focusable, and opens with Enter.)
    await page.getByLabel('操作', { exact: true }).focus()
    await page.keyboard.press('Enter')
    await page.getByRole('option', { name: 'ポイント調整' }).click()
    await page.getByRole('button', { name: '絞り込む' }).click()
    await expect
      .poll(async () => page.getByTestId('audit-table').locator('tbody tr').count())
      .toBe(1)
    const row = (await page.getByTestId('audit-table').locator('tbody tr').textContent()) ?? ''
    expect(row).toContain('ポイント調整')
    expect(row).toContain('二重付与の取り消し')
    expect(row).toContain(ADMIN.id)
    await shot(page, 'admin-11-audit-adjust.png')
  })

  it('on a tablet, in English: the menu, the dashboard and the member search keep working', async () => {
    if (!admin) throw new Error('the first test signs the admin in')
    const { page } = admin
    await page.setViewportSize({ width: 820, height: 1180 })
    await page.getByRole('link', { name: 'ダッシュボード' }).click()
    await page.getByRole('button', { name: '表示言語を英語に切り替える' }).click()
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor()
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en')
    await page.getByTestId('kpi-new-links').waitFor()
    expect(await page.getByTestId('kpi-new-links').textContent()).toContain('New links')
    // Nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(820)
    await shot(page, 'admin-12-tablet-en-dashboard.png')
    await page.getByRole('link', { name: 'Members', exact: true }).click()
    await page.getByLabel('Find a member').fill('4900 0000 0000 0011')
    await page.keyboard.press('Enter')
    await expect.poll(() => page.getByTestId('member-results').locator('tbody tr').count()).toBe(1)
    await shot(page, 'admin-13-tablet-en-members.png')
    await page.getByRole('button', { name: 'Switch the language to Japanese' }).click()
    await page.getByRole('heading', { name: '会員', level: 1 }).waitFor()
  })

  it('a clerk cannot open the console: told so on the sign-in screen, and refused by the API', async () => {
    const desk = await newDesk(browser, server.url)
    try {
      const page = await desk.newPage()
      await page.goto('/admin')
      await expect.poll(() => new URL(page.url()).pathname).toBe('/admin/sign-in')
      await submitStaffSignIn(page, 'demo-clerk', 'demo-clerk-pass')
      const error = page.getByTestId('sign-in-error')
      await error.waitFor()
      expect(await error.textContent()).toContain('管理コンソールを利用できません')
      expect(await desk.cookies()).toEqual([])
      await shot(page, 'admin-06-clerk-refused.png')
      // Straight to a screen: still the sign-in.
      await page.goto('/admin/members')
      await expect.poll(() => new URL(page.url()).pathname).toBe('/admin/sign-in')
      // The clerk's till token opens no admin route.
      const token = await staffToken(server.url)
      const res = await fetch(`${server.url}/api/admin/audit`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(res.status).toBe(403)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN')
    } finally {
      await desk.close()
    }
  })
})
