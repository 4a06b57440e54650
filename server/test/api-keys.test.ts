import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { createApiKeys } from '../src/services/api-keys.ts'
import { roleHeaders } from './admin-support.ts'
import { linkedMember, reopenableDatabase, signInStaff, tillCall } from './points-support.ts'
import { createTestContext, row, type TestContext } from './support.ts'

/**
 * POS API keys (docs/decisions/089): a key acts as a till of its own store only, on the routes
 * its scopes allow, is rate-limited per key, records its last use at most once a minute, and
 * a revocation holds at once on another instance.
 */

const RATE = 5
let ctx: TestContext
let staff: Awaited<ReturnType<typeof signInStaff>>
let roles: Awaited<ReturnType<typeof roleHeaders>>

const keyHeaders = (key: string) => ({
  Authorization: `Bearer ${key}`,
  'Content-Type': 'application/json',
})

async function newKey(
  c: TestContext,
  storeCode: string,
  scopes?: ('scan' | 'points' | 'coupons')[],
): Promise<string> {
  const keys = createApiKeys({ db: c.db, clock: c.clock, ratePerSecond: RATE })
  const made = await keys.create(
    { actor: 'test', address: null },
    { storeCode, name: 'POS', scopes },
  )
  return made.key
}

beforeAll(async () => {
  ctx = await createTestContext({ env: { API_KEY_RATE_PER_SECOND: String(RATE) } })
  staff = await signInStaff(ctx)
  roles = await roleHeaders(ctx)
})

describe('a key acts as a till of its own store', () => {
  it('awards at its store, and cannot refund or list another store’s transactions', async () => {
    const key = keyHeaders(await newKey(ctx, 'S001'))
    const card = await linkedMember(ctx)
    // The same Idempotency-Key at S002 (a manager there) and through the S001 key: two stores,
    // two transactions (keys are scoped to the store), not a replay of the other's.
    const shared = randomUUID()
    const atS002 = await tillCall(
      ctx,
      staff.otherManager,
      '/api/staff/points',
      { type: 'award', qrToken: await card.qr(), purchaseAmount: 5000 },
      shared,
    )
    expect(atS002.status).toBe(200)
    const atS001 = await tillCall(
      ctx,
      key,
      '/api/staff/points',
      { type: 'award', qrToken: await card.qr(), purchaseAmount: 3000 },
      shared,
    )
    expect(atS001.status, JSON.stringify(atS001.json)).toBe(200)
    expect(atS001.headers.get('Idempotent-Replayed')).toBeNull()
    expect(atS001.json.transactionId).not.toBe(atS002.json.transactionId)
    const entry = await row<{ storeCode: string; staffId: string }>(
      ctx.db,
      sql`SELECT store_code AS "storeCode", staff_id AS "staffId" FROM ledger
        WHERE id = ${Number(atS001.json.transactionId)}`,
    )
    expect(entry?.storeCode).toBe('S001')
    expect(entry?.staffId).toMatch(/^apikey:mck_[0-9a-f]{8}$/)

    // S002's award is not this key's to refund, nor in its day's list.
    const refund = await tillCall(ctx, key, '/api/staff/points', {
      type: 'refund',
      transactionId: atS002.json.transactionId,
      refundAmount: 5000,
    })
    expect(refund.status).toBe(404)
    expect(refund.json.error.code).toBe('TRANSACTION_NOT_FOUND')
    const list = await ctx.call('GET', '/api/staff/transactions', { headers: key })
    expect(list.status).toBe(200)
    const ids = (list.json.items as { id: string }[]).map((t) => t.id)
    expect(ids).toContain(atS001.json.transactionId)
    expect(ids).not.toContain(atS002.json.transactionId)
  })

  it('scans a member at its store', async () => {
    const key = keyHeaders(await newKey(ctx, 'S001', ['scan']))
    const member = await linkedMember(ctx)
    const res = await ctx.call('POST', '/api/staff/scan', {
      headers: key,
      body: { qrToken: await member.qr() },
    })
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    expect(res.json.member.cardNumber.slice(-4)).toBe(member.cardNumber.slice(-4))
  })
})

