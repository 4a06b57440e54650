import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_CARDS } from '../../server/src/demo.ts'
import {
  CSP_VIOLATION,
  demoIdToken,
  ensureAppBuilt,
  launchBrowser,
  newLineUserId,
  type PageErrorLog,
  saveArtifact,
  watchCsp,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import { submitStaffSignIn } from '../support/sign-in.ts'

// Issue 13 in the console (Chromium, demo mode, the real server): item 2 — an operator clears
// a card's PIN-guessing lock, audit-logged; item 7 — an admin disables, then removes, a staff
// account, which ends its sessions; item 5 — every console screen runs under its page policy
// with no CSP violation, and the policy is enforced there.

const ADMIN = { staffId: 'demo-admin', password: 'demo-admin-pass' }
const OPERATOR = { staffId: 'hq-operator', password: 'operator-pass-1' }
const CLERK = { staffId: 'till-temp', password: 'till-temp-pass-1' }

interface Answer {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: answers are compared field by field
  json: any
}

async function api(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  })
  const text = await res.text()
  return { status: res.status, json: text ? JSON.parse(text) : null }
}

const staffLogin = (base: string, who: { staffId: string; password: string }) =>
  api(base, 'POST', '/api/staff/login', { body: who })

async function desk(browser: Browser, baseURL: string): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1366, height: 900 },
    locale: 'ja-JP',
  })
  await watchCsp(context)
  return context
}

async function signIn(page: Page, who: { staffId: string; password: string }) {
  await page.goto('/admin')
  await expect.poll(() => new URL(page.url()).pathname).toBe('/admin/sign-in')
  await submitStaffSignIn(page, who.staffId, who.password)
  await page.getByRole('navigation', { name: 'メニュー' }).waitFor()
}

const shot = async (page: Page, name: string) =>
  saveArtifact(name, await page.screenshot({ fullPage: true }))

