import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

/**
 * Addresses a webhook may not reach unless `WEBHOOK_ALLOW_PRIVATE=true`: this host, private
 * networks, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast,
 * reserved and unspecified addresses, in IPv4 and IPv6 (an IPv4-mapped IPv6 address is
 * checked as its IPv4 address).
 */
const BLOCKED = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4')
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6')
}

/** True when `ip` (a literal address) is one a webhook may not reach by default. */
export function isBlockedAddress(ip: string): boolean {
  const family = isIP(ip)
  if (family === 4) return BLOCKED.check(ip, 'ipv4')
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
    if (mapped?.[1]) return BLOCKED.check(mapped[1], 'ipv4')
    // ::ffff:7f00:1 spelled in hex is the same IPv4 address.
    const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip)
    if (hexMapped?.[1] && hexMapped[2]) {
      const hi = Number.parseInt(hexMapped[1], 16)
      const lo = Number.parseInt(hexMapped[2], 16)
      return BLOCKED.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, 'ipv4')
    }
    return BLOCKED.check(ip, 'ipv6')
  }
  return true
}

/** A URL's host as an address literal, or its name (brackets of an IPv6 literal removed). */
export function hostOf(url: URL): string {
  const h = url.hostname
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h
}

/** Why a target is refused; null when it may be called. */
export type AddressCheck =
  | { ok: true; addresses: { address: string; family: number }[] }
  | {
      ok: false
      reason: string
    }

/**
 * Resolves `host` (every address it has) and refuses it when any address is blocked
 * (unless `allowPrivate`). A name that does not resolve is refused too.
 */
export async function checkHost(host: string, allowPrivate: boolean): Promise<AddressCheck> {
  let addresses: { address: string; family: number }[]
  const family = isIP(host)
  if (family !== 0) {
    addresses = [{ address: host, family }]
  } else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true })
    } catch {
      return { ok: false, reason: `${host} does not resolve` }
    }
    if (addresses.length === 0) return { ok: false, reason: `${host} does not resolve` }
  }
  if (!allowPrivate) {
    const blocked = addresses.find((a) => isBlockedAddress(a.address))
    if (blocked) {
      return {
        ok: false,
        reason: `${host} is a private, loopback or link-local address (${blocked.address}); set WEBHOOK_ALLOW_PRIVATE=true to allow it`,
      }
    }
  }
  return { ok: true, addresses }
}
