/**
 * The customer card screen in the browser, for `pnpm bench`:
 * - its JavaScript, gzip: the initial chunks (the entry's static imports) without the LIFF SDK,
 *   and with what the app loads at start in LINE mode (`liff-line.ts` and @line/liff);
 * - Lighthouse (mobile preset) on the card screen in demo mode, Debian's Chromium headless;
 * - a returning customer's navigation to a decodable QR code in Chromium with 4× CPU slowdown
 *   and fast-4G throttling (the code is decoded by zbarimg, an independent decoder).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { decodeQr, launchBrowser, newLineUserId, newPhone } from '../tests/support/browser.ts'
import { startServer } from '../tests/support/server.ts'

const ROOT = resolve(import.meta.dirname, '..')
const APP = join(ROOT, 'liff-app')

/** A row of the bench table. */
export interface FrontEndRow {
  scenario: string
  value: string
  baseline: string
  ratio: number | null
  goal: string
  met: boolean | null
  note?: string
}

/** What the front-end measurements add to the table. */
export interface FrontEndResult {
  rows: FrontEndRow[]
  raw: Record<string, unknown>
}

interface ManifestChunk {
  file: string
  src?: string
  isEntry?: boolean
  imports?: string[]
  dynamicImports?: string[]
}

/** DevTools' "Fast 4G": 9 Mbit/s down, 1.5 Mbit/s up, 165 ms round trip (60 ms × 2.75). */
const FAST_4G = {
  offline: false,
  latency: 165,
  downloadThroughput: (9 * 1024 * 1024) / 8,
  uploadThroughput: (1.5 * 1024 * 1024) / 8,
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`
}

/** Sizes from the production build's manifest (built with the app's own Vite config). */
function jsSizes(dist: string, manifest: Record<string, ManifestChunk>) {
  const closure = (keys: string[], seen = new Set<string>()) => {
    for (const k of keys) {
      if (seen.has(k)) continue
      seen.add(k)
      closure(manifest[k]?.imports ?? [], seen)
    }
    return seen
  }
  const gz = (key: string) => {
    const file = manifest[key]?.file
    return file?.endsWith('.js') ? gzipSync(readFileSync(join(dist, file))).length : 0
  }
  const entry = Object.keys(manifest).find((k) => manifest[k]?.isEntry)
  if (!entry) throw new Error('no entry in the Vite manifest')
  const initial = closure([entry])
  const lineKey = Object.keys(manifest).find((k) => k.endsWith('src/lib/liff-line.ts'))
  const withLiff = closure(lineKey ? [lineKey] : [], new Set(initial))
  const isLiff = (k: string) => /node_modules\/@line\/liff/.test(k) || /liff-line|liff-demo/.test(k)
  const initialWithoutLiff = [...initial].filter((k) => !isLiff(k))
  const sum = (keys: Iterable<string>) => [...keys].reduce((n, k) => n + gz(k), 0)
  return {
    without: sum(initialWithoutLiff),
    with: sum(withLiff),
    chunks: [...withLiff].map((k) => ({ chunk: k, file: manifest[k]?.file, gzip: gz(k) })),
  }
}

/** fetch, once more if a kept-alive socket was closed under it. */
async function fetchRetry(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init)
  } catch {
    return fetch(url, init)
  }
}

/** Links the demo user (or `sub`) to a demo card so the app opens on the card. */
async function linkDemoUser(
  url: string,
  sub?: string,
  card = { cardNumber: '4900000000000011', pin: '1234' },
) {
  const { idToken } = (await (
    await fetchRetry(`${url}/__line/demo/id-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(sub ? { sub } : {}),
    })
  ).json()) as { idToken: string }
  const res = await fetchRetry(`${url}/api/link`, {
    method: 'POST',
    headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      ...card,
      consent: { version: '2026-11-01', accepted: true },
    }),
  })
  if (res.status !== 201) throw new Error(`demo link: ${res.status} ${await res.text()}`)
}

