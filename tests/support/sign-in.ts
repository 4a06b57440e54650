import type { Browser, BrowserContext, Page } from 'playwright-core'
import { expect } from 'vitest'
import { watchCsp } from './browser.ts'

/**
 * A till in a phone-sized browser (no LINE), Japanese first; any Content-Security-Policy
 * violation on its screens is recorded for the test to check.
 */
export async function newTill(browser: Browser, baseURL: string): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'ja-JP',
  })
  await watchCsp(context)
  return context
}

/** Fills and sends the staff sign-in form (the till's or the console's) the page shows. */
export async function submitStaffSignIn(page: Page, staffId: string, password: string) {
  await page.getByLabel('スタッフID').fill(staffId)
  await page.getByLabel('パスワード', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'ログイン' }).click()
}

/** Opens the till, which asks to sign in, signs in and waits for the till screen. */
export async function signInTill(page: Page, staffId: string, password: string) {
  await page.goto('/staff')
  await expect.poll(() => page.url()).toMatch(/\/staff\/login$/)
  await submitStaffSignIn(page, staffId, password)
  await page.getByTestId('till').waitFor()
}
