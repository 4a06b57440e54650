import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium, type Page, type Response } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ARTIFACTS,
  decodeQr,
  demoIdToken,
  ensureAppBuilt,
  issueByApi,
  launchBrowser,
  linkByApi,
  newLineUserId,
  newPhone,
  type PageErrorLog,
  qrByApi,
  saveArtifact,
  staffPoints,
  staffToken,
  unlinkByApi,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import { newTill, signInTill, submitStaffSignIn } from '../support/sign-in.ts'

/** What the customer's card screen shows: its QR, decoded from a screenshot with zbarimg. */
async function customerQr(page: Page, name: string): Promise<{ token: string; png: string }> {
  await page.goto('/card')
  const box = page.getByTestId('qr-box')
  await box.locator('svg').waitFor()
  const png = saveArtifact(name, await box.screenshot())
  const token = await decodeQr(png)
  expect(token).toMatch(/^[A-Z2-7]{36}$/)
  return { token, png }
}

async function historyOf(url: string, sub: string) {
  const token = await demoIdToken(url, { sub })
  const res = await fetch(`${url}/api/points/history`, {
    headers: { authorization: `Bearer ${token}` },
  })
  return ((await res.json()) as { items: { type: string; points: number; balance: number }[] })
    .items
}

/** The till's manual-entry field's label. */
const MANUAL = 'QRコードの文字・手入力用コード（手入力・バーコードリーダー）'

/** The next answer of `path` on `page`. */
function nextAnswer(page: Page, path: string): Promise<Response> {
  return page.waitForResponse((r) => new URL(r.url()).pathname === path)
}

/** An answer's status and error code (null when it has none). */
async function statusAndCode(answer: Promise<Response>): Promise<[number, string | null]> {
  const res = await answer
  const body = (await res.json()) as { error?: { code?: string } }
  return [res.status(), body.error?.code ?? null]
}

/** Types `text` into the manual field and sends it; resolves with the scan's answer. */
async function enterManually(page: Page, text: string): Promise<[number, string | null]> {
  const answer = nextAnswer(page, '/api/staff/scan')
  await page.getByLabel(MANUAL).fill(text)
  await page.getByRole('button', { name: '確認' }).click()
  return statusAndCode(answer)
}