describe('scopes', () => {
  it('a key calls only the routes its scopes allow', async () => {
    const scanOnly = keyHeaders(await newKey(ctx, 'S001', ['scan']))
    const pointsOnly = keyHeaders(await newKey(ctx, 'S001', ['points']))
    const member = await linkedMember(ctx)
    const award = async () => ({ type: 'award', qrToken: await member.qr(), purchaseAmount: 1000 })

    const denied = await tillCall(ctx, scanOnly, '/api/staff/points', await award())
    expect(denied.status).toBe(403)
    expect(denied.json.error.code).toBe('FORBIDDEN')
    expect(denied.json.error.message).toContain('points')
    const scanDenied = await ctx.call('POST', '/api/staff/scan', {
      headers: pointsOnly,
      body: { qrToken: await member.qr() },
    })
    expect(scanDenied.status).toBe(403)

    const allowed = await tillCall(ctx, pointsOnly, '/api/staff/points', await award())
    expect(allowed.status).toBe(200)
    // Voids, adjustments and sign-out are for signed-in staff: no key calls them.
    const voided = await tillCall(
      ctx,
      pointsOnly,
      `/api/staff/transactions/${allowed.json.transactionId}/void`,
      { reason: 'x' },
    )
    expect(voided.status).toBe(401)
    const adjusted = await tillCall(ctx, pointsOnly, '/api/staff/adjust', {
      cardNumber: member.cardNumber,
      points: 10,
      reason: 'x',
    })
    expect(adjusted.status).toBe(401)
  })

  it('an unknown key is refused; a staff token still works on the same routes', async () => {
    const bogus = keyHeaders(`mck_00000000_${'A'.repeat(43)}`)
    const res = await tillCall(ctx, bogus, '/api/staff/points', {
      type: 'redeem',
      qrToken: 'x',
      points: 1,
    })
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('STAFF_AUTH_REQUIRED')
    const list = await ctx.call('GET', '/api/staff/transactions', { headers: staff.clerk })
    expect(list.status).toBe(200)
  })
})

describe('rate limit and last use', () => {
  it('is per key: past its rate a key gets 429 with Retry-After, another key does not', async () => {
    const a = keyHeaders(await newKey(ctx, 'S001'))
    const b = keyHeaders(await newKey(ctx, 'S001'))
    // A fresh second: the fake clock stands still until advanced.
    ctx.clock.advance(1_000 - (ctx.clock.now() % 1_000))
    for (let i = 0; i < RATE; i++) {
      const ok = await ctx.call('GET', '/api/staff/transactions', { headers: a })
      expect(ok.status).toBe(200)
    }
    const limited = await ctx.call('GET', '/api/staff/transactions', { headers: a })
    expect(limited.status).toBe(429)
    expect(limited.json.error.code).toBe('TOO_MANY_ATTEMPTS')
    expect(limited.headers.get('Retry-After')).toBe('1')
    expect((await ctx.call('GET', '/api/staff/transactions', { headers: b })).status).toBe(200)
    ctx.clock.advance(1_000)
    expect((await ctx.call('GET', '/api/staff/transactions', { headers: a })).status).toBe(200)
  })

  it('records the last use at most once a minute', async () => {
    const key = await newKey(ctx, 'S001')
    const prefix = key.slice(0, 12)
    const lastUsed = async () =>
      (
        await row<{ at: number | null }>(
          ctx.db,
          sql`SELECT last_used_at AS at FROM api_keys WHERE prefix = ${prefix}`,
        )
      )?.at
    expect(await lastUsed()).toBeNull()
    const t0 = ctx.clock.now()
    await ctx.call('GET', '/api/staff/transactions', { headers: keyHeaders(key) })
    expect(Number(await lastUsed())).toBe(t0)
    ctx.clock.advance(30_000)
    await ctx.call('GET', '/api/staff/transactions', { headers: keyHeaders(key) })
    expect(Number(await lastUsed())).toBe(t0)
    ctx.clock.advance(31_000)
    await ctx.call('GET', '/api/staff/transactions', { headers: keyHeaders(key) })
    expect(Number(await lastUsed())).toBe(t0 + 61_000)
  })
})