describe('issue 13 in the head office console (Chromium, demo mode)', () => {
  let server: RunningServer
  let browser: Browser
  let pageErrors: PageErrorLog
  let adminToken: string

  beforeAll(async () => {
    ensureAppBuilt()
    ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
    pageErrors = watchPageErrors(browser)
    const signedIn = await staffLogin(server.url, ADMIN)
    expect(signedIn.status).toBe(200)
    adminToken = signedIn.json.token
    for (const account of [
      { ...OPERATOR, role: 'operator' },
      { ...CLERK, role: 'clerk', storeCode: 'S001' },
    ]) {
      const made = await api(server.url, 'POST', '/api/admin/staff', {
        token: adminToken,
        body: account,
      })
      expect(made.status, JSON.stringify(made.json)).toBe(201)
    }
  })
  afterEach(() => {
    // Every screen's CSP violations (watchCsp) and page errors end up here.
    expect(pageErrors.take()).toEqual([])
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  it("an operator clears a card's PIN-guessing lock from the member page; the owner links at once; the audit trail has it", async () => {
    const card = DEMO_CARDS[2]
    if (!card) throw new Error('three demo cards')
    const { consentVersion } = (await (await fetch(`${server.url}/api/config`)).json()) as {
      consentVersion: string
    }
    const link = async (sub: string, pin: string) =>
      api(server.url, 'POST', '/api/link', {
        token: await demoIdToken(server.url, { sub }),
        body: {
          cardNumber: card.cardNumber,
          pin,
          consent: { version: consentVersion, accepted: true },
        },
      })
    // Strangers (three LINE accounts) guess wrong; the card is locked, the owner too.
    for (let i = 0; i < 3; i++) expect((await link(newLineUserId(), '0000')).status).toBe(422)
    const owner = newLineUserId()
    expect((await link(owner, card.pin)).status).toBe(429)

    const context = await desk(browser, server.url)
    const page = await context.newPage()
    await signIn(page, OPERATOR)
    await page.getByRole('link', { name: '会員', exact: true }).click()
    await page.getByLabel('会員を検索').fill(card.cardNumber.slice(-4))
    await page.getByRole('button', { name: '検索' }).click()
    await page.getByTestId('member-results').getByRole('link').first().click()
    const lock = page
      .locator('dt', { hasText: '入力ロック' })
      .locator('xpath=following-sibling::dd[1]')
    await expect.poll(() => lock.textContent()).toContain('暗証番号の入力ロック中')
    await shot(page, 'admin-hardening-01-locked.png')
    await page.getByRole('button', { name: 'ロックを解除' }).click()
    await page.getByText('ロックを解除しました。').waitFor()
    await expect.poll(() => lock.textContent()).toContain('ロックなし')
    expect(await page.getByRole('button', { name: 'ロックを解除' }).count()).toBe(0)
    // What the server says, read again.
    await page.reload()
    await expect.poll(() => lock.textContent()).toContain('ロックなし')
    await shot(page, 'admin-hardening-02-cleared.png')

    // The owner links with the right PIN at once.
    expect((await link(owner, card.pin)).status).toBe(201)
    // Recorded: who cleared which card.
    const audit = await api(server.url, 'GET', '/api/admin/audit?action=member.clearLock', {
      token: adminToken,
    })
    expect(audit.json.items).toHaveLength(1)
    expect(audit.json.items[0]).toMatchObject({ actor: OPERATOR.staffId })
    expect(JSON.stringify(audit.json.items[0])).not.toContain(card.cardNumber)
    await context.close()
  })

  it('an admin disables, then removes, a staff account: its sessions end, and it cannot sign in', async () => {
    const tills = [
      (await staffLogin(server.url, CLERK)).json.token,
      (await staffLogin(server.url, CLERK)).json.token,
    ] as string[]
    const alive = async () =>
      Promise.all(
        tills.map(
          async (t) => (await api(server.url, 'GET', '/api/staff/me', { token: t })).status,
        ),
      )
    expect(await alive()).toEqual([200, 200])

    const context = await desk(browser, server.url)
    const page = await context.newPage()
    await signIn(page, ADMIN)
    await page.getByRole('link', { name: '店舗・スタッフ' }).click()
    const table = page.getByTestId('staff-table')
    const row = table.locator('tr', { hasText: CLERK.staffId })
    // The status column (role, store, two-step, status).
    const status = row.locator('td').nth(3)
    await expect.poll(() => status.textContent()).toBe('有効')

    // Disable, confirmed in a dialog: both of its sessions end at once.
    await page.getByRole('button', { name: `無効化: ${CLERK.staffId}` }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByText('すべての端末でログアウトされます').waitFor()
    await dialog.getByRole('button', { name: '無効化' }).click()
    await expect.poll(() => status.textContent()).toBe('無効')
    expect(await alive()).toEqual([401, 401])
    expect((await staffLogin(server.url, CLERK)).status).not.toBe(200)
    await shot(page, 'admin-hardening-03-disabled.png')

    // Remove: the staff ID typed again before the button works.
    await page.getByRole('button', { name: `削除: ${CLERK.staffId}` }).click()
    const remove = page.getByRole('dialog').filter({ hasText: '元に戻せません' })
    await remove.waitFor()
    const confirm = remove.getByRole('button', { name: '削除' })
    expect(await confirm.isDisabled()).toBe(true)
    await remove.getByLabel('確認のためスタッフIDを入力').fill(CLERK.staffId)
    await shot(page, 'admin-hardening-04-remove.png')
    await confirm.click()
    await page.getByText('アカウントを削除しました。').waitFor()
    await expect.poll(() => table.locator('tr', { hasText: CLERK.staffId }).count()).toBe(0)
    expect((await staffLogin(server.url, CLERK)).status).toBe(401)
    const audit = await api(server.url, 'GET', '/api/admin/audit?action=staff.remove', {
      token: adminToken,
    })
    expect(audit.json.items[0]).toMatchObject({
      actor: ADMIN.staffId,
      target: `staff:${CLERK.staffId}`,
    })
    await context.close()
  })

  it('every console screen runs under its strict policy with no CSP violation, and the policy is enforced', async () => {
    const context = await desk(browser, server.url)
    const page = await context.newPage()
    const policies: string[] = []
    page.on('response', (r) => {
      if (r.request().resourceType() === 'document') {
        policies.push(r.headers()['content-security-policy'] ?? '')
      }
    })
    await signIn(page, ADMIN)
    const screens: [string, string][] = [
      ['ダッシュボード', 'kpi-new-links'],
      ['会員', ''],
      ['クーポン', ''],
      ['セグメント', ''],
      ['配信', ''],
      ['自動配信', ''],
      ['配信設定', ''],
      ['店舗・スタッフ', 'staff-table'],
      ['データ入出力', ''],
      ['監査ログ', 'audit-table'],
      ['セキュリティ', 'security'],
      ['POS連携', ''],
    ]
    for (const [name, testId] of screens) {
      await page
        .getByRole('navigation', { name: 'メニュー' })
        .getByRole('link', { name, exact: true })
        .click()
      if (testId) await page.getByTestId(testId).waitFor()
      else await page.getByRole('heading', { level: 1 }).first().waitFor()
      await page.waitForLoadState('networkidle')
    }
    // A reload of a deep link is a page answer of its own.
    await page.goto('/admin/staff')
    await page.getByTestId('staff-table').waitFor()
    expect(policies.length).toBeGreaterThanOrEqual(2)
    for (const p of policies) {
      expect(p).toMatch(/script-src 'self'(;| )/)
      expect(p).not.toContain('unsafe-inline')
      expect(p).not.toContain('unsafe-eval')
    }
    expect(pageErrors.peek().filter((f) => f.includes(CSP_VIOLATION))).toEqual([])

    // Enforced here too: an injected inline script does not run, and is reported.
    const ran = await page.evaluate(() => {
      const s = document.createElement('script')
      s.textContent = 'window.__inline = true'
      document.head.append(s)
      return (window as unknown as Record<string, unknown>).__inline === true
    })
    expect(ran).toBe(false)
    await expect
      .poll(() => pageErrors.peek().filter((f) => f.includes(CSP_VIOLATION)).length)
      .toBe(1)
    expect(pageErrors.take().join('\n')).toContain(
      `${CSP_VIOLATION} script-src-elem blocked inline`,
    )
    await context.close()
  })
})
