import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'

describe('demo mode (no LINE settings)', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(async () => {
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  it('prints demo cards with PINs and a staff login, and serves the stand-in LINE', async () => {
    expect(server.output()).toContain('Demo point cards (seeded just now):')
    expect(server.output()).toMatch(/4900 0000 0000 0011\s+PIN 1234/)
    expect(server.output()).toContain('demo-clerk')
    const res = await fetch(`${server.url}/__line/oauth2/v2.1/certs`)
    expect(res.status).toBe(200)
    const { keys } = (await res.json()) as { keys: { alg: string }[] }
    expect(keys[0]?.alg).toBe('ES256')
  })

  it('links a demo card with a token issued by the stand-in and verified by the real path', async () => {
    const { idToken } = (await (
      await fetch(`${server.url}/__line/demo/id-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
    ).json()) as { idToken: string }
    const auth = { Authorization: `Bearer ${idToken}`, 'content-type': 'application/json' }
    const link = await fetch(`${server.url}/api/link`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        cardNumber: '4900-0000-0000-0011',
        pin: '1234',
        consent: { version: '2026-11-01', accepted: true },
      }),
    })
    expect(link.status).toBe(201)
    expect(await link.json()).toMatchObject({
      bonusPoints: 200,
      member: { cardNumber: '************0011', points: 1400 },
    })
  })

  it("preloads only this server's LIFF mode on customer pages, and no LIFF on the till's", async () => {
    const modes = (html: string) =>
      [...html.matchAll(/<link[^>]*data-liff-mode="([a-z]+)"[^>]*>/g)].map((m) => m[1])
    for (const path of ['/', '/card', '/index.html', '/history']) {
      const page = await fetch(`${server.url}${path}`)
      expect(page.status, path).toBe(200)
      expect(page.headers.get('cache-control'), path).toBe('private, no-cache')
      const html = await page.text()
      expect(modes(html), path).toEqual(['demo'])
      const href = /<link[^>]*href="([^"]+)"[^>]*data-liff-mode="demo"/.exec(html)?.[1]
      expect((await fetch(`${server.url}${href}`)).status).toBe(200)
    }
    for (const path of ['/staff', '/staff/scan']) {
      const html = await (await fetch(`${server.url}${path}`)).text()
      expect(modes(html), path).toEqual([])
      expect(html, path).toContain('<script type="module"')
    }
  })

  it('serves the built app: SPA paths get the page, assets come precompressed and immutable', async () => {
    const page = await fetch(`${server.url}/card`)
    expect(page.status).toBe(200)
    const html = await page.text()
    const entry = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    expect(entry).toBeDefined()
    const br = await fetch(`${server.url}${entry}`, { headers: { 'Accept-Encoding': 'br' } })
    expect(br.status).toBe(200)
    expect(br.headers.get('content-encoding')).toBe('br')
    expect(br.headers.get('cache-control')).toContain('immutable')
    expect((await br.text()).length).toBeGreaterThan(1000)
  })

  it('does not reseed an existing database on restart', async () => {
    await server.stop()
    server = await startServer({ dataDir: server.dataDir })
    expect(server.output()).not.toContain('seeded just now')
    expect(server.output()).toContain('Demo point cards:')
    expect(server.output()).toContain('4900 0000 0000 0011')
  })
})
