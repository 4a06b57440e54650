import { get, type Server } from 'node:http'
import { type AddressInfo, connect, type Socket } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { createPublicServer, SERVER_LIMITS } from '../src/http/public-server.ts'

const servers: Server[] = []
afterAll(() => {
  for (const s of servers) s.close()
})

/** A public server answering `ok` on a loopback port, with `limits`. */
async function start(limits: Parameters<typeof createPublicServer>[1]) {
  const server = createPublicServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' })
    res.end('ok')
  }, limits)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** A GET from `localAddress` (a loopback address of its own); its status, or 'closed'. */
function request(port: number, localAddress = '127.0.0.1') {
  return new Promise<number | 'closed'>((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/', localAddress, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', () => resolve('closed'))
  })
}

/** A connection that was opened, what it received, and when it closed (ms since opening). */
interface Slow {
  socket: Socket
  received: string
  closedAfter: number | null
}

function openSlow(port: number, first: string, localAddress = '127.0.0.1') {
  const opened = performance.now()
  const slow: Slow = {
    socket: connect({ host: '127.0.0.1', port, localAddress }),
    received: '',
    closedAfter: null,
  }
  slow.socket.on('connect', () => slow.socket.write(first))
  slow.socket.on('data', (d) => {
    slow.received += d.toString()
  })
  slow.socket.on('error', () => {})
  slow.socket.on('close', () => {
    slow.closedAfter = performance.now() - opened
  })
  return slow
}

/** Polls `done` every 20 ms until it holds or `ms` pass; whether it held. */
async function until(done: () => boolean, ms: number) {
  const end = performance.now() + ms
  while (!done() && performance.now() < end) await new Promise((r) => setTimeout(r, 20))
  return done()
}

describe('the public HTTP server', () => {
  it('sets header, request, keep-alive and idle timeouts and a connection cap by default', async () => {
    const server = createPublicServer(() => {}, { trustProxy: [] })
    expect(server.headersTimeout).toBe(SERVER_LIMITS.headersTimeoutMs)
    // Node's own is off: the server keeps the whole-request deadline itself (allowSlowBody).
    expect(server.requestTimeout).toBe(0)
    expect(server.keepAliveTimeout).toBe(SERVER_LIMITS.keepAliveTimeoutMs)
    expect(server.timeout).toBe(SERVER_LIMITS.idleTimeoutMs)
    expect(server.maxConnections).toBe(SERVER_LIMITS.maxConnections)
    expect(SERVER_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(10_000)
    expect(SERVER_LIMITS.requestTimeoutMs).toBeLessThanOrEqual(30_000)
    // The caps of decision 036: one address cannot hold every connection.
    expect(SERVER_LIMITS.maxConnections).toBeLessThanOrEqual(4096)
    expect(SERVER_LIMITS.maxConnectionsPerAddress).toBeLessThanOrEqual(256)
    expect(SERVER_LIMITS.maxConnectionsPerAddress).toBeLessThan(SERVER_LIMITS.maxConnections)
  })

  it('cuts off clients that send headers or a body too slowly, and serves others meanwhile', async () => {
    const port = await start({
      trustProxy: [],
      limits: { headersTimeoutMs: 800, requestTimeoutMs: 1500, checkIntervalMs: 100 },
    })
    const slowHeaders = Array.from({ length: 20 }, () =>
      openSlow(port, 'GET / HTTP/1.1\r\nHost: x\r\n'),
    )
    const slowBodies = Array.from({ length: 20 }, () =>
      openSlow(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{'),
    )
    const all = [...slowHeaders, ...slowBodies]
    const drip = setInterval(() => {
      for (const s of slowHeaders) if (!s.socket.destroyed) s.socket.write('X-Slow: 1\r\n')
      for (const s of slowBodies) if (!s.socket.destroyed) s.socket.write(' ')
    }, 100)
    try {
      for (let i = 0; i < 10; i++) expect(await request(port)).toBe(200)
      expect(await until(() => all.every((s) => s.closedAfter !== null), 5_000)).toBe(true)
    } finally {
      clearInterval(drip)
      for (const s of all) s.socket.destroy()
    }
    for (const s of slowHeaders) {
      expect(s.closedAfter).toBeGreaterThanOrEqual(700)
      expect(s.closedAfter).toBeLessThan(3_000)
      expect(s.received).toMatch(/^HTTP\/1\.1 408/)
    }
    for (const s of slowBodies) {
      expect(s.closedAfter).toBeGreaterThanOrEqual(1_400)
      expect(s.closedAfter).toBeLessThan(4_000)
    }
    expect(await request(port)).toBe(200)
  })

  it('caps the connections of one address; other addresses and trusted proxies are not capped', async () => {
    const limits = {
      maxConnectionsPerAddress: 5,
      headersTimeoutMs: 60_000,
      requestTimeoutMs: 60_000,
    }
    const port = await start({ trustProxy: [], limits })
    const held = Array.from({ length: 5 }, () => openSlow(port, 'GET / HTTP/1.1\r\n'))
    const extra = openSlow(port, 'GET / HTTP/1.1\r\n')
    expect(await until(() => extra.closedAfter !== null, 2_000)).toBe(true)
    expect(held.every((s) => s.closedAfter === null)).toBe(true)
    expect(await request(port, '127.0.0.2')).toBe(200)
    expect(await request(port)).toBe('closed')
    held[0]?.socket.destroy()
    expect(await until(() => held[0]?.closedAfter !== null, 2_000)).toBe(true)
    // The count goes down as connections close (once the server has seen the close).
    let status: number | 'closed' = 'closed'
    for (let i = 0; i < 50 && status !== 200; i++) status = await request(port)
    expect(status).toBe(200)
    for (const s of held) s.socket.destroy()

    const proxied = await start({ trustProxy: ['127.0.0.1'], limits })
    const viaProxy = Array.from({ length: 8 }, () => openSlow(proxied, 'GET / HTTP/1.1\r\n'))
    expect(await request(proxied)).toBe(200)
    expect(viaProxy.every((s) => s.closedAfter === null)).toBe(true)
    for (const s of viaProxy) s.socket.destroy()
  })
})
