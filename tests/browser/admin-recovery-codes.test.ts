import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { totpCode } from '../../server/src/services/totp.ts'
import {
  ensureAppBuilt,
  launchBrowser,
  type PageErrorLog,
  saveArtifact,
  watchCsp,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'

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

async function submitSignIn(page: Page, staffId: string, password: string) {
  await page.getByLabel('スタッフID').fill(staffId)
  await page.getByLabel('パスワード', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'ログイン' }).click()
}

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'ログアウト', exact: true }).click()
  await page.getByRole('heading', { name: 'ログイン' }).waitFor()
}

/** Signs in with a recovery code (the server asks for the second factor first). */
async function signInWithRecovery(page: Page, code: string) {
  await submitSignIn(page, ADMIN.id, ADMIN.password)
  await page.getByLabel('確認コード（6桁）').waitFor()
  await page
    .getByRole('button', { name: '認証アプリを使えない場合：リカバリーコードを使う' })
    .click()
  await page.getByLabel('リカバリーコード').fill(code)
  await page.getByRole('button', { name: 'ログイン' }).click()
}

async function shot(page: Page, name: string) {
  saveArtifact(name, await page.screenshot({ fullPage: true }))
}

const ADMIN = { id: 'demo-admin', password: 'demo-admin-pass' }
const CODE = /^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$/

describe('TOTP recovery codes in the console (issue 14, decision 093)', () => {
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

  it('shown once at enrollment, each signs in once in place of the code, the count left is shown, and new ones replace them', async () => {
    const desk = await newDesk(browser, server.url)
    try {
      const page = await desk.newPage()
      await page.goto('/admin/security')
      await submitSignIn(page, ADMIN.id, ADMIN.password)
      await page.getByTestId('security').waitFor()
      await page.getByRole('button', { name: 'QRコードを表示' }).click()
      const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').replace(
        /\s/g,
        '',
      )
      await page.getByLabel('確認コード（6桁）').fill(await totpCode(secret, Date.now()))
      await page.getByRole('button', { name: '設定を完了' }).click()

      // Ten codes, shown this once.
      const list = page.getByRole('list', { name: 'リカバリーコード（10個）' })
      await list.waitFor()
      const codes = (await list.getByRole('listitem').allTextContents()).map((c) => c.trim())
      expect(codes).toHaveLength(10)
      for (const c of codes) expect(c).toMatch(CODE)
      await shot(page, 'admin-recovery-01-codes.png')
      await page.getByRole('button', { name: '保存しました' }).click()
      await expect.poll(() => list.count()).toBe(0)
      await expect
        .poll(() => page.getByTestId('recovery-remaining').textContent())
        .toContain('残り：10')

      // A code in place of the 6-digit one, typed in lower case: in, told how many are left.
      await signOut(page)
      await signInWithRecovery(page, (codes[0] ?? '').toLowerCase())
      await page.getByTestId('recovery-used').waitFor()
      expect(new URL(page.url()).pathname).toBe('/admin/security')
      await expect
        .poll(() => page.getByTestId('recovery-remaining').textContent())
        .toContain('残り：9')
      await shot(page, 'admin-recovery-02-signed-in.png')

      // The same code again: refused, and said so.
      await signOut(page)
      await signInWithRecovery(page, codes[0] ?? '')
      await expect
        .poll(() => page.getByTestId('sign-in-error').textContent())
        .toContain('このリカバリーコードは使えません')
      await shot(page, 'admin-recovery-03-used-again.png')
      await page.getByLabel('リカバリーコード').fill(codes[1] ?? '')
      await page.getByRole('button', { name: 'ログイン' }).click()
      await page.getByTestId('recovery-used').waitFor()

      // New codes, proven with a current code from the app (a step after the enrollment's).
      await page.getByLabel('確認コード（6桁）').fill(await totpCode(secret, Date.now() + 30_000))
      await page.getByRole('button', { name: '新しいコードを作成' }).click()
      await list.waitFor()
      const fresh = (await list.getByRole('listitem').allTextContents()).map((c) => c.trim())
      expect(fresh).toHaveLength(10)
      expect(fresh.some((c) => codes.includes(c))).toBe(false)
      await page.getByRole('button', { name: '保存しました' }).click()
      await expect
        .poll(() => page.getByTestId('recovery-remaining').textContent())
        .toContain('残り：10')

      // The audit trail has each use and the new codes.
      await page.getByRole('link', { name: '監査ログ' }).click()
      const table = page.getByTestId('audit-table')
      await table.waitFor()
      await expect.poll(() => table.textContent()).toContain('リカバリーコードの再作成')
      expect(await table.textContent()).toContain('リカバリーコードでログイン')
      await shot(page, 'admin-recovery-04-audit.png')

      // An old code no longer works.
      await signOut(page)
      await signInWithRecovery(page, codes[2] ?? '')
      await expect
        .poll(() => page.getByTestId('sign-in-error').textContent())
        .toContain('このリカバリーコードは使えません')
    } finally {
      await desk.close()
    }
  })
})
