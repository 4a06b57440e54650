import { createServer, type RequestListener, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { normalizeAddress, proxyTrust } from './client-address.ts'

/**
 * Limits of the HTTP server for a public endpoint (docs/decisions/036): a client that sends
 * its request slowly (slowloris) is cut off, and one address cannot hold every connection.
 */
export interface ServerLimits {
  /** The request line and headers must arrive within this (else 408 and closed). */
  headersTimeoutMs: number
  /** The whole request, body included, must arrive within this (else 408 and closed). */
  requestTimeoutMs: number
  /** An idle kept-alive connection is closed after this. */
  keepAliveTimeoutMs: number
  /** A connection with no traffic either way for this long is closed (a reader that stalls). */
  idleTimeoutMs: number
  /** How often the two request timeouts are checked (they fire up to this much late). */
  checkIntervalMs: number
  /** Open connections in all; more are closed at once. */
  maxConnections: number
  /** Open connections from one client address (trusted proxies are exempt). */
  maxConnectionsPerAddress: number
}

export const SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  checkIntervalMs: 1_000,
  maxConnections: 4096,
  maxConnectionsPerAddress: 256,
}

/**
 * The Node HTTP server index.ts listens with: `listener` behind the limits above. Connections
 * from the proxies of `trustProxy` count only toward the total (a proxy carries everyone).
 */
export function createPublicServer(
  listener: RequestListener,
  opts: { trustProxy: readonly string[]; limits?: Partial<ServerLimits> },
): Server {
  const limits = { ...SERVER_LIMITS, ...opts.limits }
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    listener,
  )
  server.maxConnections = limits.maxConnections
  server.setTimeout(limits.idleTimeoutMs)
  const trust = proxyTrust(opts.trustProxy)
  const open = new Map<string, number>()
  server.on('connection', (socket: Socket) => {
    const raw = socket.remoteAddress
    if (raw === undefined) return
    const address = normalizeAddress(raw)
    if (trust.trusts(address)) return
    const n = (open.get(address) ?? 0) + 1
    if (n > limits.maxConnectionsPerAddress) {
      socket.destroy()
      return
    }
    open.set(address, n)
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1
      if (left <= 0) open.delete(address)
      else open.set(address, left)
    })
  })
  return server
}
