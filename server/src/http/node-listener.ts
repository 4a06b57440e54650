import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { getRequestListener } from '@hono/node-server'

/**
 * Security headers of JSON API answers, as the OWASP REST Security Cheat Sheet lists them (see
 * docs/decisions/014-api-headers.md). Set on Node's response before the app runs, not through
 * Hono's `c.header` (docs/decisions/016-headers-at-the-node-layer.md): one `c.header` call makes
 * Hono build a fetch `Headers` object for the answer, which @hono/node-server then converts back
 * into Node's headers, and that round trip cost the card's requests about a fifth of their time.
 */
export const API_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Cache-Control', 'no-store'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
]

/** A caller's own request ID is kept when it looks like one (as Hono's `requestId` checks). */
const CALLER_REQUEST_ID = /^[\w\-=]{1,255}$/

/** What the Node layer hands the app on every request (Hono's `c.env`). */
export interface NodeBindings {
  incoming: IncomingMessage
  outgoing: ServerResponse
}

/** The request ID the Node layer gave this request, when it came through it. */
export function nodeRequestId(env: unknown): string | undefined {
  const outgoing = (env as Partial<NodeBindings> | undefined)?.outgoing
  const id = outgoing?.getHeader?.('x-request-id')
  return typeof id === 'string' ? id : undefined
}

/**
 * The production HTTP entry: every answer gets an `X-Request-Id` (the caller's when valid, else
 * a new UUID) and every `/api/` answer the API security headers, set on Node's response; then
 * the app runs. Headers the app sets itself win (Node merges `writeHead` over `setHeader`).
 */
export function createRequestListener(
  fetch: (request: Request, env: NodeBindings) => Response | Promise<Response>,
  options: { hostname?: string } = {},
): (incoming: IncomingMessage, outgoing: ServerResponse) => Promise<void> {
  const listener = getRequestListener(fetch as Parameters<typeof getRequestListener>[0], options)
  return (incoming, outgoing) => {
    const callerId = incoming.headers['x-request-id']
    outgoing.setHeader(
      'X-Request-Id',
      typeof callerId === 'string' && CALLER_REQUEST_ID.test(callerId) ? callerId : randomUUID(),
    )
    if (incoming.url?.startsWith('/api/')) {
      for (const [name, value] of API_HEADERS) outgoing.setHeader(name, value)
    }
    return listener(incoming, outgoing)
  }
}
