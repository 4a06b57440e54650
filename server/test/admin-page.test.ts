import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import { fakeClock } from '../src/clock.ts'
import { loadConfig } from '../src/config.ts'
import { loadSecrets } from '../src/secrets.ts'
import { callApp, openTestDatabase } from './support.ts'

// A built app with the console's page beside the customer's.
const spa = mkdtempSync(join(tmpdir(), 'mc-admin-spa-'))
writeFileSync(join(spa, 'index.html'), '<!doctype html><title>app</title>')
writeFileSync(join(spa, 'admin.html'), '<!doctype html><title>console</title>')
const db = await openTestDatabase()
const app = createApp({
  db,
  clock: fakeClock(),
  config: loadConfig({ DATABASE_PATH: ':memory:', SECRETS_PATH: ':memory:', LOG_LEVEL: 'silent' }),
  secrets: loadSecrets(':memory:'),
  staticRoot: spa,
})
afterAll(() => {
  rmSync(spa, { recursive: true, force: true })
})

describe('the console page', () => {
  it('serves admin.html for /admin and every path under it, uncached, under the console page policy', async () => {
    for (const path of [
      '/admin',
      '/admin/',
      '/admin/members/abc',
      '/admin/sign-in?next=%2Fadmin',
    ]) {
      const res = await callApp(app, 'GET', path)
      expect(res.status, path).toBe(200)
      expect(res.text, path).toContain('<title>console</title>')
      // Never from a shared cache: the page carries a fresh CSP nonce (docs/decisions/031).
      expect(res.headers.get('cache-control'), path).toBe('private, no-cache')
      expect(res.headers.get('x-frame-options'), path).toBe('SAMEORIGIN')
      const nonce = /<meta property="csp-nonce" nonce="([^"]+)">/.exec(res.text)?.[1]
      expect(nonce, path).toBeTruthy()
      expect(res.headers.get('content-security-policy'), path).toContain(`'nonce-${nonce}'`)
      expect(res.headers.get('content-security-policy'), path).toContain("script-src 'self'")
    }
  })

  it('leaves the customer and till pages and the API as they were', async () => {
    for (const path of ['/', '/card', '/staff', '/staff/login', '/administrator']) {
      const res = await callApp(app, 'GET', path)
      expect(res.status, path).toBe(200)
      expect(res.text, path).toContain('<title>app</title>')
    }
    // The API under /admin is still the API: JSON errors, never the console's page.
    const api = await callApp(app, 'GET', '/api/no-such-route')
    expect(api.status).toBe(404)
    expect(api.json).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } })
    const admin = await callApp(app, 'GET', '/api/admin/kpis')
    expect(admin.status).toBe(401)
    expect(admin.text).not.toContain('<title>')
  })
})
