import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  launchBrowser,
  type PageErrorLog,
  saveArtifact,
  watchCsp,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'

describe('the API reference page /api/docs in Chromium (issue 17, decision 088)', () => {
  let server: RunningServer
  let browser: Browser
  let pageErrors: PageErrorLog

  beforeAll(async () => {
    ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
    pageErrors = watchPageErrors(browser)
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  it('renders every route from this server alone, under its policy, with no violation', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    await watchCsp(context)
    // Nothing may be fetched from anywhere else (no CDN, no validator badge, no fonts).
    const elsewhere: string[] = []
    await context.route(
      (url) => !url.href.startsWith(server.url),
      (route) => {
        elsewhere.push(route.request().url())
        return route.abort()
      },
    )
    const page = await context.newPage()
    const res = await page.goto(`${server.url}/api/docs`)
    expect(res?.status()).toBe(200)
    const policy = res?.headers()['content-security-policy'] ?? ''
    expect(policy).toContain("script-src 'self';")
    expect(policy).not.toContain('unsafe-inline')

    // Swagger UI has read the document: the till's award route is listed, with its summary.
    const points = page.locator('.opblock-post', { hasText: '/api/staff/points' }).first()
    await points.waitFor()
    await expect.poll(() => page.locator('.opblock').count()).toBeGreaterThan(40)
    await expect.poll(() => points.textContent()).toContain('Award points for a purchase')
    saveArtifact('api-docs-01-list.png', await page.screenshot())

    // Opening it shows the Idempotency-Key header, the POS key scope and an error code.
    await points.locator('.opblock-summary').click()
    await points.getByText('Idempotency-Key').first().waitFor()
    await points.getByText('REFUND_EXCEEDS_PURCHASE').first().waitFor()
    saveArtifact('api-docs-02-points.png', await points.screenshot())

    expect(elsewhere).toEqual([])
    expect(pageErrors.take()).toEqual([])
    await context.close()
  })
})
