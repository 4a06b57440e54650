import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { Socket } from 'node:net'
import { normalizeAddress, proxyTrust } from './client-address.ts'
import type { NodeBindings } from './node-listener.ts'

/**
 * Limits of the HTTP server for a public endpoint (docs/decisions/036): a client that sends
 * its request slowly (slowloris) is cut off, and one address cannot hold every connection.
 */
export interface ServerLimits {
  /** The request line and headers must arrive within this (else 408 and closed). */
  headersTimeoutMs: number
  /**
   * The whole request, body included, must arrive within this (else 408 and closed), unless
   * the app gives one request longer (`allowSlowBody`: an upload it has authenticated).
   */
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

/** Requests the app has given longer for their body: the time (performance.now) it ends. */
const slowBodies = new WeakMap<IncomingMessage, number>()

/**
 * Gives this request `ms` from now for the rest of its body instead of the server's
 * `requestTimeoutMs` (docs/decisions/086): for an upload the app has authenticated and
 * accepted, such as a console import's file. The idle timeout still closes a connection on
 * which nothing arrives. A no-op without the Node layer (a test's `app.request`).
 */
export function allowSlowBody(env: unknown, ms: number): void {
  const incoming = (env as Partial<NodeBindings> | undefined)?.incoming
  if (incoming !== undefined) slowBodies.set(incoming, performance.now() + ms)
}

/** Whether a body follows the request's headers (a length above 0, or chunked). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

/** Cuts off a request whose body is late, as Node's own `requestTimeout` does. */
function timeOut(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket
  if (!res.headersSent && socket.writable) {
    socket.write('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n')
  }
  socket.destroy()
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
  // The whole-request deadline is kept here rather than by Node's `requestTimeout` (0: off),
  // which is one for every request: an upload the app accepts may be given longer
  // (`allowSlowBody`). Requests whose body is still arriving are checked every
  // `checkIntervalMs`, as Node checks its own; a request that has arrived leaves the list.
  const arriving = new Map<IncomingMessage, { res: ServerResponse; deadline: number }>()
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: 0,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    (req, res) => {
      // A request without a body has arrived whole (its headers have their own timeout);
      // tracking every request would keep each one alive for up to a check interval.
      if (hasBody(req)) {
        arriving.set(req, { res, deadline: performance.now() + limits.requestTimeoutMs })
      }
      listener(req, res)
    },
  )
  const checker = setInterval(() => {
    const now = performance.now()
    for (const [req, r] of arriving) {
      if (req.complete || req.destroyed) arriving.delete(req)
      else if (now >= (slowBodies.get(req) ?? r.deadline)) {
        arriving.delete(req)
        timeOut(req, r.res)
      }
    }
  }, limits.checkIntervalMs).unref()
  server.on('close', () => clearInterval(checker))
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
