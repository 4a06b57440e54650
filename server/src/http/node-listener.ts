import { randomUUID } from 'node:crypto'
import {
  type IncomingMessage,
  type OutgoingHttpHeader,
  type OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http'
import { getRequestListener } from '@hono/node-server'

/**
 * Security headers of JSON API answers, as the OWASP REST Security Cheat Sheet lists them (see
 * docs/decisions/014-api-headers.md). Added by the Node layer, not through Hono's `c.header`
 * (docs/decisions/016-headers-at-the-node-layer.md): one `c.header` call makes Hono build a
 * fetch `Headers` object for the answer, which @hono/node-server then converts back into Node's
 * headers, and that round trip cost the card's requests about a fifth of their time.
 */
export const API_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Cache-Control', 'no-store'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
]
const API_NAMES = API_HEADERS.map(([name]) => name.toLowerCase())

/** A caller's own request ID is kept when it looks like one (as Hono's `requestId` checks). */
const CALLER_REQUEST_ID = /^[\w\-=]{1,255}$/

/** What the Node layer hands the app on every request (Hono's `c.env`). */
export interface NodeBindings {
  incoming: IncomingMessage
  outgoing: ServerResponse
}

const REQUEST_ID = Symbol('requestId')
const API = Symbol('api')

/** A response of this layer: its request ID, and whether it answers an API call. */
type LayerResponse = ServerResponse & { [REQUEST_ID]?: string; [API]?: boolean }

/**
 * Marks the answer to this request as an API answer: the layer adds the API security headers to
 * it. The app calls this once it knows the path it routes on (Hono's, percent-decoded and
 * dot-segment-free), so the headers follow the same path as the routing: `/%61pi/me` and
 * `GET http://host/api/me` reach `/api/me` and get its headers (docs/decisions/032). A no-op
 * when the app is called without this layer (a test's `app.request`).
 */
export function markApiAnswer(env: unknown): void {
  const outgoing = (env as Partial<NodeBindings> | undefined)?.outgoing as LayerResponse | undefined
  if (outgoing !== undefined) outgoing[API] = true
}

/** The request ID the Node layer gave this request, when it came through it. */
export function nodeRequestId(env: unknown): string | undefined {
  return ((env as Partial<NodeBindings> | undefined)?.outgoing as LayerResponse | undefined)?.[
    REQUEST_ID
  ]
}

/** The caller's `X-Request-Id`, read from the raw header list (no parsed headers object). */
function callerRequestId(incoming: IncomingMessage): string | undefined {
  const raw = incoming.rawHeaders
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    if (name.length === 12 && name.toLowerCase() === 'x-request-id') {
      const value = raw[i + 1] as string
      return CALLER_REQUEST_ID.test(value) ? value : undefined
    }
  }
  return undefined
}

const nodeWriteHead = ServerResponse.prototype.writeHead as (
  this: ServerResponse,
  status: number,
  ...rest: unknown[]
) => ServerResponse

type HeadersArg = OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined

/**
 * `writeHead` of a response of this layer: the app's headers, then `X-Request-Id` and (API
 * answers) the security headers the app did not set itself, handed to Node as one flat list.
 * Measured on the bench machine: seven `setHeader` calls before the app cost ~6 µs per answer
 * more than the same headers in the `writeHead` list (Node validates and stores each twice).
 */
function writeHeadWithDefaults(
  this: LayerResponse,
  status: number,
  messageOrHeaders?: string | HeadersArg,
  maybeHeaders?: HeadersArg,
): ServerResponse {
  const message = typeof messageOrHeaders === 'string' ? messageOrHeaders : undefined
  const given = typeof messageOrHeaders === 'string' ? maybeHeaders : messageOrHeaders
  const flat: OutgoingHttpHeader[] = []
  // Names already set, lower case: the app's own win over the defaults.
  const taken = this.getHeaderNames()
  if (Array.isArray(given)) {
    for (let i = 0; i < given.length; i += 2) {
      taken.push(String(given[i]).toLowerCase())
      flat.push(given[i] as OutgoingHttpHeader, given[i + 1] as OutgoingHttpHeader)
    }
  } else if (given) {
    for (const name in given) {
      const value = given[name]
      if (value === undefined) continue
      taken.push(name.toLowerCase())
      flat.push(name, value as OutgoingHttpHeader)
    }
  }
  if (!taken.includes('x-request-id')) flat.push('X-Request-Id', this[REQUEST_ID] ?? randomUUID())
  if (this[API]) {
    for (let i = 0; i < API_HEADERS.length; i++) {
      const header = API_HEADERS[i] as readonly [string, string]
      if (!taken.includes(API_NAMES[i] as string)) flat.push(header[0], header[1])
    }
  }
  return message === undefined
    ? nodeWriteHead.call(this, status, flat)
    : nodeWriteHead.call(this, status, message, flat)
}

/**
 * The production HTTP entry: every answer gets an `X-Request-Id` (the caller's when valid, else
 * a new UUID) and every answer the app marked with `markApiAnswer` the API security headers;
 * then the app runs. Headers the app sets itself win. The layer does not look at the raw
 * request target: it is not the path the app routes on (percent-encoding, dot segments,
 * absolute-form targets), see docs/decisions/032.
 */
export function createRequestListener(
  fetch: (request: Request, env: NodeBindings) => Response | Promise<Response>,
  options: { hostname?: string } = {},
): (incoming: IncomingMessage, outgoing: ServerResponse) => Promise<void> {
  const listener = getRequestListener(fetch as Parameters<typeof getRequestListener>[0], options)
  return (incoming, outgoing) => {
    const res = outgoing as LayerResponse
    res[REQUEST_ID] = callerRequestId(incoming) ?? randomUUID()
    res[API] = false
    res.writeHead = writeHeadWithDefaults as ServerResponse['writeHead']
    return listener(incoming, outgoing)
  }
}
