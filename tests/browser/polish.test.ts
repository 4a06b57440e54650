import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ensureAppBuilt,
  issueByApi,
  launchBrowser,
  newLineUserId,
  newPhone,
  type PageErrorLog,
  saveArtifact,
  watchPageErrors,
} from '../support/browser.ts'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'

/** Two animation frames: whatever the page decided on its last tasks is on screen. */
const frames = (page: Page) =>
  page.evaluate(
    () => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))),
  )

describe('rough edges: loading, rank and expiry, friends, Japanese text (phone, demo mode)', () => {
  let server: RunningServer
  let browser: Browser
  let context: BrowserContext | undefined
  let pageErrors: PageErrorLog

  beforeAll(async () => {
    ensureAppBuilt()
    ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
    pageErrors = watchPageErrors(browser)
  })
  afterEach(async () => {
    await context?.close()
    context = undefined
    expect(pageErrors.take()).toEqual([])
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  async function open(user: string, opts: { friend?: boolean } = {}): Promise<Page> {
    context = await newPhone(browser, server.url, { user })
    if (opts.friend) {
      await context.addInitScript(() => {
        if (location.protocol === 'http:') localStorage.setItem('membercard.demoFriend', '1')
      })
    }
    return context.newPage()
  }

  it('shows a skeleton of the card, not a blank page, while the settings load', async () => {
    const user = newLineUserId()
    await issueByApi(server.url, user, 'スケルトン 花子')
    const page = await open(user)
    let release: () => void = () => undefined
    const held = new Promise<void>((r) => {
      release = r
    })
    await page.route('**/api/config', async (route) => {
      await held
      await route.continue()
    })
    await page.goto('/card', { waitUntil: 'domcontentloaded' })
    const skeleton = page.getByTestId('card-skeleton')
    await skeleton.waitFor()
    expect(await skeleton.getAttribute('aria-busy')).toBe('true')
    saveArtifact('polish-skeleton.png', await page.screenshot())
    release()
    await page.getByTestId('points').getByText('200').waitFor()
    expect(await skeleton.count()).toBe(0)
  })

  it('shows when the balance expires, what the rank brings and how far the next rank is', async () => {
    const user = newLineUserId()
    await issueByApi(server.url, user, 'ランク 太郎')
    const page = await open(user, { friend: true })
    await page.goto('/card')
    const expires = page.getByTestId('points-expire')
    await expires.waitFor()
    // The link bonus (200 pt) expires 365 days after it was granted.
    const inAYear = new Date(Date.now() + 365 * 86_400_000).toLocaleDateString('ja-JP', {
      dateStyle: 'long',
    })
    expect(await expires.textContent()).toBe(`有効期限：${inAYear}`)
    const rank = page.getByTestId('rank-info')
    // Default rules: silver at 500 pt earned in a year (1.5×); the number stays with its unit.
    expect((await rank.textContent())?.trim()).toBe('シルバーまであと300\u00a0pt（1.5\u2060倍）')
    const bar = rank.getByRole('progressbar', { name: 'シルバーまでの進み具合' })
    expect(await bar.getAttribute('value')).toBe('200')
    expect(await bar.getAttribute('max')).toBe('500')
    await page.getByTestId('updated').getByText('最終更新').waitFor()
    saveArtifact('polish-card-rank.png', await page.screenshot({ fullPage: true }))
  })

  it('offers the Official Account to a member who is not a friend, once, and not to a friend', async () => {
    const user = newLineUserId()
    await issueByApi(server.url, user, 'トモダチ 花子')
    const page = await open(user)
    await page.goto('/card')
    const offer = page.getByTestId('friend-offer')
    await offer.waitFor()
    expect(await offer.getByRole('link', { name: '友だち追加' }).getAttribute('href')).toBe(
      'https://line.me/R/ti/p/%40membercarddemo',
    )
    // (Scrolled to the end: the offer sits under the card, above the tab bar.)
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight))
    saveArtifact('polish-friend-offer.png', await page.screenshot())
    await offer.getByRole('button', { name: '今はしない' }).click()
    await offer.waitFor({ state: 'detached' })
    // The next visit: the answer is remembered, no nagging.
    const offerChunk = page.waitForResponse(/\/assets\/FriendOffer-[\w-]+\.js$/)
    await page.reload()
    await page.getByTestId('points').getByText('200').waitFor()
    await offerChunk
    await frames(page)
    expect(await offer.count()).toBe(0)

    // A friend is never offered it.
    await context?.close()
    const friend = newLineUserId()
    await issueByApi(server.url, friend, 'トモダチ 次郎')
    const other = await open(friend, { friend: true })
    const chunk = other.waitForResponse(/\/assets\/FriendOffer-[\w-]+\.js$/)
    await other.goto('/card')
    await other.getByTestId('points').getByText('200').waitFor()
    await chunk
    await frames(other)
    expect(await other.getByTestId('friend-offer').count()).toBe(0)
  })

  it('the issue screen speaks of 発行, and the privacy policy is a template to complete', async () => {
    const page = await open(newLineUserId())
    await page.goto('/issue')
    await page.getByRole('heading', { name: 'デジタル会員証を発行' }).waitFor()
    expect(await page.getByTestId('bonus').textContent()).toContain(
      '発行で200\u2060ポイントプレゼント',
    )
    await page.getByRole('heading', { name: '登録される情報' }).waitFor()
    expect(await page.getByText('連携される情報').count()).toBe(0)
    await page.getByRole('button', { name: '同意して発行する' }).click()
    await page.getByText('発行するには同意にチェックを入れてください。').waitFor()
    saveArtifact('polish-issue.png', await page.screenshot({ fullPage: true }))

    await page.goto('/privacy')
    await page.getByTestId('privacy-template').waitFor()
    for (const heading of ['取得する情報', '利用目的', '保存期間', '連携の解除', 'お問い合わせ']) {
      await page.getByRole('heading', { name: heading }).waitFor()
    }
    expect(await page.getByTestId('privacy-contact').textContent()).toContain('［運営者が記入')
    saveArtifact('polish-privacy.png', await page.screenshot({ fullPage: true }))
  })

  it('the history offline offers 再試行, which loads it; settings offer the home-screen shortcut', async () => {
    const user = newLineUserId()
    await issueByApi(server.url, user, 'リトライ 三郎')
    const page = await open(user, { friend: true })
    await page.route('**/api/points/history*', (route) => route.abort('internetdisconnected'))
    await page.goto('/history')
    const retry = page.getByRole('button', { name: '再試行' })
    await retry.waitFor()
    expect(await page.getByRole('button', { name: 'さらに表示' }).count()).toBe(0)
    saveArtifact('polish-history-retry.png', await page.screenshot({ fullPage: true }))
    await page.unroute('**/api/points/history*')
    await retry.click()
    await page.getByText('連携ボーナス').waitFor()

    await page.goto('/settings')
    await page.getByTestId('shortcut').click()
    await expect
      .poll(() => page.evaluate(() => localStorage.getItem('membercard.demoShortcut')))
      .toBe('https://liff.line.me/1000000000-demo/card')
  })
})