describe('revocation', () => {
  it('a key revoked through one instance is refused by another at once', async () => {
    const open = await reopenableDatabase()
    const [dbA, dbB] = [await open(), await open()]
    try {
      const a = await createTestContext({ db: dbA })
      const b = await createTestContext({ db: dbB })
      await signInStaff(a)
      const adminB = (await roleHeaders(b)).admin
      const created = await b.call('POST', '/api/admin/api-keys', {
        headers: adminB,
        body: { storeCode: 'S001', name: 'レジ 1', scopes: ['points'] },
      })
      expect(created.status, JSON.stringify(created.json)).toBe(201)
      const key = keyHeaders(created.json.key)
      // Instance A has used (and so would have cached, were there a cache) the key.
      expect((await a.call('GET', '/api/staff/transactions', { headers: key })).status).toBe(200)
      const revoked = await b.call('POST', `/api/admin/api-keys/${created.json.id}/revoke`, {
        headers: adminB,
      })
      expect(revoked.status).toBe(200)
      expect(revoked.json.revokedAt).not.toBeNull()
      const refused = await a.call('GET', '/api/staff/transactions', { headers: key })
      expect(refused.status).toBe(401)
      expect(refused.json.error.code).toBe('STAFF_AUTH_REQUIRED')
    } finally {
      await dbA.close()
      await dbB.close()
    }
  })
})

describe('admin API', () => {
  it('creates (the key shown once), lists without the key, revokes; admin only; audited', async () => {
    const created = await ctx.call('POST', '/api/admin/api-keys', {
      headers: roles.admin,
      body: { storeCode: 'S001', name: 'スマレジ 1号機' },
    })
    expect(created.status).toBe(201)
    expect(created.json.key).toMatch(/^mck_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/)
    expect(created.json.key.startsWith(created.json.prefix)).toBe(true)
    expect(created.json.scopes).toEqual(['scan', 'points', 'coupons'])
    const list = await ctx.call('GET', '/api/admin/api-keys', { headers: roles.admin })
    expect(list.status).toBe(200)
    expect(list.text).not.toContain(created.json.key)
    expect(list.text).not.toContain(created.json.key.slice(13))
    expect(list.json.items.find((k: { id: number }) => k.id === created.json.id)).toMatchObject({
      prefix: created.json.prefix,
      name: 'スマレジ 1号機',
      storeCode: 'S001',
      revokedAt: null,
    })
    // Stored as a hash only.
    const stored = await row<{ keyHash: string }>(
      ctx.db,
      sql`SELECT key_hash AS "keyHash" FROM api_keys WHERE id = ${created.json.id}`,
    )
    expect(stored?.keyHash).not.toContain(created.json.key.slice(13))

    for (const who of [roles.operator, roles.manager]) {
      expect((await ctx.call('GET', '/api/admin/api-keys', { headers: who })).status).toBe(403)
      const post = await ctx.call('POST', '/api/admin/api-keys', {
        headers: who,
        body: { storeCode: 'S001', name: 'x' },
      })
      expect(post.status).toBe(403)
    }
    const unknownStore = await ctx.call('POST', '/api/admin/api-keys', {
      headers: roles.admin,
      body: { storeCode: 'S999', name: 'x' },
    })
    expect(unknownStore.status).toBe(404)
    const badScope = await ctx.call('POST', '/api/admin/api-keys', {
      headers: roles.admin,
      body: { storeCode: 'S001', name: 'x', scopes: ['admin'] },
    })
    expect(badScope.status).toBe(400)

    const revoked = await ctx.call('POST', `/api/admin/api-keys/${created.json.id}/revoke`, {
      headers: roles.admin,
    })
    expect(revoked.status).toBe(200)
    const missing = await ctx.call('POST', '/api/admin/api-keys/999999/revoke', {
      headers: roles.admin,
    })
    expect(missing.status).toBe(404)
    const audit = await ctx.call('GET', '/api/admin/audit', { headers: roles.admin })
    const actions = (audit.json.items as { action: string; target: string }[])
      .filter((i) => i.target === `apikey:${created.json.id}`)
      .map((i) => i.action)
    expect(actions).toEqual(expect.arrayContaining(['apikey.create', 'apikey.revoke']))
  })
})
