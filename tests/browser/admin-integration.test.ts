import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, BrowserContext, Page } from 'playwright-core'
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

/** The console's POS integration screen in Chromium: a key and a webhook secret shown once. */
describe('POS integration in the console (Chromium, demo mode)', () => {
  let server: RunningServer
  let browser: Browser
  let desk: BrowserContext
  let page: Page
  let pageErrors: PageErrorLog
  const received: string[] = []
  const receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      received.push(body)
      res.writeHead(204).end()
    })
  })

  beforeAll(async () => {
    ensureAppBuilt()
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
    ;[server, browser] = await Promise.all([
      startServer({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } }),
      launchBrowser(),
    ])
    pageErrors = watchPageErrors(browser)
    desk = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1366, height: 900 },
      locale: 'ja-JP',
    })
    await watchCsp(desk)
    page = await desk.newPage()
  })
  afterEach(() => {
    expect(pageErrors.take()).toEqual([])
  })
  afterAll(async () => {
    await desk?.close()
    await browser?.close()
    await server?.stop()
    receiver.close()
    if (server) removeDataDir(server.dataDir)
  })

  const shot = async (name: string) => {
    saveArtifact(name, await page.screenshot({ fullPage: true }))
  }

  it('an admin creates a key (shown once) that works at the till, then revokes it', async () => {
    await page.goto('/admin/sign-in')
    await page.getByLabel('スタッフID').fill('demo-admin')
    await page.getByLabel('パスワード', { exact: true }).fill('demo-admin-pass')
    await page.getByRole('button', { name: 'ログイン' }).click()
    await page.getByRole('link', { name: 'POS連携' }).click()
    await page.getByTestId('integration').waitFor()
    await page.getByText('APIキーはまだありません。').waitFor()

    await page.getByRole('button', { name: 'APIキーを発行' }).click()
    await page.getByPlaceholder('例：スマレジ 1号機').fill('スマレジ 1号機')
    await page.getByRole('button', { name: '作成' }).click()
    const shown = page.getByTestId('new-key')
    await shown.waitFor()
    await expect.poll(() => page.evaluate(() => document.getAnimations().length)).toBe(0)
    const key = ((await shown.textContent()) ?? '').trim()
    expect(key).toMatch(/^mck_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/)
    await shot('integration-01-key-shown-once.png')
    const till = () =>
      fetch(`${server.url}/api/staff/transactions`, { headers: { Authorization: `Bearer ${key}` } })
    expect((await till()).status).toBe(200)
    await page.getByRole('button', { name: '保存しました' }).click()

    const table = page.getByTestId('keys-table')
    await expect.poll(async () => (await table.textContent()) ?? '').toContain(key.slice(0, 12))
    // The key itself is never shown again.
    expect(await page.content()).not.toContain(key)
    await table.getByRole('button', { name: '失効させる' }).click()
    await page.getByRole('dialog').getByRole('button', { name: '失効させる' }).click()
    await expect.poll(async () => (await table.textContent()) ?? '').toContain('失効')
    expect((await till()).status).toBe(401)
    await shot('integration-02-key-revoked.png')
  })

  it('an admin adds a webhook (secret shown once), sends a test event and sees it delivered', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
    await page.getByRole('button', { name: 'エンドポイントを追加' }).click()
    await page.getByPlaceholder('https://crm.example.jp/membercard').fill(url)
    await page.getByRole('button', { name: '作成' }).click()
    const secret = page.getByTestId('new-secret')
    await secret.waitFor()
    expect((await secret.textContent())?.trim()).toMatch(/^whsec_/)
    await shot('integration-03-webhook-secret.png')
    await page.getByRole('button', { name: '保存しました' }).click()
    const hooks = page.getByTestId('webhooks-table')
    await hooks.getByRole('button', { name: 'テスト送信' }).click()
    await expect.poll(() => received.length).toBeGreaterThan(0)
    expect(JSON.parse(received[0] ?? '{}').type).toBe('webhook.test')
    await expect
      .poll(async () => {
        await hooks.getByRole('button', { name: '配信履歴' }).click()
        const text = (await page.getByRole('dialog').textContent()) ?? ''
        await page.keyboard.press('Escape')
        return text
      })
      .toContain('配信済み')
    await hooks.getByRole('button', { name: '配信履歴' }).click()
    await page.getByTestId('deliveries-table').waitFor()
    // The dialog's opening transition has ended.
    await expect.poll(() => page.evaluate(() => document.getAnimations().length)).toBe(0)
    await shot('integration-04-deliveries.png')
  })
})
