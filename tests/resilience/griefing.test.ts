import { execFile } from 'node:child_process'
import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import { call, idTokenFor, importCards, makeCards, randomSub, type TestCard } from './helpers.ts'

const consent = { version: '2026-11-01', accepted: true }

/** A GET from the loopback address `from`; its status and how long it took. */
function getFrom(url: string, path: string, from: string) {
  const { hostname, port } = new URL(url)
  const start = performance.now()
  return new Promise<{ status: number; ms: number }>((resolve, reject) => {
    const req = request(
      { host: hostname, port: Number(port), path, localAddress: from, agent: false },
      (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/**
 * Strangers trying to lock an owner out, against the real server process behind a trusted
 * proxy (the test client; X-Forwarded-For names each client): staff sign-in griefing, card
 * lock griefing with many LINE accounts, and a slowloris run (docs/decisions/034–036).
 */
describe('griefing', () => {
  let server: RunningServer
  let cards: TestCard[]
  beforeAll(async () => {
    server = await startServer({ env: { TRUST_PROXY: '127.0.0.1' } })
    cards = makeCards(4, 13, 100)
    importCards(server, cards)
  }, 90_000)
  afterAll(async () => {
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  const login = (staffId: string, password: string, from: string) =>
    call(server.url, '/api/staff/login', {
      body: { staffId, password },
      headers: { 'X-Forwarded-For': from },
    })

  it('a stranger failing from one address and from many cannot keep the clerk out at their usual address', async () => {
    const usual = '198.51.100.7'
    expect((await login('demo-clerk', 'demo-clerk-pass', usual)).status).toBe(200)
    const one = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login('demo-clerk', `guess-${i}`, '203.0.113.9')),
    )
    const many = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login('demo-clerk', `guess-${i}`, `192.0.2.${i + 1}`)),
    )
    const statuses = [...one, ...many].map((r) => r.status)
    // Some guesses are checked, most are slowed down; none gets in.
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true)
    expect(one.filter((r) => r.status === 401)).toHaveLength(5)
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(40)
    // The clerk at the usual address signs in straight away, and so does a colleague.
    expect((await login('demo-clerk', 'demo-clerk-pass', usual)).status).toBe(200)
    // A new address must wait like the strangers (the right password too), with Retry-After.
    const fresh = await login('demo-clerk', 'demo-clerk-pass', '198.51.100.99')
    expect(fresh.status).toBe(429)
    expect(Number(fresh.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(Number(fresh.headers.get('retry-after'))).toBeLessThanOrEqual(3600)
  }, 120_000)

  it('many LINE accounts guessing one card at once: at most 3 PINs are checked, the owner is told when and to ask the store, who clears it', async () => {
    const card = cards[0]!
    const tokens = await Promise.all(
      Array.from({ length: 40 }, () => idTokenFor(server.url, randomSub())),
    )
    const wrong = card.pin === '0000' ? '0001' : '0000'
    const answers = await Promise.all(
      tokens.map((token) =>
        call(server.url, '/api/link', {
          token,
          body: { cardNumber: card.cardNumber, pin: wrong, consent },
        }),
      ),
    )
    expect(answers.filter((a) => a.status === 422)).toHaveLength(3)
    expect(answers.filter((a) => a.status === 429)).toHaveLength(37)
    // The owner, with the right PIN: refused for now, with when and what to do.
    const owner = await idTokenFor(server.url, randomSub())
    const link = () =>
      call(server.url, '/api/link', {
        token: owner,
        body: { cardNumber: card.cardNumber, pin: card.pin, consent },
      })
    const refused = await link()
    expect(refused.status).toBe(429)
    const retry = Number(refused.headers.get('retry-after'))
    expect(retry).toBeGreaterThan(0)
    expect(retry).toBeLessThanOrEqual(86_400)
    expect(refused.body).toMatchObject({
      error: {
        code: 'TOO_MANY_ATTEMPTS',
        message: expect.stringContaining('the store can clear the lock'),
      },
    })
    // The store clears the lock; the owner links at once. (Run without blocking this process:
    // a blocked event loop would miss the server closing an idle kept-alive socket, and the
    // owner's POST would go out on it.)
    const unlock = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'server/src/cli/cards-unlock.ts', '--card', card.cardNumber],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_PATH: server.databasePath,
          LOG_LEVEL: 'warn',
        },
        encoding: 'utf8',
      },
    )
    expect(unlock.stdout).toContain('Cleared the lock of card')
    expect((await link()).status).toBe(201)
  }, 120_000)

  it('slowloris: 300 clients that never finish their headers are cut off; others are served meanwhile', async () => {
    const { hostname, port } = new URL(server.url)
    const slow: { socket: Socket; received: string; closedAt: number | null }[] = []
    const opened = performance.now()
    for (let i = 0; i < 300; i++) {
      // From an address of their own (127.0.0.1 is the trusted proxy here, never capped).
      const s = {
        socket: connect({ host: hostname, port: Number(port), localAddress: '127.0.0.3' }),
        received: '',
        closedAt: null as number | null,
      }
      s.socket.on('connect', () => s.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'))
      s.socket.on('data', (d) => {
        s.received += d.toString()
      })
      s.socket.on('error', () => {})
      s.socket.on('close', () => {
        s.closedAt = performance.now() - opened
      })
      slow.push(s)
    }
    const drip = setInterval(() => {
      for (const s of slow) if (!s.socket.destroyed) s.socket.write('X-Slow: 1\r\n')
    }, 500)
    try {
      // Another client is served promptly while the slow ones hold their connections.
      for (let i = 0; i < 5; i++) {
        const res = await getFrom(server.url, '/healthz', '127.0.0.2')
        expect(res.status).toBe(200)
        expect(res.ms).toBeLessThan(2000)
      }
      // Every slow client is cut off: past the per-address cap at once, the rest by the
      // 10-second headers timeout.
      const end = performance.now() + 30_000
      while (slow.some((s) => s.closedAt === null) && performance.now() < end) {
        await new Promise((r) => setTimeout(r, 100))
      }
    } finally {
      clearInterval(drip)
    }
    expect(slow.every((s) => s.closedAt !== null)).toBe(true)
    const timedOut = slow.filter((s) => s.received.startsWith('HTTP/1.1 408'))
    expect(timedOut.length).toBeGreaterThanOrEqual(200)
    expect(timedOut.length).toBeLessThanOrEqual(256)
    for (const s of timedOut) expect(s.closedAt).toBeLessThan(20_000)
    // And the slow clients' own address is served again.
    expect((await getFrom(server.url, '/healthz', '127.0.0.3')).status).toBe(200)
  }, 120_000)
})
