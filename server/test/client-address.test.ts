import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { normalizeAddress, proxyTrust, resolveClientAddress } from '../src/http/client-address.ts'
import { LOGIN_LIMITS } from '../src/services/login-limits.ts'
import { createTestContext } from './support.ts'

/** Trust as the server builds it from TRUST_PROXY (through the config's parsing). */
const trust = (...cidrs: string[]) => proxyTrust(cidrs)
const LB = trust('10.0.0.0/8', '2001:db8:ffff::/48')

describe('resolveClientAddress (the trusted-proxy algorithm)', () => {
  it('uses the socket address when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(resolveClientAddress('198.51.100.7', '203.0.113.1', trust())).toBe('198.51.100.7')
    expect(resolveClientAddress('198.51.100.7', undefined, trust())).toBe('198.51.100.7')
  })

  it('ignores a spoofed X-Forwarded-For from a socket that is not a trusted proxy', () => {
    expect(resolveClientAddress('198.51.100.7', '203.0.113.1', LB)).toBe('198.51.100.7')
    expect(resolveClientAddress('198.51.100.7', '10.0.0.5, 203.0.113.1', LB)).toBe('198.51.100.7')
  })

  it('takes the right-most address that is not a trusted proxy, through a chain of proxies', () => {
    // client 203.0.113.9 → proxy 10.1.1.1 → proxy 10.2.2.2 → us; the client forged 1.1.1.1.
    expect(resolveClientAddress('10.2.2.2', '1.1.1.1, 203.0.113.9, 10.1.1.1', LB)).toBe(
      '203.0.113.9',
    )
    expect(resolveClientAddress('10.2.2.2', '203.0.113.9', LB)).toBe('203.0.113.9')
    // Several header lines are one list, in order.
    expect(resolveClientAddress('10.2.2.2', ['1.1.1.1', '203.0.113.9, 10.1.1.1'], LB)).toBe(
      '203.0.113.9',
    )
    // A trusted proxy without the header: the proxy is all that is known.
    expect(resolveClientAddress('10.2.2.2', undefined, LB)).toBe('10.2.2.2')
    // Every hop trusted: the left-most one is the client.
    expect(resolveClientAddress('10.2.2.2', '10.9.9.9, 10.1.1.1', LB)).toBe('10.9.9.9')
  })

  it('handles IPv6 sockets, IPv6 entries (bare, bracketed, with ports) and IPv4-mapped addresses', () => {
    expect(resolveClientAddress('2001:db8:ffff::1', '2001:DB8:1::42', LB)).toBe('2001:db8:1::42')
    expect(resolveClientAddress('2001:db8:ffff::1', '[2001:db8:1::42]:51234', LB)).toBe(
      '2001:db8:1::42',
    )
    expect(resolveClientAddress('2001:db8:ffff::1', '[2001:db8:1::42]', LB)).toBe('2001:db8:1::42')
    expect(resolveClientAddress('2001:db8:ffff::1', '203.0.113.9:4711', LB)).toBe('203.0.113.9')
    // A dual-stack socket reports an IPv4 proxy as ::ffff:10.x: it is still the trusted proxy.
    expect(resolveClientAddress('::ffff:10.0.0.5', '203.0.113.9', LB)).toBe('203.0.113.9')
    expect(resolveClientAddress('::ffff:198.51.100.7', '203.0.113.9', LB)).toBe('198.51.100.7')
    expect(resolveClientAddress('10.0.0.5', '::ffff:203.0.113.9', LB)).toBe('203.0.113.9')
    // A mapped entry of a trusted proxy is skipped like the plain one.
    expect(resolveClientAddress('10.0.0.5', '203.0.113.9, ::ffff:10.0.0.6', LB)).toBe('203.0.113.9')
    expect(resolveClientAddress('fe80::1%eth0', '203.0.113.9', trust('fe80::/10'))).toBe(
      '203.0.113.9',
    )
  })

  it('stops at a malformed entry and keeps the last address known good', () => {
    for (const header of [
      'not-an-ip',
      '203.0.113.9, ',
      '203.0.113.9,,',
      '999.1.1.1',
      '203.0.113.9:port',
      '[2001:db8::1',
      '[2001:db8::1]x',
      '203.0.113.9 10.0.0.1',
      '',
    ]) {
      expect(resolveClientAddress('10.0.0.5', header, LB), JSON.stringify(header)).toBe('10.0.0.5')
    }
    // Left of a malformed entry nothing counts; right of it the walk went as usual.
    expect(resolveClientAddress('10.0.0.5', '203.0.113.9, junk, 10.0.0.7', LB)).toBe('10.0.0.7')
  })

  it('reports no address without a socket, and normalizes addresses for comparing and logging', () => {
    expect(resolveClientAddress(undefined, '203.0.113.9', LB)).toBe('unknown')
    expect(normalizeAddress('::FFFF:192.0.2.1')).toBe('192.0.2.1')
    expect(normalizeAddress('FE80::1%eth0')).toBe('fe80::1')
    expect(normalizeAddress('192.0.2.1')).toBe('192.0.2.1')
    expect(normalizeAddress('::ffff:zz')).toBe('::ffff:zz')
  })
})

