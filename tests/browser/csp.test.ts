import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  CSP_VIOLATION,
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
import { submitStaffSignIn } from '../support/sign-in.ts'

/** The policy a document answer carried, as a map of directive → sources. */
function directives(policy: string | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const part of (policy ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/)
    if (name) out.set(name, sources)
  }
  return out
}

describe('Content-Security-Policy on every screen, in Chromium (decision 031)', () => {
  let server: RunningServer
  let browser: Browser
  let pageErrors: PageErrorLog

  beforeAll(async () => {
    ensureAppBuilt()
    ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
    pageErrors = watchPageErrors(browser)
  })
  afterEach(() => {
    // No CSP violation (nor any other console error or uncaught exception) on any page.
    expect(pageErrors.take()).toEqual([])
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  /** Opens `path` and returns the page and the policy its document came with. */
  async function visit(page: Page, path: string) {
    const res = await page.goto(path)
    const policy = res?.headers()['content-security-policy']
    return directives(policy)
  }

  it('the customer screens (link, card, history, settings) run under a strict policy with no violation', async () => {
    const context = await newPhone(browser, server.url, { user: newLineUserId() })
    const page = await context.newPage()

    const link = await visit(page, '/')
    expect(link.get('script-src')).toEqual(["'self'"])
    expect(link.get('default-src')).toEqual(["'none'"])
    const style = link.get('style-src') ?? []
    expect(style[0]).toBe("'self'")
    expect(style[1]).toMatch(/^'nonce-[A-Za-z0-9+/]{22}=='$/)
    expect(style).toHaveLength(2)
    expect([...link.values()].flat()).not.toContain("'unsafe-inline'")
    expect([...link.values()].flat()).not.toContain("'unsafe-eval'")
    await expect.poll(() => page.url()).toMatch(/\/link$/)
    await page.getByRole('heading', { name: 'LINEと会員カードを連携' }).waitFor()
    saveArtifact('csp-01-link.png', await page.screenshot({ fullPage: true }))

    // Link through the screen itself (the form, the API call, the move to the card).
    await page.getByLabel('カード番号（16桁）').pressSequentially('4900000000000011')
    await page.getByLabel('暗証番号（4桁）').fill('1234')
    await page.getByLabel('上記の内容とプライバシーポリシーに同意します').check()
    await page.getByRole('button', { name: '同意して連携する' }).click()
    await expect.poll(() => page.url()).toMatch(/\/card$/)
    await page.getByTestId('qr-box').locator('svg').waitFor()
    await page.getByTestId('flash').waitFor()
    saveArtifact('csp-02-card.png', await page.screenshot({ fullPage: true }))

    await page.getByRole('link', { name: '履歴' }).click()
    await page.getByRole('heading', { name: 'ポイント履歴' }).waitFor()
    await page.getByTestId('history-item').first().waitFor()
    saveArtifact('csp-03-history.png', await page.screenshot({ fullPage: true }))

    await page.getByRole('link', { name: '設定' }).click()
    await page.getByRole('heading', { name: '設定' }).waitFor()
    saveArtifact('csp-04-settings.png', await page.screenshot({ fullPage: true }))

    // A fresh load of the card screen itself (its own document and policy).
    const card = await visit(page, '/card')
    expect(card.get('script-src')).toEqual(["'self'"])
    await page.getByTestId('qr-box').locator('svg').waitFor()
    await context.close()
  })

  it('the issue screen of a customer without a card, and the privacy page, have no violation', async () => {
    const context = await newPhone(browser, server.url, { user: newLineUserId() })
    const page = await context.newPage()
    await visit(page, '/issue')
    await page.getByRole('button').first().waitFor()
    await visit(page, '/privacy')
    await page.getByRole('heading').first().waitFor()
    await context.close()
  })

  it('the till (sign-in, scan, today) runs under its policy with no violation', async () => {
    const user = newLineUserId()
    await linkByApi(server.url, user, '4900000000000029', '2345')
    const context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 390, height: 844 },
      locale: 'ja-JP',
    })
    await watchCsp(context)
    const page = await context.newPage()
    const till = await visit(page, '/staff')
    // The till's camera scanner may fall back to ZXing in WebAssembly; nothing else is added.
    expect(till.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"])
    await expect.poll(() => page.url()).toMatch(/\/staff\/login$/)
    await submitStaffSignIn(page, 'demo-clerk', 'demo-clerk-pass')
    await page.getByTestId('till').waitFor()
    saveArtifact('csp-05-till.png', await page.screenshot({ fullPage: true }))
    await page.getByTestId('nav-today').click()
    await expect.poll(() => page.url()).toMatch(/\/staff\/today$/)
    await page.getByRole('heading').first().waitFor()
    await context.close()
  })

  it('is enforced: an inline script and a style without the nonce are refused and reported', async () => {
    const context = await newPhone(browser, server.url, { user: newLineUserId() })
    const page = await context.newPage()
    await visit(page, '/')
    await page.getByRole('heading', { name: 'LINEと会員カードを連携' }).waitFor()
    const outcome = await page.evaluate(() => {
      const w = window as unknown as Record<string, unknown>
      const script = document.createElement('script')
      script.textContent = 'window.__inline = true'
      document.head.append(script)
      // A style element without the nonce is refused; one with the page's nonce applies (what
      // a component library does when handed the nonce).
      const meta = document.querySelector('meta[property="csp-nonce"]') as HTMLMetaElement
      const nonce = meta.nonce ?? ''
      const bad = document.createElement('style')
      bad.textContent = 'body { --bad: 1 }'
      document.head.append(bad)
      const good = document.createElement('style')
      good.nonce = nonce
      good.textContent = 'body { --good: 1 }'
      document.head.append(good)
      const css = getComputedStyle(document.body)
      return {
        inline: w.__inline === true,
        nonce: nonce.length,
        bad: css.getPropertyValue('--bad').trim(),
        good: css.getPropertyValue('--good').trim(),
      }
    })
    expect(outcome).toEqual({ inline: false, nonce: 24, bad: '', good: '1' })
    // (eval is not tried here: Playwright's evaluate runs outside the page's policy; the policy
    // has no 'unsafe-eval', server/test/page-policy.test.ts.)
    // Each refusal reached the page's securitypolicyviolation listener (the watcher works).
    await expect
      .poll(() => {
        return pageErrors.peek().filter((f) => f.includes(CSP_VIOLATION)).length
      })
      .toBeGreaterThanOrEqual(2)
    const seen = pageErrors.take().join('\n')
    expect(seen).toContain(`${CSP_VIOLATION} script-src-elem blocked inline`)
    expect(seen).toContain(`${CSP_VIOLATION} style-src-elem blocked inline`)
    await context.close()
  })
})
