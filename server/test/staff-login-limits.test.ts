import { describe, expect, it } from 'vitest'
import { LOGIN_LIMITS } from '../src/services/login-limits.ts'
import { createStaffService } from '../src/services/staff.ts'
import { TILL_PASSWORD } from './points-support.ts'
import { createTestContext } from './support.ts'

// Behind a trusted proxy (the test client's socket), so X-Forwarded-For names the client.
const ctx = await createTestContext({ env: { TRUST_PROXY: '127.0.0.1' } })
const staff = createStaffService({ db: ctx.db, clock: ctx.clock })

let nextId = 0
/** A fresh clerk account (so tests do not share counters). */
async function newClerk() {
  const staffId = `clerk-${++nextId}`
  await staff.upsert({ staffId, storeCode: 'S001', storeName: 'Store', password: TILL_PASSWORD })
  return staffId
}

async function login(staffId: string, password: string, from: string) {
  const res = await ctx.callServed('POST', '/api/staff/login', {
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': from },
    body: { staffId, password },
  })
  return { status: res.status, retryAfter: Number(res.headers.get('Retry-After') ?? 0) }
}

// Every failed sign-in costs an scrypt: slow on a busy machine.
describe('staff sign-in limits', { timeout: 120_000 }, () => {
  it('a stranger failing again and again cannot keep a clerk out at their usual address', async () => {
    const clerk = await newClerk()
    expect((await login(clerk, TILL_PASSWORD, '198.51.100.7')).status).toBe(200)
    // One stranger at one address, then a botnet of many addresses.
    const answers = []
    for (let i = 0; i < 30; i++) answers.push((await login(clerk, 'guess', '203.0.113.9')).status)
    for (let i = 0; i < 30; i++) answers.push((await login(clerk, 'guess', `192.0.2.${i}`)).status)
    expect(answers).toContain(429)
    // The clerk at the usual address is let straight in.
    expect((await login(clerk, TILL_PASSWORD, '198.51.100.7')).status).toBe(200)
    // From an address the account never signed in from, the delay holds for everyone (the
    // right password too), and it is a delay: it ends.
    const elsewhere = await login(clerk, TILL_PASSWORD, '198.51.100.200')
    expect(elsewhere.status).toBe(429)
    expect(elsewhere.retryAfter).toBeGreaterThan(0)
    expect(elsewhere.retryAfter).toBeLessThanOrEqual(LOGIN_LIMITS.account.capMs / 1000)
    ctx.clock.advance(elsewhere.retryAfter * 1000)
    expect((await login(clerk, TILL_PASSWORD, '198.51.100.200')).status).toBe(200)
  })

  it('delays progressively per account and address (30 s, 60 s, 120 s … at most 15 min), never locks', async () => {
    const clerk = await newClerk()
    const from = '198.51.100.8'
    for (let i = 0; i < LOGIN_LIMITS.pair.free; i++) {
      expect((await login(clerk, 'typo', from)).status).toBe(401)
    }
    const waits: number[] = []
    for (let i = 0; i < 8; i++) {
      const refused = await login(clerk, TILL_PASSWORD, from)
      expect(refused.status).toBe(429)
      waits.push(refused.retryAfter)
      ctx.clock.advance(refused.retryAfter * 1000)
      expect((await login(clerk, 'typo', from)).status).toBe(401)
    }
    expect(waits).toEqual([30, 60, 120, 240, 480, 900, 900, 900])
    const last = await login(clerk, TILL_PASSWORD, from)
    ctx.clock.advance(last.retryAfter * 1000)
    expect((await login(clerk, TILL_PASSWORD, from)).status).toBe(200)
  })

  it('slows spraying from one address across staff IDs, but not an account known there', async () => {
    const known = await newClerk()
    const fresh = await newClerk()
    const office = '198.51.100.9'
    expect((await login(known, TILL_PASSWORD, office)).status).toBe(200)
    for (let i = 0; i < LOGIN_LIMITS.address.free; i++) {
      expect((await login(`nobody-${i}`, 'guess', office)).status).toBe(401)
    }
    expect((await login(fresh, TILL_PASSWORD, office)).status).toBe(429)
    expect((await login(known, TILL_PASSWORD, office)).status).toBe(200)
    // Elsewhere the new account is not slowed by that address's failures.
    expect((await login(fresh, TILL_PASSWORD, '198.51.100.10')).status).toBe(200)
  })

  it('counts parallel guesses one after another: no more passwords are checked than allowed', async () => {
    const clerk = await newClerk()
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => login(clerk, 'guess', '203.0.113.77')),
    )
    const statuses = answers.map((a) => a.status)
    expect(statuses.filter((s) => s === 401)).toHaveLength(LOGIN_LIMITS.pair.free)
    expect(statuses.filter((s) => s === 429)).toHaveLength(12 - LOGIN_LIMITS.pair.free)
  })
})
