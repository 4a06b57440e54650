import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import { fakeClock } from '../src/clock.ts'
import { ConfigError, loadConfig } from '../src/config.ts'
import { isLoopbackHost } from '../src/http/loopback.ts'
import { createLineStandIn } from '../src/line/stand-in.ts'
import { memoryLogger } from '../src/logger.ts'
import { loadSecrets } from '../src/secrets.ts'
import { CHANNEL_ID, openTestDatabase, serveApp, startStandIn } from './support.ts'

const base = { DATABASE_PATH: ':memory:', SECRETS_PATH: ':memory:' }

/** The message `loadConfig(env)` stops with. */
function configError(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env })
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message
  }
  throw new Error(`no error for ${JSON.stringify(env)}`)
}

describe('demo mode never listens on the network by accident (decision 030)', () => {
  it('refuses a non-loopback HOST without DEMO_ALLOW_NETWORK=true, naming both', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'members.example.jp', '10.0.0.1']) {
      const message = configError({ HOST: host })
      expect(message, host).toMatch(/^Invalid setting HOST: /)
      expect(message, host).toContain('DEMO_ALLOW_NETWORK=true')
      expect(message, host).not.toContain('\n')
    }
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost', '::ffff:127.0.0.1']) {
      expect(loadConfig({ ...base, HOST: host }).demo, host).toBe(true)
    }
  })

  it('allows it with the opt-in, and real LINE settings on any address', () => {
    const open = loadConfig({ ...base, HOST: '0.0.0.0', DEMO_ALLOW_NETWORK: 'true' })
    expect(open).toMatchObject({ demo: true, demoAllowNetwork: true, host: '0.0.0.0' })
    const real = loadConfig({ ...base, HOST: '0.0.0.0', LINE_LOGIN_CHANNEL_ID: CHANNEL_ID })
    expect(real).toMatchObject({ demo: false, demoAllowNetwork: false })
    expect(configError({ DEMO_ALLOW_NETWORK: 'yes' })).toMatch(/DEMO_ALLOW_NETWORK/)
  })

  it('refuses a demo behind a public PUBLIC_URL (a proxy would expose it) without the opt-in', () => {
    expect(configError({ PUBLIC_URL: 'https://members.example.jp' })).toMatch(
      /^Invalid setting PUBLIC_URL: .*DEMO_ALLOW_NETWORK=true/,
    )
    expect(loadConfig({ ...base, PUBLIC_URL: 'http://localhost:8080' }).demo).toBe(true)
  })

  it('takes a blank LINE_LOGIN_CHANNEL_ID for a mistake, not for demo mode', () => {
    for (const blank of ['', '   ']) {
      const message = configError({ LINE_LOGIN_CHANNEL_ID: blank })
      expect(message).toMatch(/^Invalid setting LINE_LOGIN_CHANNEL_ID: is set but empty/)
      expect(message).not.toContain('\n')
    }
    expect(loadConfig(base).demo).toBe(true)
  })

  it('knows loopback names and addresses from the rest', () => {
    for (const h of [
      'localhost',
      'LOCALHOST.',
      'app.localhost',
      '127.1.2.3',
      '[::1]',
      '0:0:0:0:0:0:0:1',
    ])
      expect(isLoopbackHost(h), h).toBe(true)
    for (const h of ['0.0.0.0', '::', 'localhost.example.jp', '128.0.0.1', '::2', 'evil', ''])
      expect(isLoopbackHost(h), h).toBe(false)
  })
})

/** A raw request with its own Host header (or target), to the served app. */
function rawRequest(
  url: string,
  o: { host?: string; path?: string; method?: string } = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname,
        port,
        method: o.method ?? 'GET',
        path: o.path ?? '/healthz',
        headers: o.host !== undefined ? { host: o.host } : {},
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d) => {
          body += d
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('demo mode answers only to loopback names and PUBLIC_URL (DNS rebinding)', async () => {
  const clock = fakeClock()
  const config = loadConfig({ ...base, PUBLIC_URL: 'http://demo.localhost:3000' })
  const standIn = await createLineStandIn({
    issuer: config.line.issuer,
    channelId: config.line.loginChannelId,
  })
  const db = await openTestDatabase()
  const app = createApp({
    db,
    clock,
    config,
    secrets: loadSecrets(':memory:'),
    logger: memoryLogger(),
    standIn,
  })
  const url = await serveApp(app)

  it('refuses another Host with 421 HOST_NOT_ALLOWED before anything runs', async () => {
    for (const path of ['/healthz', '/__line/_calls', '/v2/bot/info', '/api/config', '/']) {
      for (const host of ['evil.example', 'evil.example:3000', '192.168.1.20', 'localhost.evil']) {
        const res = await rawRequest(url, { host, path })
        expect(res.status, `${host} ${path}`).toBe(421)
        expect(JSON.parse(res.body).error.code).toBe('HOST_NOT_ALLOWED')
      }
    }
    // The stand-in's token minting, the heart of the matter.
    const mint = await rawRequest(url, {
      host: 'rebind.attacker.example',
      path: '/__line/demo/id-token',
      method: 'POST',
    })
    expect(mint.status).toBe(421)
    // An absolute-form target naming another host is refused the same way.
    const absolute = await rawRequest(url, { path: 'http://evil.example/api/config' })
    expect(absolute.status).toBe(421)
  })

  it('answers loopback names and addresses, and PUBLIC_URL host', async () => {
    const port = new URL(url).port
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      'localhost',
      'demo.localhost:3000',
    ]) {
      const res = await rawRequest(url, { host, path: '/api/config' })
      expect(res.status, host).toBe(200)
    }
  })
})

describe('outside demo mode the Host header is not checked', async () => {
  const { base: lineBase } = await startStandIn()
  const config = loadConfig({
    ...base,
    LINE_LOGIN_CHANNEL_ID: CHANNEL_ID,
    LINE_API_BASE: lineBase,
  })
  const db = await openTestDatabase()
  const app = createApp({ db, clock: fakeClock(), config, secrets: loadSecrets(':memory:') })
  const url = await serveApp(app)

  it('answers a request for the public name', async () => {
    expect((await rawRequest(url, { host: 'members.example.jp' })).status).toBe(200)
  })
})
