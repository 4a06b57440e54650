import { serve } from '@hono/node-server'
import { createLineStandIn, randomUserId } from '@membercard/server/stand-in'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'

describe('the real server process', () => {
  let server: RunningServer
  let line: Awaited<ReturnType<typeof createLineStandIn>>
  let lineServer: ReturnType<typeof serve>

  beforeAll(async () => {
    // A test-only stand-in LINE on its own port, as a real LINE channel would be configured.
    line = await createLineStandIn({ issuer: 'https://access.line.me', channelId: '1234567890' })
    const port = await new Promise<number>((res) => {
      lineServer = serve({ fetch: line.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
        res(info.port),
      )
    })
    server = await startServer({
      env: {
        LINE_LOGIN_CHANNEL_ID: '1234567890',
        LIFF_ID: '1234567890-abcdefgh',
        LINE_API_BASE: `http://127.0.0.1:${port}`,
        LOG_LEVEL: 'info',
      },
    })
  })
  afterAll(async () => {
    await server?.stop()
    lineServer?.close()
    if (server) removeDataDir(server.dataDir)
  })

  it('answers /healthz', async () => {
    const res = await fetch(`${server.url}/healthz`)
    expect(res.status).toBe(200)
  })

  it('verifies a LINE-signed ID token on /api/me through the JWKS endpoint', async () => {
    const token = await line.mintIdToken({ sub: randomUserId() })
    const res = await fetch(`${server.url}/api/me`, {
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ linked: false })
    const bad = await fetch(`${server.url}/api/me`, {
      headers: { Authorization: `Bearer ${token}x` },
    })
    expect(bad.status).toBe(401)
  })

  it('reaches none of demo mode: no stand-in LINE, no demo staff, no demo cards', async () => {
    for (const [method, path] of [
      ['POST', '/__line/demo/id-token'],
      ['GET', '/__line/_calls'],
      ['GET', '/__line/oauth2/v2.1/certs'],
      ['POST', '/v2/bot/message/push'],
    ] as const) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      })
      expect(res.status, `${method} ${path}`).toBe(404)
    }
    const config = await (await fetch(`${server.url}/api/config`)).json()
    expect(config).toMatchObject({ mode: 'line', liffId: '1234567890-abcdefgh' })
    for (const [staffId, password] of [
      ['demo-clerk', 'demo-clerk-pass'],
      ['demo-manager', 'demo-manager-pass'],
    ]) {
      const login = await fetch(`${server.url}/api/staff/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ staffId, password }),
      })
      expect(login.status, staffId).toBe(401)
      expect(((await login.json()) as { error: { code: string } }).error.code).toBe(
        'INVALID_CREDENTIALS',
      )
    }
    // Nothing was seeded: the database the server runs on holds no cards, staff or stores.
    const db = new Database(server.databasePath, { readonly: true, fileMustExist: true })
    try {
      const count = (table: string) =>
        (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
      expect(count('point_cards')).toBe(0)
      expect(count('staff')).toBe(0)
      expect(count('stores')).toBe(0)
    } finally {
      db.close()
    }
    expect(server.output()).not.toContain('DEMO MODE')
    expect(server.output()).not.toContain('demo-clerk')
  })

  it('never logs the token', async () => {
    const token = await line.mintIdToken({ sub: randomUserId() })
    await fetch(`${server.url}/api/me`, { headers: { Authorization: `Bearer ${token}` } })
    expect(server.output()).toContain('"path":"/api/me"')
    expect(server.output()).not.toContain(token.slice(-20))
  })
})
