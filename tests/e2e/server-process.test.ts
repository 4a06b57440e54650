import { serve } from '@hono/node-server'
import { createLineStandIn, randomUserId } from '@membercard/server/stand-in'
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

  it('mounts no demo stand-in when LINE settings are present, and never logs the token', async () => {
    const res = await fetch(`${server.url}/__line/oauth2/v2.1/certs`)
    expect(res.status).toBe(404)
    const token = await line.mintIdToken({ sub: randomUserId() })
    await fetch(`${server.url}/api/me`, { headers: { Authorization: `Bearer ${token}` } })
    expect(server.output()).toContain('"path":"/api/me"')
    expect(server.output()).not.toContain(token.slice(-20))
  })
})