describe('the till in Chromium (demo mode)', () => {
  let server: RunningServer
  let browser: Browser
  let pageErrors: PageErrorLog

  beforeAll(async () => {
    ensureAppBuilt()
    ;[server, browser] = await Promise.all([
      startServer({ env: { CARD_TOKEN_TTL_SECONDS: '300' } }),
      launchBrowser(),
    ])
    pageErrors = watchPageErrors(browser)
  })
  afterEach(() => {
    // No uncaught exception, and no console error other than a failed request's, in any page.
    expect(pageErrors.take()).toEqual([])
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  it('a clerk awards by manual entry (a lost answer retried once), redeems by keyboard wedge, and the customer sees it', async () => {
    const customer = newLineUserId()
    await linkByApi(server.url, customer, '4900000000000011', '1234') // gold, 1200 + 200 bonus
    // The customer after them in the queue, with a digital card (regular, the 200 pt bonus).
    const nextInLine = newLineUserId()
    await issueByApi(server.url, nextInLine, '後藤 次郎')
    const phone = await newPhone(browser, server.url, { user: customer })
    const till = await newTill(browser, server.url)
    try {
      const card = await phone.newPage()
      const page = await till.newPage()
      let scans = 0
      page.on('request', (r) => {
        if (r.url().endsWith('/api/staff/scan')) scans++
      })
      await signInTill(page, 'demo-clerk', 'demo-clerk-pass')
      expect(await page.getByTestId('till-header').textContent()).toContain('demo-clerk')

      // Manual entry of the token shown on the customer's card screen.
      const first = await customerQr(card, 'till-01-customer-qr.png')
      await page.getByLabel(MANUAL).fill(first.token.toLowerCase())
      await page.getByRole('button', { name: '確認' }).click()
      await page.getByTestId('member').waitFor()
      expect(await page.getByTestId('member-name').textContent()).toBe('山田 花子')
      expect(await page.getByTestId('member-rank').textContent()).toBe('ゴールド')
      expect(await page.getByTestId('member-card').textContent()).toBe('•••• •••• •••• 0011')
      expect(await page.getByTestId('member-points').textContent()).toContain('1,400')
      saveArtifact('till-02-member.png', await page.screenshot({ fullPage: true }))

      // Award: the preview before confirming (gold ×2: 1,999 yen → 39 pt).
      const amount = page.getByLabel('お買い上げ金額（円）')
      expect(await amount.getAttribute('inputmode')).toBe('numeric')
      await amount.fill('1999')
      await expect
        .poll(() => page.getByTestId('preview').textContent())
        .toContain('付与予定：39\u00a0pt')
      await page.getByRole('button', { name: '付与内容を確認' }).click()
      expect(await page.getByTestId('confirm').textContent()).toContain(
        '1,999\u00a0円のお買い上げで 39\u00a0pt を付与します。',
      )
      // The first answer is lost on the way back (the server did count it): the screen retries
      // with the same Idempotency-Key and gets the first answer, not a second award.
      const keys: string[] = []
      let dropped = false
      await page.route('**/api/staff/points', async (route) => {
        keys.push(route.request().headers()['idempotency-key'] ?? '')
        if (!dropped) {
          dropped = true
          await route.fetch()
          await route.abort('connectionreset')
          return
        }
        await route.continue()
      })
      await page.getByTestId('confirm-ok').dblclick()
      await page.getByTestId('result').waitFor()
      expect(await page.getByTestId('result').textContent()).toContain('39\u00a0pt を付与しました')
      expect(await page.getByTestId('result-balance').textContent()).toBe('1,439 pt')
      expect(keys.length).toBeGreaterThanOrEqual(2)
      expect(new Set(keys).size).toBe(1)
      await page.unroute('**/api/staff/points')
      saveArtifact('till-03-awarded.png', await page.screenshot({ fullPage: true }))
      const afterAward = await historyOf(server.url, customer)
      expect(afterAward.filter((i) => i.type === 'award')).toEqual([
        expect.objectContaining({ points: 39, balance: 1439 }),
      ])

      // Next customer, by a keyboard-wedge scanner: the token and Enter, typed fast, no field.
      await page.getByTestId('next-customer').click()
      await page.getByTestId('wedge-ready').waitFor()
      const second = await qrByApi(server.url, nextInLine)
      await page.getByRole('heading', { name: '会員証をスキャン' }).click()
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
      await page.keyboard.type(second.token, { delay: 5 })
      await page.keyboard.press('Enter')
      await page.getByTestId('member').waitFor()
      expect(await page.getByTestId('member-name').textContent()).toBe('後藤 次郎')
      expect(await page.getByTestId('member-points').textContent()).toContain('200')

      // The same scanner while the amount field has focus: still a scan (the first customer is
      // back with one more thing to buy), not an amount.
      const third = await customerQr(card, 'till-04b-customer-qr.png')
      await page.getByLabel('お買い上げ金額（円）').focus()
      const scansBefore = scans
      const thirdScan = nextAnswer(page, '/api/staff/scan')
      await page.keyboard.type(third.token, { delay: 5 })
      await page.keyboard.press('Enter')
      expect(await statusAndCode(thirdScan)).toEqual([200, null])
      await expect.poll(() => page.getByTestId('member-name').textContent()).toBe('山田 花子')
      expect(scans).toBe(scansBefore + 1)
      expect(await page.getByLabel('お買い上げ金額（円）').inputValue()).toBe('')
      expect(await page.getByTestId('till-error').count()).toBe(0)
      expect(await page.getByTestId('member-points').textContent()).toContain('1,439')

      // Redeem: never more than the balance.
      await page.getByRole('button', { name: 'ポイント利用', exact: true }).click()
      const redeem = page.getByLabel('利用するポイント')
      await redeem.fill('2000')
      await page.getByTestId('redeem-too-many').waitFor()
      expect(await page.getByRole('button', { name: '利用内容を確認' }).isDisabled()).toBe(true)
      await redeem.fill('400')
      await page.getByRole('button', { name: '利用内容を確認' }).click()
      await page.getByTestId('confirm-ok').click()
      await page.getByTestId('result').waitFor()
      expect(await page.getByTestId('result').textContent()).toContain('400\u00a0pt を利用しました')
      expect(await page.getByTestId('result-balance').textContent()).toBe('1,039 pt')

      // The customer's card and history show the change.
      await card.goto('/card')
      await expect.poll(() => card.getByTestId('points').textContent()).toContain('1,039')
      await card.goto('/history')
      const items = card.getByTestId('history-item')
      await items.first().waitFor()
      expect(await items.nth(0).textContent()).toContain('−400')
      expect(await items.nth(1).textContent()).toContain('+39')
      saveArtifact('till-05-customer-history.png', await card.screenshot({ fullPage: true }))

      // Today's transactions: a clerk sees them (this customer's two), without void.
      await page.getByTestId('nav-today').click()
      const rows = page
        .getByTestId('tx')
        .filter({ hasText: '山田 花子' })
        .filter({ hasText: '•••• •••• •••• 0011' })
      await expect.poll(() => rows.count()).toBe(2)
      expect(await page.getByTestId('void').count()).toBe(0)
    } finally {
      await phone.close()
      await till.close()
    }
  })

  it('a manager voids a redemption from today’s list; a wrong password is explained', async () => {
    // A customer who redeemed 150 of their 200 pt at this store today.
    const customer = newLineUserId()
    await linkByApi(server.url, customer, '4900000000000037', '3456') // regular, 0 + 200 bonus
    const redeemed = await staffPoints(server.url, await staffToken(server.url), {
      qrToken: (await qrByApi(server.url, customer)).token,
      type: 'redeem',
      points: 150,
    })
    expect(redeemed.balance).toBe(50)
    const till = await newTill(browser, server.url)
    try {
      const page = await till.newPage()
      await page.goto('/staff/login')
      await submitStaffSignIn(page, 'demo-manager', 'wrong-password')
      expect(await page.getByTestId('login-error').textContent()).toContain(
        'スタッフIDまたはパスワードが違います',
      )
      await signInTill(page, 'demo-manager', 'demo-manager-pass')
      await page.getByTestId('nav-today').click()
      const rows = page
        .getByTestId('tx')
        .filter({ hasText: 'Jane Smith' })
        .filter({ hasText: '•••• •••• •••• 0037' })
      const redeemRow = rows.filter({ hasText: '利用' })
      await redeemRow.getByTestId('void').click()
      await redeemRow.getByTestId('void-confirm').click()
      await page.getByTestId('today-notice').waitFor()
      expect(await page.getByTestId('today-notice').textContent()).toContain(
        '取り消しました。新しい残高：200\u00a0pt',
      )
      await expect.poll(() => rows.count()).toBe(2)
      expect(await rows.first().textContent()).toContain('取消')
      saveArtifact('till-06-today-void.png', await page.screenshot({ fullPage: true }))
      const items = await historyOf(server.url, customer)
      expect(items[0]).toMatchObject({ type: 'void', points: 150, balance: 200 })
      // A manager's adjustment with a reason, at the till.
      const phone = await newPhone(browser, server.url, { user: customer })
      try {
        const { token } = await customerQr(await phone.newPage(), 'till-06b-customer-qr.png')
        await page.getByRole('link', { name: 'レジ' }).click()
        await page.getByLabel(MANUAL).fill(token)
        await page.getByRole('button', { name: '確認' }).click()
        await page.getByTestId('member').waitFor()
        await page.getByRole('button', { name: 'ポイント調整', exact: true }).click()
        await page.getByLabel('調整するポイント（減らす場合は -）').fill('-2000')
        expect(await page.getByRole('button', { name: '調整内容を確認' }).isDisabled()).toBe(true)
        await page.getByLabel('調整するポイント（減らす場合は -）').fill('-39')
        expect(await page.getByRole('button', { name: '調整内容を確認' }).isDisabled()).toBe(true)
        await page.getByLabel('調整の理由（必須）').fill('レシート二重登録')
        await page.getByRole('button', { name: '調整内容を確認' }).click()
        expect(await page.getByTestId('confirm').textContent()).toContain(
          '−39\u00a0pt を調整します（理由：レシート二重登録）',
        )
        await page.getByTestId('confirm-ok').click()
        await page.getByTestId('result').waitFor()
        expect(await page.getByTestId('result-balance').textContent()).toBe('161 pt')
        const after = await historyOf(server.url, customer)
        expect(after[0]).toMatchObject({ type: 'adjust', points: -39, balance: 161 })
      } finally {
        await phone.close()
      }
      await page.getByTestId('nav-today').click()
      await expect.poll(() => rows.count()).toBe(3)

      // English second: one tap, remembered.
      await page.getByRole('button', { name: 'English' }).click()
      await page.getByRole('heading', { name: "Today's transactions" }).waitFor()
      expect(await rows.locator('.type').allTextContents()).toEqual([
        'Adjustment',
        'Void',
        'Redeem',
      ])
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('en')
    } finally {
      await till.close()
    }
  })

  it('a code that is not a member card, or whose card was unlinked, is refused with what to do', async () => {
    // A customer who unlinked since their code was shown, and one whose code is good.
    const unlinked = newLineUserId()
    await issueByApi(server.url, unlinked, '解除 済子')
    const stale = await qrByApi(server.url, unlinked)
    await unlinkByApi(server.url, unlinked)
    const member = newLineUserId()
    await issueByApi(server.url, member, '正常 読子')
    const good = await qrByApi(server.url, member)
    const till = await newTill(browser, server.url)
    try {
      const page = await till.newPage()
      const sent: string[] = []
      page.on('request', (r) => {
        if (r.url().endsWith('/api/staff/scan')) sent.push(r.postData() ?? '')
      })
      await signInTill(page, 'demo-clerk', 'demo-clerk-pass')
      const message =
        '会員証のQRコードではないか、連携が解除されています。お客様の会員証をもう一度読み取ってください。'
      const error = page.getByTestId('till-error')

      // Not a member code at all (the wrong barcode read): refused on the till itself.
      await page.getByLabel(MANUAL).fill('4901234567894')
      await page.getByRole('button', { name: '確認' }).click()
      await error.getByText(message).waitFor()
      expect(await error.getAttribute('role')).toBe('alert')

      // A code with one character misread: the server's 400 QR_INVALID.
      const typo = `${good.token.slice(0, 20)}${good.token[20] === 'A' ? 'B' : 'A'}${good.token.slice(21)}`
      expect(await enterManually(page, typo)).toEqual([400, 'QR_INVALID'])
      expect(await error.textContent()).toContain(message)
      expect(await page.getByTestId('member').count()).toBe(0)

      // The code of a card unlinked since: the same refusal.
      expect(await enterManually(page, stale.token)).toEqual([400, 'QR_INVALID'])
      expect(await error.textContent()).toContain(message)
      expect(await page.getByTestId('member').count()).toBe(0)
      expect(await page.getByLabel(MANUAL).isEditable()).toBe(true)
      saveArtifact('till-09-qr-invalid.png', await page.screenshot({ fullPage: true }))

      // Read again, the customer's good code goes through and the message goes away.
      expect(await enterManually(page, good.token)).toEqual([200, null])
      expect(await page.getByTestId('member-name').textContent()).toBe('正常 読子')
      expect(await error.count()).toBe(0)
      // The first entry never reached the server: only the three codes that could be one did.
      expect(sent.map((b) => (JSON.parse(b) as { qrToken: string }).qrToken)).toEqual([
        typo,
        stale.token,
        good.token,
      ])
    } finally {
      await till.close()
    }
  })

  it('a code already used for a redemption sends the clerk back to scanning, asking for a fresh code', async () => {
    const customer = newLineUserId()
    await issueByApi(server.url, customer, '写真 撮子') // the 200 pt bonus
    // The code was photographed and redeemed once already (here through the API).
    const used = await qrByApi(server.url, customer)
    const first = await staffPoints(server.url, await staffToken(server.url), {
      qrToken: used.token,
      type: 'redeem',
      points: 50,
    })
    expect(first.balance).toBe(150)
    const till = await newTill(browser, server.url)
    try {
      const page = await till.newPage()
      await signInTill(page, 'demo-clerk', 'demo-clerk-pass')
      // The same store may still look it up; a second redemption is refused.
      expect(await enterManually(page, used.token)).toEqual([200, null])
      await page.getByRole('button', { name: 'ポイント利用', exact: true }).click()
      await page.getByLabel('利用するポイント').fill('100')
      await page.getByRole('button', { name: '利用内容を確認' }).click()
      const answer = nextAnswer(page, '/api/staff/points')
      await page.getByTestId('confirm-ok').click()
      expect(await statusAndCode(answer)).toEqual([409, 'QR_ALREADY_USED'])
      const error = page.getByTestId('till-error')
      await error
        .getByText(
          'このQRコードは使用済みか、別の店舗で読み取られています。お客様に会員証の新しいQRコードを表示してもらい、読み取り直してください。',
        )
        .waitFor()
      expect(await error.getAttribute('role')).toBe('alert')
      // Back on the scan screen, ready for the fresh code.
      expect(await page.getByTestId('member').count()).toBe(0)
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.id ?? null))
        .toBe('qr-manual')
      saveArtifact('till-10-qr-already-used.png', await page.screenshot({ fullPage: true }))
      // The fresh code goes through.
      const fresh = await qrByApi(server.url, customer)
      expect(await enterManually(page, fresh.token)).toEqual([200, null])
      expect(await error.count()).toBe(0)
      await page.getByRole('button', { name: 'ポイント利用', exact: true }).click()
      await page.getByLabel('利用するポイント').fill('100')
      await page.getByRole('button', { name: '利用内容を確認' }).click()
      await page.getByTestId('confirm-ok').click()
      await page.getByTestId('result').waitFor()
      expect(await page.getByTestId('result-balance').textContent()).toBe('50 pt')
    } finally {
      await till.close()
    }
  })

  it('the camera path decodes the customer QR from a fake video stream (BarcodeDetector polyfill)', async () => {
    const customer = newLineUserId()
    await linkByApi(server.url, customer, '4900000000000029', '2345') // silver, 350 + 200 bonus
    // A Y4M video whose frames show the QR the customer's screen shows.
    const phone = await newPhone(browser, server.url, { user: customer })
    let video = ''
    let token = ''
    try {
      const card = await phone.newPage()
      const qr = await customerQr(card, 'till-07-camera-qr.png')
      token = qr.token
      video = await qrVideo(card, qr.png)
    } finally {
      await phone.close()
    }
    const cameraBrowser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-video-capture=${video}`,
      ],
    })
    const cameraErrors = watchPageErrors(cameraBrowser)
    try {
      const till = await newTill(cameraBrowser, server.url)
      await till.grantPermissions(['camera'], { origin: server.url })
      const page = await till.newPage()
      const scans: string[] = []
      const wasm: string[] = []
      page.on('request', (r) => {
        if (r.url().endsWith('/api/staff/scan')) scans.push(r.postData() ?? '')
        if (r.url().endsWith('.wasm')) wasm.push(r.url())
      })
      await signInTill(page, 'demo-clerk', 'demo-clerk-pass')
      expect(await page.evaluate(() => 'BarcodeDetector' in window)).toBe(false)
      await page.getByRole('button', { name: 'カメラでスキャン' }).click()
      await page.getByTestId('camera').waitFor()
      await page.getByTestId('member').waitFor({ timeout: 30_000 })
      expect(await page.getByTestId('member-card').textContent()).toBe('•••• •••• •••• 0029')
      expect(scans).toEqual([JSON.stringify({ qrToken: token })])
      // The decoder came from this server, not a CDN.
      expect(wasm.length).toBeGreaterThan(0)
      expect(wasm.every((u) => u.startsWith(`${server.url}/assets/`))).toBe(true)
      saveArtifact('till-08-camera-member.png', await page.screenshot({ fullPage: true }))
      await till.close()
      expect(cameraErrors.take()).toEqual([])
    } finally {
      await cameraBrowser.close()
    }
  })

  describe('with codes that expire in 10 seconds (CARD_TOKEN_TTL_SECONDS=10)', () => {
    let short: RunningServer

    beforeAll(async () => {
      short = await startServer({ env: { CARD_TOKEN_TTL_SECONDS: '10' } })
    })
    afterAll(async () => {
      await short?.stop()
      if (short) removeDataDir(short.dataDir)
    })

    it('an expired code is refused with what to do, at the confirmation and at the scan; a fresh one goes through', async () => {
      const customer = newLineUserId()
      await linkByApi(short.url, customer, '4900000000000011', '1234') // gold, 1200 + 200 bonus
      const till = await newTill(browser, short.url)
      try {
        const page = await till.newPage()
        await signInTill(page, 'demo-clerk', 'demo-clerk-pass')
        const shown = await qrByApi(short.url, customer)
        expect(await enterManually(page, shown.token)).toEqual([200, null])
        await page.getByTestId('member').waitFor()
        const time = page.getByTestId('member').getByRole('status')
        expect(await time.textContent()).toMatch(/QRの有効期限まで \d+\u00a0秒/)
        await page.getByLabel('お買い上げ金額（円）').fill('1000')
        await page.getByRole('button', { name: '付与内容を確認' }).click()
        await page.getByTestId('confirm').waitFor()

        // The customer has left the code on screen too long: the till says so as it expires.
        const expiredNotice =
          'QRコードの有効期限が切れました。お客様にもう一度会員証を表示してもらい、スキャンしてください。'
        await page.getByText(expiredNotice).waitFor({ timeout: 15_000 })
        expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(shown.expiresAt))
        // Confirmed anyway: the server's 410 QR_EXPIRED, explained, and nothing awarded.
        const late = nextAnswer(page, '/api/staff/points')
        await page.getByTestId('confirm-ok').click()
        expect(await statusAndCode(late)).toEqual([410, 'QR_EXPIRED'])
        const error = page.getByTestId('till-error')
        await error.waitFor()
        expect(await error.textContent()).toContain(
          'QRコードの有効期限が切れました。お客様にもう一度会員証を表示してもらってください。',
        )
        expect(await page.getByRole('button', { name: '付与内容を確認' }).isDisabled()).toBe(true)
        saveArtifact('till-10-qr-expired-confirm.png', await page.screenshot({ fullPage: true }))
        expect((await historyOf(short.url, customer)).map((i) => i.type)).not.toContain('award')

        // The same old code typed in again: the scan's 410, with the same advice.
        await page.getByRole('button', { name: '次のお客様' }).click()
        expect(await enterManually(page, shown.token)).toEqual([410, 'QR_EXPIRED'])
        expect(await error.textContent()).toContain(
          'QRコードの有効期限が切れました。お客様にもう一度会員証を表示してもらってください。',
        )
        expect(await page.getByTestId('member').count()).toBe(0)
        saveArtifact('till-11-qr-expired-scan.png', await page.screenshot({ fullPage: true }))

        // The customer shows the card again: the new code goes through.
        const fresh = await qrByApi(short.url, customer)
        expect(await enterManually(page, fresh.token)).toEqual([200, null])
        expect(await page.getByTestId('member-name').textContent()).toBe('山田 花子')
        expect(await error.count()).toBe(0)
      } finally {
        await till.close()
      }
    })
  })
})

/**
 * Turns a QR screenshot into a one-frame 640×480 Y4M video (grey levels in Y, neutral
 * chroma), drawing it in the browser's canvas so no image tool is needed.
 */
async function qrVideo(page: Page, pngPath: string): Promise<string> {
  const { readFileSync } = await import('node:fs')
  const dataUrl = `data:image/png;base64,${readFileSync(pngPath).toString('base64')}`
  const W = 640
  const H = 480
  const luma = await page.evaluate(
    async ({ dataUrl, W, H }) => {
      const img = new Image()
      img.src = dataUrl
      await img.decode()
      const canvas = document.createElement('canvas')
      canvas.width = W
      canvas.height = H
      const ctx = canvas.getContext('2d')
      if (!ctx) throw new Error('no canvas')
      ctx.fillStyle = '#fff'
      ctx.fillRect(0, 0, W, H)
      const side = 300
      ctx.imageSmoothingEnabled = false
      ctx.drawImage(img, (W - side) / 2, (H - side) / 2, side, side)
      const { data } = ctx.getImageData(0, 0, W, H)
      const y = new Array<number>(W * H)
      for (let i = 0; i < W * H; i++) {
        y[i] = Math.round(
          0.299 * data[i * 4]! + 0.587 * data[i * 4 + 1]! + 0.114 * data[i * 4 + 2]!,
        )
      }
      return y
    },
    { dataUrl, W, H },
  )
  const frame = Buffer.concat([
    Buffer.from('FRAME\n'),
    Buffer.from(luma),
    Buffer.alloc((W / 2) * (H / 2) * 2, 128),
  ])
  const file = join(ARTIFACTS, 'till-qr-camera.y4m')
  writeFileSync(
    file,
    Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`), frame, frame]),
  )
  return file
}
