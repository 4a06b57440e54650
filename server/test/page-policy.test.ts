import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hono } from 'hono'
import { afterAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import { fakeClock } from '../src/clock.ts'
import { loadConfig } from '../src/config.ts'
import { LOCKED_POLICY, pagePolicy, preparePage, sendPage } from '../src/http/page-policy.ts'
import { loadSecrets } from '../src/secrets.ts'
import { CHANNEL_ID, openTestDatabase, startStandIn } from './support.ts'

/** A built app as Vite writes it: module script, stylesheet, both LIFF modes' preloads. */
const root = mkdtempSync(join(tmpdir(), 'membercard-page-'))
mkdirSync(join(root, 'assets'))
writeFileSync(
  join(root, 'index.html'),
  `<!doctype html>
<html lang="ja">
  <head>
    <meta charset="UTF-8" />
    <title>会員証</title>
    <script type="module" crossorigin src="/assets/index-a.js"></script>
    <link rel="stylesheet" crossorigin href="/assets/index-a.css">
    <link rel="modulepreload" crossorigin="" href="/assets/liff-line-a.js" data-liff-mode="line">
    <link rel="modulepreload" crossorigin="" href="/assets/liff-demo-a.js" data-liff-mode="demo">
  </head>
  <body><div id="app"></div></body>
</html>`,
)
writeFileSync(join(root, 'assets/index-a.js'), 'export {}')
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** The directives of a policy: name → sources. */
function directives(policy: string | null): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const part of (policy ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/)
    if (name) out.set(name, sources)
  }
  return out
}

const db = await openTestDatabase()
const secrets = loadSecrets(':memory:')
const demo = createApp({
  db,
  clock: fakeClock(),
  config: loadConfig({ DATABASE_PATH: ':memory:', SECRETS_PATH: ':memory:' }),
  secrets,
  staticRoot: root,
})
const { base: lineBase } = await startStandIn()
const line = createApp({
  db,
  clock: fakeClock(),
  config: loadConfig({
    DATABASE_PATH: ':memory:',
    SECRETS_PATH: ':memory:',
    LINE_LOGIN_CHANNEL_ID: CHANNEL_ID,
    LINE_API_BASE: lineBase,
  }),
  secrets,
  staticRoot: root,
})

