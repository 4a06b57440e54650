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

async function signIn(page: Page, staffId: string, password: string) {
  await page.getByLabel('スタッフID').fill(staffId)
  await page.getByLabel('パスワード', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'ログイン' }).click()
}

/** Waits until no animation runs on the page (a dialog fading in or out), then shoots. */
async function shot(page: Page, name: string) {
  await expect
    .poll(() =>
      page.evaluate(() => document.getAnimations().filter((a) => a.playState === 'running').length),
    )
    .toBe(0)
  saveArtifact(name, await page.screenshot({ fullPage: true }))
}

const ADMIN = { id: 'demo-admin', password: 'demo-admin-pass' }
const TARGET = { id: 'ho-admin-2', password: 'target-pass-1' }

describe('an admin resets another account’s second factor in the console (decision 091)', () => {
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

  /** A JSON call to the server with a bearer token. */
  const api = (path: string, init: { method?: string; token?: string; body?: unknown } = {}) =>
    fetch(`${server.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        'Content-Type': 'application/json',
        ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    })
  const login = async (body: Record<string, unknown>) => {
    const res = await api('/api/staff/login', { method: 'POST', body })
    return { status: res.status, json: (await res.json()) as Record<string, unknown> }
  }

  it('the staff page resets it; the account’s sessions end, it signs in with its password and is asked to enroll again', async () => {
    // A second admin, enrolled (through the API, as its own console would).
    const admin = await login({ staffId: ADMIN.id, password: ADMIN.password })
    expect(admin.status).toBe(200)
    const made = await api('/api/admin/staff', {
      method: 'POST',
      token: admin.json.token as string,
      body: { staffId: TARGET.id, role: 'admin', password: TARGET.password },
    })
    expect(made.status).toBe(201)
    const target = await login({ staffId: TARGET.id, password: TARGET.password })
    const token = target.json.token as string
    const enroll = await api('/api/admin/totp/enroll', { method: 'POST', token })
    const secret = ((await enroll.json()) as { secret: string }).secret
    const confirm = await api('/api/admin/totp/confirm', {
      method: 'POST',
      token,
      body: { code: await totpCode(secret, Date.now()) },
    })
    expect(confirm.status).toBe(200)

    const desk = await newDesk(browser, server.url)
    try {
      const page = await desk.newPage()
      await page.goto('/admin/staff')
      await signIn(page, ADMIN.id, ADMIN.password)
      const table = page.getByTestId('staff-table')
      await table.waitFor()
      const row = table.getByRole('row').filter({ hasText: TARGET.id })
      await expect.poll(() => row.textContent()).toContain('設定済み')
      // Not offered on one's own row (the server refuses it too).
      const own = table.getByRole('row').filter({ hasText: ADMIN.id })
      expect(await own.getByRole('button', { name: /2段階認証をリセット/ }).count()).toBe(0)

      await row.getByRole('button', { name: `2段階認証をリセット: ${TARGET.id}` }).click()
      const dialog = page.getByRole('dialog', { name: '2段階認証をリセット' })
      await dialog.waitFor()
      expect(await dialog.textContent()).toContain('すべての端末でログアウト')
      await shot(page, 'admin-totp-reset-01-confirm.png')
      await dialog.getByRole('button', { name: '2段階認証をリセット' }).click()
      await expect
        .poll(() => page.getByText(`${TARGET.id} の2段階認証をリセットしました。`).count())
        .toBeGreaterThan(0)
      await dialog.waitFor({ state: 'hidden' })
      await expect.poll(() => row.textContent()).toContain('未設定')
      expect(await row.getByRole('button', { name: /2段階認証をリセット/ }).count()).toBe(0)
      await shot(page, 'admin-totp-reset-02-done.png')

      // The account's session has ended; its password alone signs it in now.
      expect((await api('/api/admin/staff', { token })).status).toBe(401)

      // The audit trail has the reset.
      await page.getByRole('link', { name: '監査ログ' }).click()
      const audit = page.getByTestId('audit-table')
      await audit.waitFor()
      await expect.poll(() => audit.textContent()).toContain('2段階認証のリセット')
      await shot(page, 'admin-totp-reset-03-audit.png')
    } finally {
      await desk.close()
    }

    // The target signs in to the console with its password alone and is asked to enroll.
    const other = await newDesk(browser, server.url)
    try {
      const page = await other.newPage()
      await page.goto('/admin')
      await signIn(page, TARGET.id, TARGET.password)
      await page.getByTestId('enroll-notice').waitFor()
      await shot(page, 'admin-totp-reset-04-enroll-again.png')
    } finally {
      await other.close()
    }
  })
})
