import { execFile, execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type Browser, type BrowserContext, type ConsoleMessage, chromium } from 'playwright-core'
import { ROOT } from './server.ts'

const run = promisify(execFile)

/** Where browser tests keep their screenshots (git-ignored). */
export const ARTIFACTS = join(ROOT, 'tests/artifacts')

/** Debian's Chromium, headless, without anything that reaches the network by itself. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  })
}

/** A fresh LINE user ID, so each test signs in as a new customer. */
export function newLineUserId(): string {
  return `U${randomUUID().replace(/-/g, '')}`
}

/** What the CSP watcher writes to the console for each violation (see `watchCsp`). */
export const CSP_VIOLATION = 'CSP violation:'

/**
 * Makes every page of `context` report each Content-Security-Policy violation it sees (the
 * `securitypolicyviolation` event) as a console error starting with `CSP_VIOLATION`, which
 * `watchPageErrors` records as a fault, so a screen that breaks its page's policy fails the
 * test. (Chromium also logs a "Refused to …" console error of its own.)
 */
export async function watchCsp(context: BrowserContext): Promise<void> {
  await context.addInitScript((prefix) => {
    addEventListener(
      'securitypolicyviolation',
      (e) => {
        console.error(
          `${prefix} ${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber} (${e.disposition})`,
        )
      },
      true,
    )
  }, CSP_VIOLATION)
}

/**
 * A phone (390×844 at 3× like a mid-range handset) signed in to demo mode as `user`.
 * `locale` sets the device language the app follows.
 */
export async function newPhone(
  browser: Browser,
  baseURL: string,
  opts: { user: string; locale?: string },
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
    locale: opts.locale ?? 'ja-JP',
  })
  await watchCsp(context)
  await context.addInitScript((user) => {
    // (A new page starts as about:blank, whose storage is off limits.)
    if (location.protocol !== 'http:') return
    if (!localStorage.getItem('membercard.demoUser'))
      localStorage.setItem('membercard.demoUser', user)
  }, opts.user)
  return context
}

/** Saves a screenshot under tests/artifacts and returns its path. */
export function saveArtifact(name: string, png: Buffer): string {
  mkdirSync(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, name)
  writeFileSync(path, png)
  return path
}

/** Reads a QR code from a PNG with zbarimg (an independent decoder). */
export async function decodeQr(pngPath: string): Promise<string> {
  const { stdout } = await run('zbarimg', [
    '--quiet',
    '--raw',
    '-Sdisable',
    '-Sqrcode.enable',
    pngPath,
  ])
  return stdout.trim()
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}

/** Builds the LIFF app when its build is missing or older than its sources. */
export function ensureAppBuilt(): void {
  const app = join(ROOT, 'liff-app')
  let built = 0
  try {
    // Both builds: the customer app's and the console's (`admin.html`, decision 050).
    built = Math.min(
      statSync(join(app, 'dist/index.html')).mtimeMs,
      statSync(join(app, 'dist/admin.html')).mtimeMs,
    )
  } catch {
    // not built yet
  }
  const sources = Math.max(
    newestMtime(join(app, 'src')),
    newestMtime(join(ROOT, 'shared/src')),
    statSync(join(app, 'index.html')).mtimeMs,
    statSync(join(app, 'admin.html')).mtimeMs,
    statSync(join(app, 'vite.config.ts')).mtimeMs,
    statSync(join(app, 'vite.admin.config.ts')).mtimeMs,
  )
  if (built >= sources) return
  execFileSync('pnpm', ['--filter', '@membercard/liff-app', 'build'], {
    cwd: ROOT,
    stdio: 'ignore',
    timeout: 180_000,
  })
}