describe('the pages’ Content-Security-Policy (decision 031)', () => {
  it('every page of the customer app and the till has one, strict, with a fresh nonce', async () => {
    const nonces = new Set<string>()
    for (const path of ['/', '/index.html', '/card', '/link', '/history', '/settings', '/staff']) {
      const res = await demo.request(path)
      expect(res.status, path).toBe(200)
      const policy = res.headers.get('Content-Security-Policy')
      const d = directives(policy)
      expect(d.get('default-src'), path).toEqual(["'none'"])
      expect(d.get('object-src'), path).toEqual(["'none'"])
      expect(d.get('base-uri'), path).toEqual(["'none'"])
      expect(d.get('form-action'), path).toEqual(["'self'"])
      expect(d.get('frame-ancestors'), path).toEqual(["'self'"])
      expect(d.get('connect-src'), path).toEqual(["'self'"])
      expect(d.get('img-src'), path).toEqual(["'self'", 'data:'])
      expect(policy, path).not.toMatch(/'unsafe-inline'|'unsafe-eval'|\*/)
      // The nonce of the header is the one the page carries, and no other page's.
      const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(d.get('style-src')?.join(' ') ?? '')?.[1]
      expect(nonce, path).toMatch(/^[A-Za-z0-9+/]{22}==$/)
      expect(d.get('style-src'), path).toEqual(["'self'", `'nonce-${nonce}'`])
      const html = await res.text()
      expect(html, path).toContain(`<head><meta property="csp-nonce" nonce="${nonce}">`)
      expect(html.match(/nonce="/g), path).toHaveLength(1)
      nonces.add(nonce as string)
      expect(res.headers.get('Cache-Control'), path).toBe('private, no-cache')
    }
    expect(nonces.size).toBe(7)
  })

  it('allows WebAssembly on the till only (its camera scanner), and nothing inline anywhere', async () => {
    const customer = directives(
      (await demo.request('/card')).headers.get('Content-Security-Policy'),
    )
    expect(customer.get('script-src')).toEqual(["'self'"])
    for (const path of ['/staff', '/staff/login', '/staff/today']) {
      const till = directives((await demo.request(path)).headers.get('Content-Security-Policy'))
      expect(till.get('script-src'), path).toEqual(["'self'", "'wasm-unsafe-eval'"])
    }
  })

  it('in LINE mode allows what the LIFF SDK reaches itself, and no more', async () => {
    const customer = directives(
      (await line.request('/card')).headers.get('Content-Security-Policy'),
    )
    expect(customer.get('script-src')).toEqual(["'self'", 'https://static.line-scdn.net'])
    expect(customer.get('connect-src')).toEqual([
      "'self'",
      'https://api.line.me',
      'https://liffsdk.line-scdn.net',
    ])
    const till = directives((await line.request('/staff')).headers.get('Content-Security-Policy'))
    expect(till.get('script-src')).toEqual([
      "'self'",
      "'wasm-unsafe-eval'",
      'https://static.line-scdn.net',
    ])
    expect(till.get('connect-src')).toEqual([
      "'self'",
      'https://api.line.me',
      'https://liffsdk.line-scdn.net',
      'https://uts-front.line-apps.com',
    ])
  })

  it('a console page (no LIFF) gets the same strict policy without LINE origins', () => {
    const d = directives(pagePolicy({ kind: 'console', line: true, nonce: 'n' }))
    expect(d.get('script-src')).toEqual(["'self'"])
    expect(d.get('connect-src')).toEqual(["'self'"])
    expect(d.get('style-src')).toEqual(["'self'", "'nonce-n'"])
    // The preview of a composed message draws its https images; nothing else is loaded.
    expect(d.get('img-src')).toEqual(["'self'", 'data:', 'https:'])
  })

  it('puts the nonce where the head begins, also in a page without the optional <head> tag', () => {
    expect(preparePage('<!doctype html><html lang="ja"><head><title>a</title>').before).toBe(
      '<!doctype html><html lang="ja"><head>',
    )
    expect(preparePage('<!doctype html><title>a</title>').before).toBe('<!doctype html>')
  })

  it("gives a page's inline style sheets (the card's skeleton) the answer's nonce", async () => {
    const page = preparePage('<!doctype html><head><style>.a{}</style></head><style>.b{}</style>')
    const app = new Hono().get('/', (c) => sendPage(c, page, { kind: 'customer', line: false }))
    const res = await app.request('/')
    const nonce = /'nonce-([^']+)'/.exec(res.headers.get('Content-Security-Policy') ?? '')?.[1]
    expect(nonce).toBeTruthy()
    const body = await res.text()
    expect(body.match(/<style nonce="([^"]+)">/g)).toEqual([
      `<style nonce="${nonce}">`,
      `<style nonce="${nonce}">`,
    ])
    expect(body).not.toContain('<style>')
  })

  it('locks down every other answer outside the API (files, health, errors)', async () => {
    for (const path of ['/assets/index-a.js', '/healthz', '/webhook/nope']) {
      const res = await demo.request(path)
      expect(res.headers.get('Content-Security-Policy'), path).toBe(LOCKED_POLICY)
    }
    expect(directives(LOCKED_POLICY).get('default-src')).toEqual(["'none'"])
  })

  it('the account-link page allows its own style sheet by hash, not any inline style', async () => {
    const res = await line.request('/account-link?linkToken=unknown')
    const html = await res.text()
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? ''
    expect(style).toContain('font-family')
    const hash = createHash('sha256').update(style).digest('base64')
    const d = directives(res.headers.get('Content-Security-Policy'))
    expect(d.get('style-src')).toEqual([`'sha256-${hash}'`])
    expect(d.get('default-src')).toEqual(["'none'"])
    expect(html).not.toMatch(/<script/i)
  })
})
