import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  decodeQr,
  ensureAppBuilt,
  launchBrowser,
  linkByApi,
  newLineUserId,
  newPhone,
  type PageErrorLog,
  saveArtifact,
  staffScan,
  staffToken,
  unlinkByApi,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import { submitStaffSignIn } from '../support/sign-in.ts'

/** A short online token so the test sees it expire while the network is cut. */
const TTL_S = 10
const MANUAL = 'QRコードの文字・手入力用コード（手入力・バーコードリーダー）'

// A card that works with no signal (docs/decisions/067), in Chromium against a real server.
describe('the offline card code', () => {
  let server: RunningServer
  let browser: Browser
  let pageErrors: PageErrorLog
  const contexts: BrowserContext[] = []

  beforeAll(async () => {
    ensureAppBuilt()
    ;[server, browser] = await Promise.all([
      startServer({ env: { CARD_TOKEN_TTL_SECONDS: String(TTL_S) } }),
      launchBrowser(),
    ])
    pageErrors = watchPageErrors(browser)
  })
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close()
    // No uncaught exception, and no console error other than a failed request's, in any page.
    expect(pageErrors.take()).toEqual([])
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  async function till(): Promise<Page> {
    const context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1024, height: 768 },
      locale: 'ja-JP',
    })
    contexts.push(context)
    const page = await context.newPage()
    await page.goto('/staff')
    await expect.poll(() => page.url()).toMatch(/\/staff\/login$/)
    await submitStaffSignIn(page, 'demo-clerk', 'demo-clerk-pass')
    await page.getByTestId('till').waitFor()
    return page
  }

  /** Types `text` into the till's manual field; the scan's status and error code. */
  async function enter(page: Page, text: string): Promise<[number, string | null]> {
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/staff/scan')
    await page.getByLabel(MANUAL).fill(text)
    await page.getByRole('button', { name: '確認' }).click()
    const res = await answer
    const body = (await res.json()) as { error?: { code?: string } }
    return [res.status(), body.error?.code ?? null]
  }

  it('shows a decodable code with the network cut; the till takes it once; not after unlink', async () => {
    const user = newLineUserId()
    await linkByApi(server.url, user, '4900000000000029', '2345')
    const phone = await newPhone(browser, server.url, { user })
    contexts.push(phone)
    const card = await phone.newPage()
    const keyIssued = card.waitForResponse((r) => r.url().endsWith('/api/card/device-key'))
    await card.goto('/card')
    await card.getByTestId('qr-box').locator('svg').waitFor()
    expect((await keyIssued).status()).toBe(200)
    // Online: the short code to type is under the online QR.
    const short = card.getByTestId('short-code')
    await short.waitFor()
    expect(await short.textContent()).toMatch(/手入力用コード\s*\d+-\d{4} \d{4}/)
    saveArtifact('offline-01-online.png', await card.screenshot({ fullPage: true }))

    // The network cut: once the online token expires, the phone's own code takes its place.
    await phone.setOffline(true)
    const offlineQr = card.getByTestId('offline-qr')
    await offlineQr.waitFor({ timeout: TTL_S * 1000 + 5000 })
    const status = card.getByTestId('qr-status')
    expect(await status.textContent()).toMatch(
      /オフラインです。残高は\d{2}:\d{2}時点のものです。コードは30秒ごとに変わり、レジで1回使えます。/,
    )
    expect(await card.getByTestId('updated').textContent()).toMatch(/最終更新 \d{2}:\d{2}/)
    expect(await offlineQr.getAttribute('aria-label')).toContain('オフライン用')
    const png = saveArtifact('offline-02-qr.png', await card.getByTestId('qr-box').screenshot())
    saveArtifact('offline-03-card.png', await card.screenshot({ fullPage: true }))
    const code = await decodeQr(png)
    expect(code).toMatch(/^OFF1-\d+-\d{8}$/)
    // What the screen shows to type is the same code.
    const typed = (await short.textContent())?.replace('手入力用コード', '').trim() ?? ''
    expect(`OFF1-${typed.replace(' ', '')}`).toBe(code)

    // The till, online on another device: the scanned code once, then a replay is refused.
    const staff = await staffToken(server.url)
    const desk = await till()
    expect(await enter(desk, typed)).toEqual([200, null])
    await desk.getByTestId('member').waitFor()
    saveArtifact('offline-04-till-member.png', await desk.screenshot({ fullPage: true }))
    const award = await fetch(`${server.url}/api/staff/points`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${staff}`,
        'content-type': 'application/json',
        'idempotency-key': `offline-${user}-1`,
      },
      body: JSON.stringify({ qrToken: code, type: 'award', purchaseAmount: 500 }),
    })
    expect(award.status).toBe(200)
    const replay = await fetch(`${server.url}/api/staff/points`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${staff}`,
        'content-type': 'application/json',
        'idempotency-key': `offline-${user}-2`,
      },
      body: JSON.stringify({ qrToken: code, type: 'award', purchaseAmount: 500 }),
    })
    expect(replay.status).toBe(409)
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe(
      'QR_ALREADY_USED',
    )

    // After an unlink the phone's codes are refused (the key is revoked with the link).
    await unlinkByApi(server.url, user)
    const later = await decodeQr(
      saveArtifact('offline-05-after-unlink.png', await card.getByTestId('qr-box').screenshot()),
    )
    expect(later).toMatch(/^OFF1-\d+-\d{8}$/)
    const refused = await staffScan(server.url, staff, later)
    expect(refused.status).toBe(400)
    expect(refused.body.error?.code).toBe('QR_INVALID')
  })
})
