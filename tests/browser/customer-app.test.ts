import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  decodeQr,
  demoIdToken,
  ensureAppBuilt,
  holdWriteLock,
  launchBrowser,
  linkByApi,
  newLineUserId,
  newPhone,
  type PageErrorLog,
  saveArtifact,
  staffScan,
  staffToken,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'

/** A short QR lifetime so a test can watch a token expire and be replaced. */
const TTL_S = 10

describe('the customer LIFF app in a phone browser (demo mode)', () => {
  let server: RunningServer
  let browser: Browser
  let context: BrowserContext | undefined
  let pageErrors: PageErrorLog

  beforeAll(async () => {
    ensureAppBuilt()
    ;[server, browser] = await Promise.all([
      startServer({ env: { CARD_TOKEN_TTL_SECONDS: String(TTL_S) } }),
      launchBrowser(),
    ])
    pageErrors = watchPageErrors(browser)
  })
  afterEach(async () => {
    await context?.close()
    context = undefined
    // No uncaught exception, and no console error other than a failed request's, in any page.
    expect(pageErrors.take()).toEqual([])
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  /** The URLs the page opened by `open` requested, in order. */
  let requested: string[] = []
  /** The English messages' lazily loaded chunk (src/i18n/en.ts). */
  const EN_CHUNK = /\/assets\/en-[\w-]+\.js$/
  /** The router's lazily loaded chunk (src/router.ts and vue-router). */
  const ROUTER_CHUNK = /\/assets\/router-[\w-]+\.js$/

  async function open(
    user: string,
    path = '/',
    locale = 'ja-JP',
    baseUrl = server.url,
  ): Promise<Page> {
    context = await newPhone(browser, baseUrl, { user, locale })
    const page = await context.newPage()
    requested = []
    page.on('request', (r) => requested.push(r.url()))
    await page.goto(path)
    return page
  }

  /** Issues a digital card to `user` through the API (the bonus with it); its number and PIN. */
  async function issueByApi(
    user: string,
    name: string,
    baseUrl = server.url,
  ): Promise<{ cardNumber: string; pin: string }> {
    const res = await fetch(`${baseUrl}/api/cards`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await demoIdToken(baseUrl, { sub: user })}`,
        'content-type': 'application/json',
        'idempotency-key': `test-${user}`,
      },
      body: JSON.stringify({ name, consent: { version: '2026-11-01', accepted: true } }),
    })
    expect(res.status).toBe(201)
    return (await res.json()) as { cardNumber: string; pin: string }
  }

  /** The member tabs' names, once they are on screen. */
  async function tabNames(page: Page): Promise<string[]> {
    const tabs = page.getByRole('navigation', { name: '会員証' })
    await tabs.waitFor()
    return tabs.getByRole('link').allTextContents()
  }

  /** Screenshots the QR box, decodes it with zbarimg and returns the token. */
  async function readQr(page: Page, name: string): Promise<string> {
    const box = page.getByTestId('qr-box')
    await box.locator('svg').waitFor()
    const path = saveArtifact(name, await box.screenshot())
    return decodeQr(path)
  }

  it('first visit: consent, a typo, a wrong PIN, the right PIN, then the card with the bonus', async () => {
    const page = await open(newLineUserId())
    await expect.poll(() => page.url()).toMatch(/\/link$/)
    await page.getByRole('heading', { name: 'LINEと会員カードを連携' }).waitFor()
    expect(await page.getByTestId('bonus').textContent()).toContain('連携で200\u2060ポイント')
    expect(
      await page.getByRole('link', { name: 'プライバシーポリシー' }).getAttribute('href'),
    ).toBe('/privacy')
    saveArtifact('01-consent.png', await page.screenshot({ fullPage: true }))

    const card = page.getByLabel('カード番号（16桁）')
    const pin = page.getByLabel('暗証番号（4桁）')
    expect(await card.getAttribute('inputmode')).toBe('numeric')
    expect(await pin.getAttribute('type')).toBe('password')
    expect(await pin.getAttribute('inputmode')).toBe('numeric')

    // Submitting without consent: told what to do, next to the checkbox.
    await card.pressSequentially('4900000000000011')
    expect(await card.inputValue()).toBe('4900 0000 0000 0011')
    await pin.fill('1234')
    await page.getByRole('button', { name: '同意して連携する' }).click()
    await page.getByText('連携するには同意にチェックを入れてください。').waitFor()

    // A typo in the card number is caught by the check digit before anything is sent.
    await page.getByLabel('上記の内容とプライバシーポリシーに同意します').check()
    await card.fill('')
    await card.pressSequentially('4900000000000012')
    let linkCalls = 0
    page.on('request', (r) => {
      if (r.url().endsWith('/api/link') && r.method() === 'POST') linkCalls++
    })
    await page.getByRole('button', { name: '同意して連携する' }).click()
    await page.locator('#card-number-error').getByText('カード番号に誤りがあります').waitFor()
    expect(await card.getAttribute('aria-invalid')).toBe('true')
    expect(linkCalls).toBe(0)
    saveArtifact('02-card-typo.png', await page.screenshot({ fullPage: true }))

    // The right card with a wrong PIN: the server's CARD_OR_PIN_WRONG, shown by the PIN.
    await card.fill('')
    await card.pressSequentially('4900000000000011')
    await pin.fill('9999')
    await page.getByRole('button', { name: '同意して連携する' }).click()
    await page.locator('#pin-error').getByText('カード番号または暗証番号が違います').waitFor()
    expect(linkCalls).toBe(1)
    expect(await pin.inputValue()).toBe('')
    saveArtifact('03-wrong-pin.png', await page.screenshot({ fullPage: true }))

    // The right PIN: the card, with the bonus in the balance.
    await pin.fill('1234')
    await page.getByRole('button', { name: '同意して連携する' }).click()
    await expect.poll(() => page.url()).toMatch(/\/card$/)
    await page
      .getByTestId('flash')
      .getByText('連携が完了しました。200\u2060ポイントを付与しました')
      .waitFor()
    expect(await page.getByTestId('points').textContent()).toContain('1,400')
    expect(await page.getByTestId('member-name').textContent()).toBeTruthy()
    expect(await page.getByTestId('rank').textContent()).toBe('ゴールド')
    expect(await page.getByText('•••• •••• •••• 0011').count()).toBe(1)

    // The QR read back by an independent decoder is accepted by the till.
    const token = await readQr(page, '04-card-qr.png')
    saveArtifact('04-card.png', await page.screenshot({ fullPage: true }))
    const scan = await staffScan(server.url, await staffToken(server.url), token)
    expect(scan.status).toBe(200)
    expect(scan.body.member).toMatchObject({ cardNumber: '************0011', points: 1400 })

    // The bonus in the history, newest first.
    await page.getByRole('link', { name: '履歴' }).click()
    await page.getByRole('heading', { name: 'ポイント履歴' }).waitFor()
    const first = page.getByTestId('history-item').first()
    await first.waitFor()
    expect(await first.textContent()).toContain('連携ボーナス')
    expect(await first.textContent()).toContain('+200')
    // Expiry a year away (the default 365 days): a quiet line, not the warning.
    await page.getByTestId('expires-on').getByText('ポイントの有効期限：').waitFor()
    expect(await page.getByTestId('expiring').count()).toBe(0)
    saveArtifact('05-history.png', await page.screenshot({ fullPage: true }))
    // A Japanese phone never downloads the English messages.
    expect(requested.filter((u) => EN_CHUNK.test(u))).toEqual([])
  })

  it('refreshes the QR before it expires without a gap, and keeps it while offline until expiry', async () => {
    const user = newLineUserId()
    await linkByApi(server.url, user, '4900000000000029', '2345')
    const page = await open(user, '/card')
    await page.getByTestId('qr-box').locator('svg').waitFor()
    // Count every moment the QR box is without a code (a flash).
    await page.evaluate(() => {
      const box = document.querySelector('[data-testid="qr-box"]')
      const w = window as unknown as { qrGaps: number }
      w.qrGaps = 0
      new MutationObserver(() => {
        if (!box?.querySelector('svg')) w.qrGaps++
      }).observe(box as Node, { childList: true, subtree: true })
    })
    const staff = await staffToken(server.url)
    const first = await readQr(page, '06-qr-first.png')
    expect((await staffScan(server.url, staff, first)).status).toBe(200)
    // Points awarded at the till with this code show on the card with the next code.
    const award = await fetch(`${server.url}/api/staff/points`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${staff}`,
        'content-type': 'application/json',
        'idempotency-key': `award-${user}`,
      },
      body: JSON.stringify({ qrToken: first, type: 'award', purchaseAmount: 5000 }),
    })
    expect(award.status).toBe(200)
    const { balance } = (await award.json()) as { balance: number }
    expect(balance).toBeGreaterThan(550)

    // Past the first token's expiry, the screen shows a newer one the till accepts.
    await page.waitForResponse((r) => r.url().endsWith('/api/card/qr') && r.ok(), {
      timeout: TTL_S * 1000,
    })
    await expect.poll(() => readQr(page, '07-qr-refreshed.png')).not.toBe(first)
    const second = await readQr(page, '07-qr-refreshed.png')
    await expect
      .poll(async () => (await staffScan(server.url, staff, first)).body.error?.code, {
        timeout: TTL_S * 1000,
        interval: 500,
      })
      .toBe('QR_EXPIRED')
    expect((await staffScan(server.url, staff, second)).status).toBe(200)
    await expect
      .poll(() => page.getByTestId('points').textContent())
      .toBe(`${balance.toLocaleString('ja-JP')}pt`)
    expect(await page.evaluate(() => (window as unknown as { qrGaps: number }).qrGaps)).toBe(0)

    // Offline: the card says so and keeps the last code until it expires.
    await context!.setOffline(true)
    await page.getByTestId('qr-status').getByText('オフラインです').waitFor()
    const offlineToken = await readQr(page, '08-offline.png')
    saveArtifact('08-offline-card.png', await page.screenshot({ fullPage: true }))
    expect((await staffScan(server.url, staff, offlineToken)).status).toBe(200)
    // Past its expiry: the code computed on the phone (decision 067), which the till takes.
    await page.getByTestId('offline-qr').waitFor({ timeout: TTL_S * 1000 + 2000 })
    const own = await readQr(page, '09-offline-code.png')
    expect(own).toMatch(/^OFF1-\d+-\d{8}$/)
    expect((await staffScan(server.url, staff, own)).status).toBe(200)
    saveArtifact('09-offline-expired.png', await page.screenshot({ fullPage: true }))

    // Back online: a fresh code at once.
    await context!.setOffline(false)
    await page.getByTestId('qr-box').locator('svg').waitFor()
    const back = await readQr(page, '10-back-online.png')
    expect((await staffScan(server.url, staff, back)).status).toBe(200)
  })

  it('a returning user sees the cached card at once and the QR after LIFF init', async () => {
    const user = newLineUserId()
    await linkByApi(server.url, user, '4900000000000037', '3456')
    const page = await open(user, '/card')
    await page.getByTestId('qr-box').locator('svg').waitFor()
    expect(await page.getByTestId('points').textContent()).toBe('200pt')
    // Second visit: the balance is on screen before /api/me answers.
    let releaseMe: () => void = () => undefined
    await page.route('**/api/me', async (route) => {
      await new Promise<void>((r) => {
        releaseMe = r
      })
      await route.continue()
    })
    await page.reload()
    await page.getByTestId('qr-box').locator('svg').waitFor()
    expect(await page.getByTestId('points').textContent()).toBe('200pt')
    expect(await page.getByTestId('member-name').textContent()).toBe('Jane Smith')
    const meAnswered = page.waitForResponse((r) => r.url().endsWith('/api/me'))
    releaseMe()
    expect((await meAnswered).status()).toBe(200)
    await page.unrouteAll({ behavior: 'wait' })
    // A deep link through LINE (liff.line.me/{liffId}/history) arrives as liff.state.
    await page.goto('/?liff.state=%2Fhistory')
    await page.getByRole('heading', { name: 'ポイント履歴' }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/history')
  })

  it('shows the card before the router has arrived; a tab tapped meanwhile opens when it has', async () => {
    // A member with a digital card (the demo cards are linked by the other tests).
    const user = newLineUserId()
    const issued = await fetch(`${server.url}/api/cards`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await demoIdToken(server.url, { sub: user })}`,
        'content-type': 'application/json',
        'idempotency-key': `test-${user}`,
      },
      body: JSON.stringify({
        name: '先行 花子',
        consent: { version: '2026-11-01', accepted: true },
      }),
    })
    expect(issued.status).toBe(201)
    const page = await open(user, '/card')
    await page.getByTestId('qr-box').locator('svg').waitFor()
    // The router's chunk (router.ts with vue-router) is held back until released.
    let release: () => void = () => undefined
    const hold = async () => {
      const held = new Promise<void>((r) => {
        release = r
      })
      await page.route(ROUTER_CHUNK, async (route) => {
        await held
        await route.continue()
      })
    }
    const qrRequests = () => requested.filter((u) => u.endsWith('/api/card/qr')).length

    await hold()
    requested = []
    await page.reload()
    await page.getByTestId('qr-box').locator('svg').waitFor()
    expect(requested.some((u) => ROUTER_CHUNK.test(u))).toBe(true)
    expect(await page.getByTestId('member-name').textContent()).toBe('先行 花子')
    saveArtifact('19-card-before-router.png', await page.screenshot())
    expect(await readQr(page, '19-card-before-router-qr.png')).not.toBe('')
    // When the router arrives, the card on screen stays (the same element, no second code):
    // the card shown first leaves the page only when a tab that needs the router replaces it.
    await page.evaluate(() => {
      const first = document.querySelector('.card-screen')
      const w = window as unknown as { cardLeftOn?: string }
      new MutationObserver(() => {
        if (first && !first.isConnected) w.cardLeftOn ??= location.pathname
      }).observe(document.body, { childList: true, subtree: true })
    })
    release()
    const historyAnswered = page.waitForResponse((r) => r.url().includes('/api/points/history'))
    await page.getByRole('link', { name: '履歴' }).click()
    await page.getByRole('heading', { name: 'ポイント履歴' }).waitFor()
    await historyAnswered
    expect(await page.evaluate(() => (window as { cardLeftOn?: string }).cardLeftOn)).toBe(
      '/history',
    )
    // (Any QR request of the take-over is sent before the history screen's.)
    expect(qrRequests()).toBe(1)
    await page.unrouteAll({ behavior: 'wait' })

    // A tab tapped before the router is there waits for it in this page: the card stays on
    // screen meanwhile, and no page load of /history happens.
    await hold()
    await page.goto('/card')
    await page.getByTestId('qr-box').locator('svg').waitFor()
    await page.evaluate(() => {
      ;(window as { samePage?: boolean }).samePage = true
    })
    requested = []
    await page.getByRole('link', { name: '履歴' }).click()
    expect(new URL(page.url()).pathname).toBe('/card')
    expect(await page.getByTestId('qr-box').locator('svg').count()).toBe(1)
    release()
    await page.getByRole('heading', { name: 'ポイント履歴' }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/history')
    expect(await page.evaluate(() => (window as { samePage?: boolean }).samePage)).toBe(true)
    expect(requested.filter((u) => new URL(u).pathname === '/history')).toEqual([])
    await page.unrouteAll({ behavior: 'wait' })
  })

  it('recovers by itself from an expired cached ID token, and unlinks', async () => {
    const user = newLineUserId()
    // A returning customer, here one with a digital card issued earlier.
    const token = await demoIdToken(server.url, { sub: user })
    const res = await fetch(`${server.url}/api/cards`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': `test-${user}`,
      },
      body: JSON.stringify({
        name: '回復 太郎',
        consent: { version: '2026-11-01', accepted: true },
      }),
    })
    expect(res.status).toBe(201)
    // LIFF cached a token on an earlier visit that has expired since (the known problem).
    const stale = await demoIdToken(server.url, { sub: user, expiresIn: -600 })
    context = await newPhone(browser, server.url, { user })
    await context.addInitScript((t) => {
      if (location.protocol !== 'http:') return // about:blank's storage is off limits
      if (!sessionStorage.getItem('planted')) {
        sessionStorage.setItem('planted', '1')
        localStorage.setItem('LIFF_STORE:1000000000-demo:IDToken', t)
      }
    }, stale)
    const page = await context.newPage()
    const expired: string[] = []
    page.on('response', async (r) => {
      if (r.status() === 401)
        expired.push(((await r.json()) as { error: { code: string } }).error.code)
    })
    await page.goto('/card')
    await page.getByTestId('qr-box').locator('svg').waitFor()
    expect(expired).toContain('ID_TOKEN_EXPIRED')
    expect(await page.getByTestId('sign-in-again').count()).toBe(0)
    const qr = await readQr(page, '11-recovered-qr.png')
    expect((await staffScan(server.url, await staffToken(server.url), qr)).status).toBe(200)

    // Unlink: a confirmation saying what happens, then back to the consent screen.
    await page.getByRole('link', { name: '設定' }).click()
    const unlinkButton = page.getByRole('button', { name: '連携を解除する' })
    await unlinkButton.click()
    const dialog = page.getByRole('alertdialog', { name: '連携を解除しますか？' })
    await dialog.waitFor()
    expect(await dialog.textContent()).toContain('ポイントはカードに残ります')
    saveArtifact('12-unlink-dialog.png', await page.screenshot({ fullPage: true }))

    // What Chromium tells assistive technology: a modal alert dialog, named and described.
    const cdp = await context.newCDPSession(page)
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
      nodes: {
        role?: { value: string }
        name?: { value: string }
        description?: { value: string }
        properties?: { name: string; value: { value: unknown } }[]
      }[]
    }
    const ax = nodes.find((n) => n.role?.value === 'alertdialog')
    expect(ax?.name?.value).toBe('連携を解除しますか？')
    expect(ax?.description?.value).toContain('ポイントはカードに残ります')
    expect(ax?.properties?.find((p) => p.name === 'modal')?.value.value).toBe(true)
    await cdp.detach()

    // Focus starts on the safe choice and Tab never leaves the dialog; the page behind is inert.
    const focused = () =>
      page.evaluate(() => ({
        text: document.activeElement?.textContent?.trim(),
        inDialog: document.activeElement?.closest('dialog') !== null,
      }))
    expect(await focused()).toEqual({ text: 'キャンセル', inDialog: true })
    const seen = new Set<string>()
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab')
      const now = await focused()
      expect(now.inDialog, `after ${i + 1} presses focus is on "${now.text}"`).toBe(true)
      seen.add(now.text ?? '')
    }
    expect([...seen].sort()).toEqual(['キャンセル', '解除する'].sort())
    const nav = await page.getByRole('link', { name: '履歴', includeHidden: true }).boundingBox()
    expect(
      await page.evaluate(
        ([x, y]) => document.elementFromPoint(x!, y!)?.closest('dialog') !== null,
        [nav!.x + nav!.width / 2, nav!.y + nav!.height / 2],
      ),
    ).toBe(true)

    // Esc closes it without unlinking and gives focus back to the unlink button.
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    expect(await focused()).toEqual({ text: '連携を解除する', inDialog: false })
    expect(new URL(page.url()).pathname).toBe('/settings')
    const still = await fetch(`${server.url}/api/me`, {
      headers: { authorization: `Bearer ${await demoIdToken(server.url, { sub: user })}` },
    })
    expect(((await still.json()) as { linked: boolean }).linked).toBe(true)

    // Opened again and confirmed: unlinked as before.
    await unlinkButton.click()
    await dialog.waitFor()
    await dialog.getByRole('button', { name: '解除する' }).click()
    await expect.poll(() => page.url()).toMatch(/\/link$/)
    await page.getByText('連携を解除しました').waitFor()
    const after = await fetch(`${server.url}/api/me`, {
      headers: { authorization: `Bearer ${await demoIdToken(server.url, { sub: user })}` },
    })
    expect(await after.json()).toEqual({ linked: false })
  })

  it('shows "sign in again" with a button when recovery cannot get a valid token', async () => {
    const user = newLineUserId()
    const stale = await demoIdToken(server.url, { sub: user, expiresIn: -600 })
    const page = await open(user, '/settings')
    await page.getByRole('heading', { name: '設定' }).waitFor()
    // From now on LINE hands out only expired tokens (a revoked or broken session).
    await page.route('**/__line/demo/id-token', (route) =>
      route.fulfill({ json: { idToken: stale }, status: 200 }),
    )
    await page.evaluate((t) => localStorage.setItem('LIFF_STORE:1000000000-demo:IDToken', t), stale)
    await page.reload()
    await page.getByRole('link', { name: '設定' }).count()
    await page.goto('/card')
    const panel = page.getByTestId('sign-in-again')
    await panel.waitFor()
    expect(await panel.textContent()).toContain('もう一度ログインしてください')
    saveArtifact('13-sign-in-again.png', await page.screenshot({ fullPage: true }))
    // LINE works again: the button signs in and the app goes on.
    await page.unroute('**/__line/demo/id-token')
    await panel.getByRole('button', { name: 'もう一度ログイン' }).click()
    await expect.poll(() => page.url()).toMatch(/\/link$/)
    await page.getByRole('heading', { name: 'LINEと会員カードを連携' }).waitFor()
  })

  it('opens each screen directly, as the rich menu and permanent links do, with the member known', async () => {
    const user = newLineUserId()
    await issueByApi(user, '直行 次郎')
    // The member rich menu's 設定, on a phone that has never opened the app (nothing cached).
    const page = await open(user, '/settings')
    await page.getByRole('heading', { name: '設定' }).waitFor()
    expect(await tabNames(page)).toEqual(['会員証', 'クーポン', '履歴', '設定'])
    expect(await page.getByRole('link', { name: '設定' }).getAttribute('aria-current')).toBe('page')
    await page.getByRole('button', { name: '連携を解除する' }).waitFor()
    saveArtifact('23-settings-opened-directly.png', await page.screenshot({ fullPage: true }))
    // Opened again (the member cached this time): the same.
    await page.reload()
    await page.getByRole('heading', { name: '設定' }).waitFor()
    expect(await tabNames(page)).toEqual(['会員証', 'クーポン', '履歴', '設定'])
    await page.getByRole('button', { name: '連携を解除する' }).waitFor()
    // The rich menu's ポイント履歴: a fresh page load of /history.
    await page.goto('/history')
    await page.getByRole('heading', { name: 'ポイント履歴' }).waitFor()
    expect(await tabNames(page)).toEqual(['会員証', 'クーポン', '履歴', '設定'])
    expect(await page.getByTestId('history-item').first().textContent()).toContain('+200')
    saveArtifact('24-history-opened-directly.png', await page.screenshot({ fullPage: true }))

    // A LIFF permanent link (liff.line.me/{liffId}/settings) arrives as liff.state, in a
    // browser that has never opened the app either.
    await context!.close()
    const other = await open(user, '/?liff.state=%2Fsettings')
    await other.getByRole('heading', { name: '設定' }).waitFor()
    expect(new URL(other.url()).pathname).toBe('/settings')
    expect(await tabNames(other)).toEqual(['会員証', 'クーポン', '履歴', '設定'])
    await other.getByRole('button', { name: '連携を解除する' }).waitFor()
    await other.goto('/?liff.state=%2Fhistory')
    await other.getByRole('heading', { name: 'ポイント履歴' }).waitFor()
    expect(await tabNames(other)).toEqual(['会員証', 'クーポン', '履歴', '設定'])

    // A guest opening 設定 gets it without tabs and with nothing to unlink.
    await context!.close()
    const guest = await open(newLineUserId(), '/settings')
    await guest.getByRole('heading', { name: '設定' }).waitFor()
    await guest.getByRole('radio', { name: '日本語' }).waitFor()
    expect(await guest.getByRole('navigation', { name: '会員証' }).count()).toBe(0)
    expect(await guest.getByRole('button', { name: '連携を解除する' }).count()).toBe(0)
  })

  it("opened without a connection: the kept code until it expires, then says it cannot show one, with the balance's time and 再試行", async () => {
    const user = newLineUserId()
    await issueByApi(user, '地下 花子')
    const staff = await staffToken(server.url)
    const page = await open(user, '/card')
    const token = await readQr(page, '25-online-qr.png')
    const updated = page.getByTestId('updated')
    expect(await updated.textContent()).toMatch(/^\s*最終更新 \d{2}:\d{2}\s*$/)
    const fetched = (await updated.textContent())?.trim()
    const status = page.getByTestId('qr-status')

    /**
     * Opens the card again with no connection. The page and its code come from where the
     * webview kept them (served here by the test, as a cache would); nothing reaches the server.
     */
    async function reopenOffline() {
      await context!.setOffline(true)
      await page.route(
        (url) => !url.pathname.startsWith('/api/'),
        async (route) => {
          const res = await fetch(route.request().url())
          const headers: Record<string, string> = {}
          res.headers.forEach((value, name) => {
            headers[name] = value
          })
          await route.fulfill({
            status: res.status,
            headers,
            body: Buffer.from(await res.arrayBuffer()),
          })
        },
      )
      await page.reload()
    }

    // Within the code's life: the code kept from the last visit, with when it stops working.
    await reopenOffline()
    await page.getByTestId('qr-box').locator('svg').waitFor()
    expect(await readQr(page, '26-offline-kept-qr.png')).toBe(token)
    expect(await status.textContent()).toMatch(
      /^\s*オフラインです。このコードは\d{2}:\d{2}:\d{2}まで使えます。\s*$/,
    )
    expect((await staffScan(server.url, staff, token)).status).toBe(200)
    // The last known balance, with when it was fetched.
    expect(await page.getByTestId('points').textContent()).toBe('200pt')
    expect((await updated.textContent())?.trim()).toBe(fetched)
    saveArtifact('26-offline-kept.png', await page.screenshot({ fullPage: true }))

    // Past its expiry: the phone's own offline code (decision 067), with the balance's age.
    await page.getByTestId('offline-qr').waitFor({ timeout: TTL_S * 1000 + 2000 })
    expect(await status.textContent()).toContain(`残高は${fetched?.replace('最終更新 ', '')}時点`)
    const retry = page.getByRole('button', { name: '再試行' })

    // Opened once more with nothing valid kept (no device key either): said at once, never an
    // empty grey box; no promise that a code works.
    await page.evaluate(() => {
      for (const key of Object.keys(localStorage)) {
        if (key.startsWith('membercard.devkey:')) localStorage.removeItem(key)
      }
    })
    await reopenOffline()
    await retry.waitFor()
    expect(await retry.getAttribute('aria-describedby')).toBe('qr-status')
    expect(await page.locator('.qr-placeholder').count()).toBe(0)
    expect(await status.textContent()).toContain('通信できないためコードを表示できません')
    expect(await status.textContent()).not.toContain('使えます')
    expect(await page.getByTestId('points').textContent()).toBe('200pt')
    expect((await updated.textContent())?.trim()).toBe(fetched)
    saveArtifact('27-offline-no-code.png', await page.screenshot({ fullPage: true }))
    // 再試行 with no connection yet: still said honestly, and it can be tapped again.
    await retry.click()
    await expect.poll(() => retry.isEnabled()).toBe(true)
    expect(await page.getByTestId('qr-box').locator('svg').count()).toBe(0)
    expect(await status.textContent()).toContain('通信できないためコードを表示できません')

    // The network back: a fresh code the till accepts.
    await context!.setOffline(false)
    await page.unrouteAll({ behavior: 'wait' })
    await page.getByTestId('qr-box').locator('svg').waitFor()
    const back = await readQr(page, '28-back-online-qr.png')
    expect((await staffScan(server.url, staff, back)).status).toBe(200)
    await expect.poll(() => status.textContent()).toContain('レジでこのQRコードをご提示ください')

    // 再試行 itself, where the browser believes it is online but no answer comes (a dead
    // signal): it asks at once, not when the back-off would have.
    await page.evaluate(() => {
      for (const key of Object.keys(localStorage)) {
        if (key.startsWith('membercard.qr:')) localStorage.removeItem(key)
      }
    })
    let refused = 0
    await page.route('**/api/card/qr', (route) => {
      refused++
      return route.abort('connectionrefused')
    })
    await page.reload()
    await retry.waitFor()
    // The start's two tries (the early one and the card's), then the first back-off's (2 s):
    // the next one is 4 s away.
    await expect.poll(() => refused, { timeout: 5000 }).toBeGreaterThanOrEqual(3)
    await page.unroute('**/api/card/qr')
    const asked = page.waitForRequest((r) => r.url().endsWith('/api/card/qr'), { timeout: 2500 })
    await retry.click()
    await asked
    await page.getByTestId('qr-box').locator('svg').waitFor()
    const retried = await readQr(page, '29-retried-qr.png')
    expect((await staffScan(server.url, staff, retried)).status).toBe(200)
  })

  it('after an unlink, the consent screen promises no second bonus; linking says what it granted', async () => {
    // A member whose digital card brought the bonus, unlinking in 設定.
    const user = newLineUserId()
    const card = await issueByApi(user, '解除 一郎')
    const page = await open(user, '/settings')
    await page.getByRole('button', { name: '連携を解除する' }).click()
    await page.getByRole('alertdialog').getByRole('button', { name: '解除する' }).click()
    await expect.poll(() => page.url()).toMatch(/\/link$/)
    await page.getByText('連携を解除しました').waitFor()
    await page.getByRole('heading', { name: 'LINEと会員カードを連携' }).waitFor()
    expect(await page.getByTestId('bonus').count()).toBe(0)
    expect(await page.getByText('ポイントプレゼント').count()).toBe(0)
    saveArtifact('30-link-after-unlink.png', await page.screenshot({ fullPage: true }))
    // Nor on the issue screen: the bonus is once per LINE user.
    await page.getByRole('link', { name: 'デジタル会員証を新しく発行する' }).click()
    await page.getByRole('heading', { name: 'デジタル会員証を発行' }).waitFor()
    expect(await page.getByTestId('bonus').count()).toBe(0)
    await context!.close()

    // Another LINE user, who has never had it: promised, and the card they link has had it,
    // so the result says no points came this time.
    const next = await open(newLineUserId(), '/link')
    await next.getByTestId('bonus').getByText('連携で200\u2060ポイントプレゼント').waitFor()
    await next.getByLabel('上記の内容とプライバシーポリシーに同意します').check()
    await next.getByLabel('カード番号（16桁）').pressSequentially(card.cardNumber)
    await next.getByLabel('暗証番号（4桁）').fill(card.pin)
    await next.getByRole('button', { name: '同意して連携する' }).click()
    await expect.poll(() => next.url()).toMatch(/\/card$/)
    await next
      .getByTestId('flash')
      .getByText(
        '連携が完了しました。このカードは以前に連携ボーナスを受け取っているため、今回のポイント付与はありません。',
      )
      .waitFor()
    expect(await next.getByTestId('points').textContent()).toBe('200pt')
    saveArtifact('31-linked-no-second-bonus.png', await next.screenshot({ fullPage: true }))
  })

  it('a consent screen opened before the terms changed: CONSENT_OUTDATED shows the current version and asks again', async () => {
    // A free card: a digital card issued to someone who then unlinked.
    const owner = newLineUserId()
    const card = await issueByApi(owner, '同意 更新')
    const unlink = await fetch(`${server.url}/api/link`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await demoIdToken(server.url, { sub: owner })}` },
    })
    expect(unlink.status).toBe(204)
    context = await newPhone(browser, server.url, { user: newLineUserId() })
    const page = await context.newPage()
    // The page started with the settings of before the change (the previous terms' version).
    let configs = 0
    await page.route('**/api/config', async (route) => {
      configs++
      if (configs > 1) return route.continue()
      const res = await route.fetch()
      const config = { ...(await res.json()), consentVersion: '2025-04-01' }
      return route.fulfill({ response: res, json: config })
    })
    await page.goto('/link')
    const version = page.getByTestId('consent-version')
    await version.getByText('同意内容の版：2025-04-01').waitFor()
    const box = page.getByLabel('上記の内容とプライバシーポリシーに同意します')
    await box.check()
    await page.getByLabel('カード番号（16桁）').pressSequentially(card.cardNumber)
    await page.getByLabel('暗証番号（4桁）').fill(card.pin)
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/link')
    await page.getByRole('button', { name: '同意して連携する' }).click()
    const refused = await answer
    expect(refused.status()).toBe(409)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'CONSENT_OUTDATED',
    )
    // The current terms' version, the box unticked and focused, and what to do.
    await version.getByText('同意内容の版：2026-11-01').waitFor()
    await page
      .getByText(
        '同意いただく内容が更新されました。最新の内容をお読みのうえ、もう一度同意にチェックを入れてください。',
      )
      .waitFor()
    expect(await box.isChecked()).toBe(false)
    await expect.poll(() => page.evaluate(() => document.activeElement?.id ?? null)).toBe('consent')
    expect(page.url()).toMatch(/\/link$/)
    saveArtifact('40-consent-outdated.png', await page.screenshot({ fullPage: true }))
    // Agreeing again links, with the current version.
    await box.check()
    const linked = page.waitForRequest((r) => new URL(r.url()).pathname === '/api/link')
    await page.getByRole('button', { name: '同意して連携する' }).click()
    expect(JSON.parse((await linked).postData() ?? '{}').consent).toEqual({
      version: '2026-11-01',
      accepted: true,
    })
    await expect.poll(() => page.url()).toMatch(/\/card$/)
  })

  it('issues a new digital card with the bonus, once', async () => {
    const page = await open(newLineUserId(), '/link')
    await page.getByRole('link', { name: 'デジタル会員証を新しく発行する' }).click()
    await page.getByRole('heading', { name: 'デジタル会員証を発行' }).waitFor()
    await page.getByLabel('お名前').fill('新規 花子')
    await page.getByRole('button', { name: '同意して発行する' }).click()
    await page.getByText('発行するには同意にチェックを入れてください。').waitFor()
    await page.getByLabel('上記の内容とプライバシーポリシーに同意します').check()
    await page.getByRole('button', { name: '同意して発行する' }).click()
    await page.getByRole('heading', { name: 'デジタル会員証を発行しました' }).waitFor()
    const issued = (await page.getByTestId('issued-card').textContent()) ?? ''
    expect(issued).toMatch(/^9\d{3} \d{4} \d{4} \d{4}$/)
    expect(await page.getByTestId('issued-pin').textContent()).toMatch(/^\d{4}$/)
    saveArtifact('14-issued.png', await page.screenshot({ fullPage: true }))
    await page.getByRole('button', { name: '会員証を表示する' }).click()
    await page
      .getByTestId('flash')
      .getByText('デジタル会員証を発行しました。200\u2060ポイントを付与しました')
      .waitFor()
    expect(await page.getByTestId('points').textContent()).toContain('200')
    expect(await page.getByTestId('member-name').textContent()).toBe('新規 花子')
    const token = await readQr(page, '15-issued-card-qr.png')
    const scan = await staffScan(server.url, await staffToken(server.url), token)
    expect(scan.body.member).toMatchObject({
      cardNumber: `************${issued.slice(-4)}`,
      points: 200,
    })
  })

  it('speaks English on an English phone, and switches language in settings', async () => {
    context = await newPhone(browser, server.url, { user: newLineUserId(), locale: 'en-US' })
    // Records any Japanese text the app ever puts on screen (a flash before English arrives).
    await context.addInitScript(() => {
      const w = window as unknown as { sawJapanese: string[] }
      w.sawJapanese = []
      new MutationObserver(() => {
        const m = /[\u3040-\u30ff\u4e00-\u9fff]+/.exec(
          document.getElementById('app')?.textContent ?? '',
        )
        if (m) w.sawJapanese.push(m[0])
      }).observe(document, { childList: true, subtree: true, characterData: true })
    })
    const page = await context.newPage()
    requested = []
    page.on('request', (r) => requested.push(r.url()))
    // English arrives late (a slow network): the first screen must wait for it, not show Japanese.
    await page.route(EN_CHUNK, async (route) => {
      await new Promise((r) => setTimeout(r, 1500))
      await route.continue()
    })
    await page.goto('/')
    await page.getByRole('heading', { name: 'Link your member card with LINE' }).waitFor()
    expect(requested.filter((u) => EN_CHUNK.test(u))).toHaveLength(1)
    expect(await page.getByTestId('bonus').textContent()).toContain('Get 200 points for linking')
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en')
    await page.getByLabel('I agree to the above and to the privacy policy').check()
    await page.getByLabel('Card number (16 digits)').pressSequentially('4900000000000012')
    await page.getByLabel('PIN (4 digits)').fill('1234')
    await page.getByRole('button', { name: 'Agree and link' }).click()
    await page.getByText('This card number has a typo').waitFor()
    saveArtifact('16-consent-en.png', await page.screenshot({ fullPage: true }))
    expect(
      await page.evaluate(() => (window as unknown as { sawJapanese: string[] }).sawJapanese),
    ).toEqual([])

    await page.getByRole('link', { name: 'Settings' }).click()
    await page.getByLabel('日本語').check()
    await page.getByRole('heading', { name: '設定' }).waitFor()
    await page.reload()
    await page.getByRole('heading', { name: '設定' }).waitFor()
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('ja')
    saveArtifact('17-settings-ja.png', await page.screenshot({ fullPage: true }))
    // Chosen Japanese: English is not loaded at start any more, only when chosen again.
    expect(requested.filter((u) => EN_CHUNK.test(u))).toHaveLength(1)
    requested = []
    await page.reload()
    await page.getByRole('heading', { name: '設定' }).waitFor()
    expect(requested.filter((u) => EN_CHUNK.test(u))).toEqual([])
    await page.getByLabel('English').check()
    await page.getByRole('heading', { name: 'Settings' }).waitFor()
    expect(requested.filter((u) => EN_CHUNK.test(u))).toHaveLength(1)
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en')
  })

  describe('with points that expire soon (POINTS_EXPIRY_DAYS=60)', () => {
    let soon: RunningServer

    beforeAll(async () => {
      soon = await startServer({ env: { POINTS_EXPIRY_DAYS: '60' } })
    })
    afterAll(async () => {
      await soon?.stop()
      if (soon) removeDataDir(soon.dataDir)
    })

    it('warns on the history screen with the points and the date they expire', async () => {
      const user = newLineUserId()
      // Silver, 350 pt, plus the 200 pt bonus: last activity now, so it all expires in 60 days.
      await linkByApi(soon.url, user, '4900000000000029', '2345')
      const res = await fetch(`${soon.url}/api/points/history`, {
        headers: { authorization: `Bearer ${await demoIdToken(soon.url, { sub: user })}` },
      })
      const { expiring } = (await res.json()) as {
        expiring: { points: number; expiresAt: string } | null
      }
      expect(expiring?.points).toBe(550)
      const inDays = (Date.parse(expiring!.expiresAt) - Date.now()) / 86_400_000
      expect(inDays).toBeGreaterThan(59)
      expect(inDays).toBeLessThan(90)

      const page = await open(user, '/history', 'ja-JP', soon.url)
      await page.getByRole('heading', { name: 'ポイント履歴' }).waitFor()
      const warning = page.getByTestId('expiring')
      await warning.waitFor()
      // The date as a Japanese reader expects it, on the phone's calendar day.
      const timeZone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)
      const date = new Intl.DateTimeFormat('ja-JP', { dateStyle: 'long', timeZone }).format(
        new Date(expiring!.expiresAt),
      )
      expect(date).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日$/)
      expect(await warning.textContent()).toContain(`550\u00a0ptが${date}に失効します。`)
      expect(await warning.getAttribute('role')).toBe('note')
      expect(await page.getByTestId('expires-on').count()).toBe(0)
      // Prominent: on the first screen without scrolling, above the history, in bold.
      expect(await warning.isVisible()).toBe(true)
      const box = (await warning.boundingBox())!
      expect(box.y + box.height).toBeLessThanOrEqual(844)
      await page.getByTestId('history-item').first().waitFor()
      const list = (await page.getByTestId('history').boundingBox())!
      expect(box.y).toBeLessThan(list.y)
      expect(await warning.evaluate((el) => getComputedStyle(el).fontWeight)).toBe('700')
      saveArtifact('18-history-expiring.png', await page.screenshot({ fullPage: true }))
    })
  })

  describe('when linking is refused or the server is busy (a server of its own)', () => {
    let own: RunningServer

    beforeAll(async () => {
      own = await startServer()
    })
    afterAll(async () => {
      await own?.stop()
      if (own) removeDataDir(own.dataDir)
    })

    /** The consent screen of a new customer on `own`, consent given. */
    async function consentGiven() {
      const page = await open(newLineUserId(), '/link', 'ja-JP', own.url)
      await page.getByRole('heading', { name: 'LINEと会員カードを連携' }).waitFor()
      await page.getByLabel('上記の内容とプライバシーポリシーに同意します').check()
      return {
        page,
        card: page.getByLabel('カード番号（16桁）'),
        pin: page.getByLabel('暗証番号（4桁）'),
        /** Submits the form; resolves with the link answer's status and error code. */
        submit: async (): Promise<[number, string | null, Headers]> => {
          const answer = page.waitForResponse(
            (r) => r.url().endsWith('/api/link') && r.request().method() === 'POST',
          )
          await page.getByRole('button', { name: '同意して連携する' }).click()
          const res = await answer
          const body = (await res.json()) as { error?: { code?: string } }
          return [res.status(), body.error?.code ?? null, new Headers(await res.allHeaders())]
        },
      }
    }

    it('too many wrong PINs: the card is locked, and the screen says for how long and to ask the store (429)', async () => {
      const { page, card, pin, submit } = await consentGiven()
      await card.pressSequentially('4900000000000029')
      // Three wrong PINs, each answered "wrong" by the PIN field.
      for (const wrong of ['0000', '1111', '2222']) {
        await pin.fill(wrong)
        expect((await submit()).slice(0, 2)).toEqual([422, 'CARD_OR_PIN_WRONG'])
        await page.locator('#pin-error').getByText('カード番号または暗証番号が違います').waitFor()
      }
      // The fourth try, with the right PIN, is refused for a minute (the card's delay grows
      // with each failure; docs/decisions/035).
      await pin.fill('2345')
      const [status, code, headers] = await submit()
      expect([status, code]).toEqual([429, 'TOO_MANY_ATTEMPTS'])
      const retryAfter = Number(headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThan(0)
      expect(retryAfter).toBeLessThanOrEqual(60)
      const alert = page.getByTestId('form-error')
      await alert.waitFor()
      expect(await alert.getAttribute('role')).toBe('alert')
      expect(await alert.textContent()).toContain(
        '入力の誤りが続いたため、このカードの連携を一時的に止めています。1\u2060分後にもう一度お試しいただくか、店舗にお問い合わせください（ロックを解除できます）。',
      )
      expect(new URL(page.url()).pathname).toBe('/link')
      saveArtifact('20-too-many-attempts.png', await page.screenshot({ fullPage: true }))
    })

    it('a card another LINE account has linked is refused, with whom to ask (409)', async () => {
      // Someone else linked the card first, from their own LINE account.
      const owner = newLineUserId()
      await linkByApi(own.url, owner, '4900000000000011', '1234')
      const { page, card, pin, submit } = await consentGiven()
      await card.pressSequentially('4900000000000011')
      await pin.fill('1234')
      expect((await submit()).slice(0, 2)).toEqual([409, 'CARD_ALREADY_LINKED'])
      const error = page.locator('#card-number-error')
      await error.waitFor()
      expect(await error.textContent()).toContain(
        'このカードは別のLINEアカウントと連携済みです。お心当たりがない場合は店舗にお問い合わせください。',
      )
      expect(await card.getAttribute('aria-invalid')).toBe('true')
      expect(new URL(page.url()).pathname).toBe('/link')
      saveArtifact('21-card-already-linked.png', await page.screenshot({ fullPage: true }))
      // The owner keeps the card.
      const me = await fetch(`${own.url}/api/me`, {
        headers: { authorization: `Bearer ${await demoIdToken(own.url, { sub: owner })}` },
      })
      expect(((await me.json()) as { member: { cardNumber: string } }).member.cardNumber).toBe(
        '************0011',
      )
    })

    it('the server busy (its database locked): asked to try again shortly, which then works (503)', async () => {
      const { page, card, pin, submit } = await consentGiven()
      await card.pressSequentially('4900000000000037')
      await pin.fill('3456')
      // Another process holds the database's write lock until the server has given up.
      const release = holdWriteLock(own.databasePath)
      let answer: [number, string | null, Headers]
      try {
        answer = await submit()
      } finally {
        release()
      }
      expect(answer.slice(0, 2)).toEqual([503, 'SERVICE_UNAVAILABLE'])
      expect(Number(answer[2].get('retry-after'))).toBeGreaterThan(0)
      const alert = page.getByTestId('form-error')
      await alert.waitFor()
      expect(await alert.getAttribute('role')).toBe('alert')
      expect(await alert.textContent()).toContain(
        'ただいま混み合っています。少し待ってからもう一度お試しください。',
      )
      // What was typed is kept, so trying again is one tap.
      expect(await card.inputValue()).toBe('4900 0000 0000 0037')
      expect(await pin.inputValue()).toBe('3456')
      saveArtifact('22-service-unavailable.png', await page.screenshot({ fullPage: true }))
      expect((await submit()).slice(0, 2)).toEqual([201, null])
      await expect.poll(() => page.url()).toMatch(/\/card$/)
      await page
        .getByTestId('flash')
        .getByText('連携が完了しました。200\u2060ポイントを付与しました')
        .waitFor()
    })
  })
})