describe('the staff sign-in limit per address, over HTTP', () => {
  /** Fails sign-in `n` times (distinct staff IDs: only the per-address limit applies). */
  async function failLogins(
    ctx: Awaited<ReturnType<typeof createTestContext>>,
    forwardedFor: string,
    n: number,
    tag: string,
  ) {
    // At the same time: the limit is checked and the attempt recorded in one step.
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        ctx.callServed('POST', '/api/staff/login', {
          headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': forwardedFor },
          body: { staffId: `nobody-${tag}-${i}`, password: 'wrong-password' },
        }),
      ),
    )
    return answers.map((a) => a.status)
  }

  it('counts two clients behind a trusted proxy separately, and logs each one’s address', async () => {
    const ctx = await createTestContext({ env: { TRUST_PROXY: '127.0.0.1' } })
    const first = await failLogins(ctx, '203.0.113.10', LOGIN_LIMITS.address.free, 'a')
    expect(first.every((s) => s === 401)).toBe(true)
    expect(await failLogins(ctx, '203.0.113.10', 1, 'a-more')).toEqual([429])
    // Another client through the same proxy is not limited by the first one's failures.
    expect(await failLogins(ctx, '203.0.113.20', 1, 'b')).toEqual([401])
    const stored = await ctx.db.execute(
      sql`SELECT ip, CAST(count(*) AS BIGINT) AS n FROM login_attempts GROUP BY ip ORDER BY ip`,
    )
    expect(stored).toEqual([
      { ip: '203.0.113.10', n: LOGIN_LIMITS.address.free },
      { ip: '203.0.113.20', n: 1 },
    ])
    const lines = ctx.logger.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request')
    expect(lines.some((l) => l.ip === '203.0.113.20' && l.path === '/api/staff/login')).toBe(true)
  }, 60_000)

  it('counts every request of an untrusted socket as that socket, whatever X-Forwarded-For says', async () => {
    const ctx = await createTestContext({ env: { TRUST_PROXY: '10.0.0.0/8' } })
    const first = await failLogins(ctx, '203.0.113.10', LOGIN_LIMITS.address.free, 'a')
    expect(first.every((s) => s === 401)).toBe(true)
    // A new X-Forwarded-For does not get a fresh allowance: the socket is 127.0.0.1 for both.
    expect(await failLogins(ctx, '203.0.113.20', 1, 'b')).toEqual([429])
    const stored = await ctx.db.execute(sql`SELECT DISTINCT ip FROM login_attempts`)
    expect(stored).toEqual([{ ip: '127.0.0.1' }])
    const lines = ctx.logger.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request')
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.every((l) => l.ip === '127.0.0.1')).toBe(true)
  }, 60_000)
})
