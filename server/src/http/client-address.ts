import { BlockList, isIP } from 'node:net'
import type { Context } from 'hono'
import type { NodeBindings } from './node-listener.ts'

/**
 * An address as it is compared and reported: an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`)
 * as the IPv4 address it maps, without an IPv6 zone (`%eth0`), IPv6 in lower case.
 */
export function normalizeAddress(address: string): string {
  const zone = address.indexOf('%')
  const a = zone === -1 ? address : address.slice(0, zone)
  if (a.length > 7 && a.slice(0, 7).toLowerCase() === '::ffff:' && isIP(a.slice(7)) === 4) {
    return a.slice(7)
  }
  return a.includes(':') ? a.toLowerCase() : a
}

/** The reverse proxies whose `X-Forwarded-For` is believed. */
export interface ProxyTrust {
  /** True when no proxy is trusted: the socket's address is always the client's. */
  readonly empty: boolean
  /** Whether `address` (normalized) is one of the trusted proxies. */
  trusts(address: string): boolean
}

/** The trust list of `TRUST_PROXY` (`config.trustProxy`: CIDR blocks such as `10.0.0.0/8`). */
export function proxyTrust(cidrs: readonly string[]): ProxyTrust {
  const list = new BlockList()
  for (const cidr of cidrs) {
    const slash = cidr.indexOf('/')
    const address = slash === -1 ? cidr : cidr.slice(0, slash)
    const family = isIP(address)
    if (family === 0) throw new Error(`not an IP address: ${address}`)
    const prefix = slash === -1 ? (family === 4 ? 32 : 128) : Number(cidr.slice(slash + 1))
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6')
  }
  const empty = cidrs.length === 0
  return {
    empty,
    trusts(address) {
      if (empty) return false
      const family = isIP(address)
      return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6')
    },
  }
}

/**
 * One `X-Forwarded-For` entry as an address: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
 * `[2001:db8::1]` or `[2001:db8::1]:5678`; anything else is undefined.
 */
function forwardedAddress(entry: string): string | undefined {
  let a = entry.trim()
  if (a.startsWith('[')) {
    const end = a.indexOf(']')
    if (end === -1) return undefined
    const rest = a.slice(end + 1)
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined
    a = a.slice(1, end)
  } else {
    const colon = a.indexOf(':')
    if (colon !== -1 && colon === a.lastIndexOf(':')) {
      if (!/^\d{1,5}$/.test(a.slice(colon + 1))) return undefined
      a = a.slice(0, colon)
    }
  }
  const normalized = normalizeAddress(a)
  return isIP(normalized) === 0 ? undefined : normalized
}

/**
 * The client's address: the socket's, unless the socket is a trusted proxy; then the
 * right-most `X-Forwarded-For` address that is not itself a trusted proxy (each proxy appends
 * the address it was called from, so everything left of the first untrusted one may be
 * invented by the client). A malformed entry ends the walk at the last address known good;
 * when every address is trusted the left-most one is the client. `'unknown'` without a socket.
 */
export function resolveClientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | readonly string[] | undefined,
  trust: ProxyTrust,
): string {
  if (socketAddress === undefined || socketAddress === '') return 'unknown'
  let address = normalizeAddress(socketAddress)
  if (!trust.trusts(address) || forwardedFor === undefined) return address
  const entries = (typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(',')).split(
    ',',
  )
  for (let i = entries.length - 1; i >= 0; i--) {
    const hop = forwardedAddress(entries[i] as string)
    if (hop === undefined) return address
    address = hop
    if (!trust.trusts(address)) return address
  }
  return address
}

/**
 * `clientAddress(c)` for the proxies of `trustProxy`: the address rate limits and logs use.
 * Requests made without a socket (tests' `app.request`) are `'unknown'`.
 */
export function createClientAddress(trustProxy: readonly string[]): (c: Context) => string {
  const trust = proxyTrust(trustProxy)
  return function clientAddress(c) {
    const incoming = (c.env as Partial<NodeBindings> | undefined)?.incoming
    if (incoming === undefined) return 'unknown'
    const socketAddress = incoming.socket.remoteAddress
    if (socketAddress === undefined || socketAddress === '') return 'unknown'
    const address = normalizeAddress(socketAddress)
    // The header is read only when the socket is a trusted proxy.
    if (!trust.trusts(address)) return address
    return resolveClientAddress(address, incoming.headers['x-forwarded-for'], trust)
  }
}
