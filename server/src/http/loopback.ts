import { isIP } from 'node:net'
import { normalizeAddress } from './client-address.ts'

/**
 * True for a host name or address that always means this machine: `localhost` and names under
 * it (RFC 6761; browsers resolve them to loopback themselves), 127.0.0.0/8 and `::1` (also
 * IPv4-mapped, bracketed, or written out in full). A DNS name that happens to resolve to a
 * loopback address is not one: its owner may change the answer (DNS rebinding).
 */
export function isLoopbackHost(host: string): boolean {
  let h = host.trim().toLowerCase()
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1)
  if (h.endsWith('.')) h = h.slice(0, -1)
  if (h === 'localhost' || h.endsWith('.localhost')) return true
  const address = normalizeAddress(h)
  switch (isIP(address)) {
    case 4:
      return address.startsWith('127.')
    case 6:
      // The URL parser writes every IPv6 address in its one canonical form.
      return new URL(`http://[${address}]/`).hostname === '[::1]'
    default:
      return false
  }
}

/** The host name of a `Host` header value (`example.jp:3000`, `[::1]:80`), or undefined. */
export function hostnameOf(hostHeader: string): string | undefined {
  if (hostHeader === '' || /[/?#@\\\s]/.test(hostHeader)) return undefined
  if (!URL.canParse(`http://${hostHeader}/`)) return undefined
  const name = new URL(`http://${hostHeader}/`).hostname
  return name.startsWith('[') ? name.slice(1, -1) : name
}