/** Measures the card screen; `log` reports progress. */
export async function measureFrontEnd(log: (s: string) => void): Promise<FrontEndResult> {
  const rows: FrontEndRow[] = []
  const raw: Record<string, unknown> = {}

  log('building the LIFF app (as pnpm start does), with a manifest')
  const build = () =>
    execFileSync(
      'pnpm',
      ['--filter', '@membercard/liff-app', 'exec', 'vite', 'build', '--manifest'],
      {
        cwd: ROOT,
        stdio: 'ignore',
      },
    )
  try {
    build()
  } catch {
    build() // once more: the tree is shared with people editing the app right now
  }
  const dist = join(APP, 'dist')
  const manifestPath = join(dist, '.vite/manifest.json')
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, ManifestChunk>
  rmSync(join(dist, '.vite'), { recursive: true, force: true }) // not served to anyone
  const sizes = jsSizes(dist, manifest)
  raw.js = sizes
  rows.push({
    scenario: 'card screen JS (gzip), initial, without `@line/liff`',
    value: kb(sizes.without),
    baseline: '—',
    ratio: null,
    goal: '≤ 45 KB',
    met: sizes.without <= 45 * 1024,
  })
  rows.push({
    scenario: 'card screen JS (gzip), initial, with `@line/liff` (LINE mode)',
    value: kb(sizes.with),
    baseline: '—',
    ratio: null,
    goal: '≤ 70 KB',
    met: sizes.with <= 70 * 1024,
  })

  const server = await startServer({ env: { LOG_LEVEL: 'warn' } })
  try {
    await linkDemoUser(server.url)

    // Lighthouse, mobile (its default: a mid-range phone, 4× CPU, slow 4G simulated).
    log('Lighthouse (mobile) on /card')
    const out = mkdtempSync(join(tmpdir(), 'membercard-lh-'))
    const lh = spawnSync(
      join(ROOT, 'node_modules/.bin/lighthouse'),
      [
        `${server.url}/card`,
        '--quiet',
        '--only-categories=performance,accessibility',
        '--output=json',
        `--output-path=${join(out, 'lh.json')}`,
        '--chrome-flags=--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update',
      ],
      {
        env: { ...process.env, CHROME_PATH: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
        encoding: 'utf8',
        timeout: 180_000,
      },
    )
    const lhPath = join(out, 'lh.json')
    if (existsSync(lhPath)) {
      const report = JSON.parse(readFileSync(lhPath, 'utf8')) as {
        finalDisplayedUrl?: string
        categories: Record<string, { score: number | null }>
        audits: Record<string, { numericValue?: number; displayValue?: string }>
      }
      const perf = Math.round((report.categories.performance?.score ?? 0) * 100)
      const a11y = Math.round((report.categories.accessibility?.score ?? 0) * 100)
      const metric = (id: string) => report.audits[id]?.displayValue ?? '?'
      raw.lighthouse = {
        url: report.finalDisplayedUrl,
        performance: perf,
        accessibility: a11y,
        fcp: metric('first-contentful-paint'),
        lcp: metric('largest-contentful-paint'),
        tbt: metric('total-blocking-time'),
        cls: metric('cumulative-layout-shift'),
      }
      rows.push({
        scenario: 'Lighthouse mobile, card screen, demo mode',
        value: `performance ${perf}, accessibility ${a11y} (LCP ${metric('largest-contentful-paint')}, TBT ${metric('total-blocking-time')})`,
        baseline: '—',
        ratio: null,
        goal: '≥ 95, ≥ 95',
        met: perf >= 95 && a11y >= 95,
      })
    } else {
      raw.lighthouse = { error: (lh.stderr || lh.stdout || String(lh.error)).slice(-2000) }
      rows.push({
        scenario: 'Lighthouse mobile, card screen, demo mode',
        value: 'did not run (see latest.json)',
        baseline: '—',
        ratio: null,
        goal: '≥ 95, ≥ 95',
        met: false,
      })
    }
    // BENCH_LIGHTHOUSE_REPORT=<file>: keep the whole report (long tasks, LCP element, …).
    const keep = process.env.BENCH_LIGHTHOUSE_REPORT
    if (keep && existsSync(lhPath)) copyFileSync(lhPath, keep)
    rmSync(out, { recursive: true, force: true })

    // Returning customer to a decodable QR, 4× CPU, fast 4G.
    log('time to a decodable QR (4× CPU, fast 4G)')
    const user = newLineUserId()
    await linkDemoUser(server.url, user, { cardNumber: '4900000000000029', pin: '2345' })
    const browser = await launchBrowser()
    try {
      const context = await newPhone(browser, server.url, { user })
      await context.addInitScript(() => {
        const w = window as unknown as { __qrAt?: number }
        new MutationObserver((_m, obs) => {
          if (document.querySelector('[data-testid="qr-box"] svg.qr path')) {
            // the frame after the one that inserts it is the one that shows it
            requestAnimationFrame(() => {
              w.__qrAt = performance.now()
            })
            obs.disconnect()
          }
        }).observe(document, { childList: true, subtree: true })
      })
      const page = await context.newPage()
      const cdp = await context.newCDPSession(page)
      // The first visit (cold cache) makes this a returning customer.
      await page.goto('/card')
      await page.waitForSelector('[data-testid="qr-box"] svg.qr path', { timeout: 30_000 })
      await cdp.send('Network.enable')
      await cdp.send('Network.emulateNetworkConditions', FAST_4G)
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 })
      const times: number[] = []
      for (let i = 0; i < 3; i++) {
        await page.goto('/card', { waitUntil: 'commit' })
        await page.waitForFunction(
          () => (window as unknown as { __qrAt?: number }).__qrAt !== undefined,
          undefined,
          { timeout: 30_000 },
        )
        times.push(await page.evaluate(() => (window as unknown as { __qrAt: number }).__qrAt))
      }
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 })
      const png = await page.locator('[data-testid="qr-box"]').screenshot()
      const shot = join(mkdtempSync(join(tmpdir(), 'membercard-qr-')), 'qr.png')
      writeFileSync(shot, png)
      const decoded = await decodeQr(shot)
      rmSync(shot)
      const median = [...times].sort((a, b) => a - b)[1]!
      raw.timeToQr = { runsMs: times.map(Math.round), decoded: /^[A-Z2-7]{36}$/.test(decoded) }
      rows.push({
        scenario: 'returning customer, navigation → decodable QR (4× CPU, fast 4G)',
        value: `${(median / 1000).toFixed(2)} s (median of 3)`,
        baseline: '—',
        ratio: null,
        goal: '≤ 1.0 s',
        met: median <= 1000 && /^[A-Z2-7]{36}$/.test(decoded),
        ...(/^[A-Z2-7]{36}$/.test(decoded) ? {} : { note: 'the QR did not decode' }),
      })
      await context.close()
    } finally {
      await browser.close()
    }
  } finally {
    await server.stop()
    rmSync(server.dataDir, { recursive: true, force: true })
  }
  return { rows, raw }
}