/** Asks the demo stand-in for an ID token (optionally already expired). */
export async function demoIdToken(
  baseUrl: string,
  body: { sub: string; expiresIn?: number },
): Promise<string> {
  const res = await fetch(`${baseUrl}/__line/demo/id-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`demo id-token: ${res.status}`)
  return ((await res.json()) as { idToken: string }).idToken
}

/** Links a demo card for `sub` through the API (the set-up of tests about a returning user). */
export async function linkByApi(
  baseUrl: string,
  sub: string,
  cardNumber: string,
  pin: string,
): Promise<void> {
  const token = await demoIdToken(baseUrl, { sub })
  const config = (await (await fetch(`${baseUrl}/api/config`)).json()) as { consentVersion: string }
  const res = await fetch(`${baseUrl}/api/link`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      cardNumber,
      pin,
      consent: { version: config.consentVersion, accepted: true },
    }),
  })
  if (res.status !== 201) throw new Error(`link: ${res.status} ${await res.text()}`)
}

/** Signs in a demo clerk and returns their staff token. */
export async function staffToken(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/staff/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ staffId: 'demo-clerk', password: 'demo-clerk-pass' }),
  })
  if (!res.ok) throw new Error(`staff login: ${res.status}`)
  return ((await res.json()) as { token: string }).token
}

/** The till's scan of a QR token: the status and body. */
export async function staffScan(
  baseUrl: string,
  token: string,
  qrToken: string,
): Promise<{
  status: number
  body: { member?: { cardNumber: string; points: number }; error?: { code: string } }
}> {
  const res = await fetch(`${baseUrl}/api/staff/scan`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ qrToken }),
  })
  return { status: res.status, body: (await res.json()) as never }
}

/**
 * What Chromium itself logs as a console error when a request fails: the answer's 4xx status,
 * a 503 (the server busy), or a network error (offline, a dropped connection). The app's own
 * screens handle these; any other console error, a 500 included, is a fault.
 */
const EXPECTED_CONSOLE_ERROR =
  /^Failed to load resource: (the server responded with a status of (4\d\d|503)\b|net::ERR_)/

/** What the pages of a browser reported as faults (see `watchPageErrors`). */
export interface PageErrorLog {
  /** The faults recorded since the last call, and a fresh start. */
  take(): string[]
  /** The faults recorded since the last `take`, kept. */
  peek(): string[]
}

/**
 * Records every uncaught exception (`weberror`, Playwright's `pageerror` for all of a
 * context's pages) and every unexpected console error in any page of any context `browser`
 * opens from now on. A test takes the list after it ran and expects it empty.
 */
export function watchPageErrors(browser: Browser): PageErrorLog {
  let faults: string[] = []
  browser.on('context', (context) => {
    context.on('weberror', (e) => {
      const err = e.error()
      faults.push(`pageerror on ${e.page()?.url() ?? '?'}: ${err.stack ?? err.message}`)
    })
    context.on('console', (msg: ConsoleMessage) => {
      if (msg.type() === 'error' && !EXPECTED_CONSOLE_ERROR.test(msg.text())) {
        faults.push(`console error on ${msg.page()?.url() ?? '?'}: ${msg.text()}`)
      }
    })
  })
  return {
    take() {
      const taken = faults
      faults = []
      return taken
    },
    peek() {
      return [...faults]
    },
  }
}

/** Issues a digital card for `sub` through the API; returns its full number. */
export async function issueByApi(baseUrl: string, sub: string, name: string): Promise<string> {
  const config = (await (await fetch(`${baseUrl}/api/config`)).json()) as { consentVersion: string }
  const res = await fetch(`${baseUrl}/api/cards`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await demoIdToken(baseUrl, { sub })}`,
      'content-type': 'application/json',
      'idempotency-key': `issue-${sub}`,
    },
    body: JSON.stringify({ name, consent: { version: config.consentVersion, accepted: true } }),
  })
  if (res.status !== 201) throw new Error(`issue: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { cardNumber: string }).cardNumber
}

/** The QR token the card screen of `sub` would show now, from the API. */
export async function qrByApi(
  baseUrl: string,
  sub: string,
): Promise<{ token: string; expiresAt: string }> {
  const res = await fetch(`${baseUrl}/api/card/qr`, {
    headers: { authorization: `Bearer ${await demoIdToken(baseUrl, { sub })}` },
  })
  if (!res.ok) throw new Error(`qr: ${res.status}`)
  return (await res.json()) as { token: string; expiresAt: string }
}

/** Unlinks `sub`'s card through the API. */
export async function unlinkByApi(baseUrl: string, sub: string): Promise<void> {
  const res = await fetch(`${baseUrl}/api/link`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${await demoIdToken(baseUrl, { sub })}` },
  })
  if (res.status !== 204) throw new Error(`unlink: ${res.status}`)
}

/** A staff transaction through the API (the set-up of tests about today's list). */
export async function staffPoints(
  baseUrl: string,
  token: string,
  body:
    | { qrToken: string; type: 'award'; purchaseAmount: number }
    | {
        qrToken: string
        type: 'redeem'
        points: number
      },
): Promise<{ transactionId: string; points: number; balance: number }> {
  const res = await fetch(`${baseUrl}/api/staff/points`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': `test-${randomUUID()}`,
    },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`points: ${res.status} ${await res.text()}`)
  return (await res.json()) as { transactionId: string; points: number; balance: number }
}

/**
 * Takes SQLite's write lock on the server's database from another connection (what a stuck
 * writer or a backup holding the file does), so the server's writes time out as they would in
 * such an outage. The lock is held when it returns; call the returned function to release it.
 */
export function holdWriteLock(databasePath: string): () => void {
  const Database = createRequire(join(ROOT, 'server/package.json'))('better-sqlite3') as new (
    path: string,
  ) => { exec(sql: string): void; close(): void }
  const db = new Database(databasePath)
  db.exec('BEGIN IMMEDIATE')
  return () => {
    db.exec('ROLLBACK')
    db.close()
  }
}
