import { luhnCheckDigit } from '@membercard/shared'
import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ensureAppBuilt,
  launchBrowser,
  type PageErrorLog,
  saveArtifact,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import { submitStaffSignIn } from '../support/sign-in.ts'

const ADMIN = { id: 'demo-admin', password: 'demo-admin-pass' }

const card = (n: number) => {
  const body = `37${String(n).padStart(13, '0')}`
  return body + luhnCheckDigit(body)
}

describe('importing point cards from the console in Chromium', () => {
  let server: RunningServer
  let browser: Browser
  let pageErrors: PageErrorLog

  beforeAll(async () => {
    ensureAppBuilt()
    ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
    pageErrors = watchPageErrors(browser)
  })
  afterEach(() => {
    // The upload answers 202, the refused job then shows its errors; nothing may fail on the page.
    expect(pageErrors.take()).toEqual([])
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  it('shows the progress, then the bad row by its line, and keeps nothing', async () => {
    const desk = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1366, height: 900 },
      locale: 'ja-JP',
    })
    try {
      const page = await desk.newPage()
      await page.goto('/admin/data')
      await submitStaffSignIn(page, ADMIN.id, ADMIN.password)
      await page.getByTestId('data').waitFor()

      const rows = 40_000
      let csv = 'card_number,pin,name,points\n'
      for (let n = 1; n <= rows; n++) csv += `${card(n)},1234,会員 ${n},${n % 300}\n`
      csv += `${card(rows + 1)},12,短いPIN,5\n` // line rows + 2: a 2-digit PIN
      await page.getByLabel('CSVファイル').setInputFiles({
        name: 'cards.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(csv),
      })
      await page.getByRole('button', { name: '取り込む' }).click()
      const bar = page.getByRole('progressbar', { name: '進捗' })
      await bar.waitFor()
      const seen = new Set<number>()
      const errors = page.getByTestId('import-errors')
      while (!(await errors.isVisible())) {
        seen.add(Number(await bar.getAttribute('aria-valuenow')))
        if (seen.size === 1 && [...seen][0] !== 100) {
          saveArtifact('admin-import-1-progress.png', await page.screenshot({ fullPage: true }))
        }
      }
      await expect.poll(() => bar.getAttribute('aria-valuenow')).toBe('100')
      await expect(errors.getByRole('row').nth(1).textContent()).resolves.toContain(
        String(rows + 2),
      )
      await expect(errors.textContent()).resolves.toContain('pin must be 4 digits')
      await expect(page.getByRole('status').textContent()).resolves.toContain(
        '取り込めませんでした',
      )
      expect(await page.getByTestId('count-created').textContent()).toBe('0')
      saveArtifact('admin-import-2-refused.png', await page.screenshot({ fullPage: true }))
      // The progress bar moved before the job ended.
      expect([...seen].some((v) => v > 0 && v < 100)).toBe(true)
    } finally {
      await desk.close()
    }
  }, 180_000)
})
