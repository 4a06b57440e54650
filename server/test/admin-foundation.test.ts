import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createStaffService, StaffAccountRefused } from '../src/services/staff.ts'
import { ROLE_ACCOUNTS, ROLE_PASSWORD, roleHeaders } from './admin-support.ts'
import { createTestContext, ON_POSTGRES, row } from './support.ts'

/**
 * The admin foundation: the four roles, head-office accounts without a store, the role guard
 * of `/api/admin/*`, and the append-only audit trail with sign-ins in it.
 */
const ctx = await createTestContext({ env: { TRUST_PROXY: '127.0.0.1' } })
const headers = await roleHeaders(ctx)

describe('roles and the admin guard', () => {
  it('answers 401 without credentials, and for a token that is not a session', async () => {
    const none = await ctx.call('GET', '/api/admin/audit')
    expect(none.status).toBe(401)
    expect(none.json.error.code).toBe('STAFF_AUTH_REQUIRED')
    const forged = await ctx.call('GET', '/api/admin/audit', {
      headers: { Authorization: `Bearer ${'x'.repeat(43)}` },
    })
    expect(forged.status).toBe(401)
  })

  it('refuses a clerk and a manager with 403 FORBIDDEN, and lets an operator and an admin in', async () => {
    for (const role of ['clerk', 'manager'] as const) {
      const res = await ctx.call('GET', '/api/admin/audit', { headers: headers[role] })
      expect(res.status, role).toBe(403)
      expect(res.json.error.code).toBe('FORBIDDEN')
    }
    for (const role of ['operator', 'admin'] as const) {
      const res = await ctx.call('GET', '/api/admin/audit', { headers: headers[role] })
      expect(res.status, role).toBe(200)
      expect(Array.isArray(res.json.items)).toBe(true)
    }
  })

  it('every route of the console session, TOTP and audit refuses a clerk and a manager', async () => {
    const routes: [string, string, unknown][] = [
      ['GET', '/api/admin/session', undefined],
      ['DELETE', '/api/admin/session', undefined],
      ['POST', '/api/admin/session/revoke-all', undefined],
      ['POST', '/api/admin/totp/enroll', undefined],
      ['POST', '/api/admin/totp/confirm', { code: '123456' }],
      ['GET', '/api/admin/totp/recovery-codes', undefined],
      ['POST', '/api/admin/totp/recovery-codes', { code: '123456' }],
      ['GET', '/api/admin/audit?action=session.signIn', undefined],
    ]
    for (const role of ['clerk', 'manager'] as const) {
      for (const [method, path, body] of routes) {
        const res = await ctx.call(method, path, { headers: headers[role], body })
        expect(res.status, `${role} ${method} ${path}`).toBe(403)
        expect(res.json.error.code).toBe('FORBIDDEN')
        const none = await ctx.call(method, path, {
          headers: { 'Content-Type': 'application/json' },
          body,
        })
        expect(none.status, `no credentials ${method} ${path}`).toBe(401)
      }
    }
    // Still signed in: the refusals revoked nothing.
    expect((await ctx.call('GET', '/api/staff/me', { headers: headers.clerk })).status).toBe(200)
  })

  it('the login answer carries the role and whether TOTP is enrolled', async () => {
    const res = await ctx.call('POST', '/api/staff/login', {
      headers: { 'Content-Type': 'application/json' },
      body: { staffId: ROLE_ACCOUNTS.operator.staffId, password: ROLE_PASSWORD },
    })
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({ role: 'operator', totpEnrolled: false })
  })

  it('stores head-office accounts without a store, and refuses a clerk without one', async () => {
    const stored = await row<{ store: string | null; role: string }>(
      ctx.db,
      sql`SELECT store_code AS store, role FROM staff WHERE id = ${ROLE_ACCOUNTS.admin.staffId}`,
    )
    expect(stored).toEqual({ store: null, role: 'admin' })
    const service = createStaffService({ db: ctx.db, clock: ctx.clock })
    await expect(
      service.upsert({ staffId: 'storeless-clerk', role: 'clerk', password: 'long-password' }),
    ).rejects.toBeInstanceOf(StaffAccountRefused)
    // A head-office account cannot use the till without a store.
    const till = await ctx.call('GET', '/api/staff/me', { headers: headers.admin })
    expect(till.status).toBe(403)
    expect(till.json.error.code).toBe('FORBIDDEN')
  })
})

describe('the audit trail', () => {
  it('records sign-ins and failed sign-ins with the trusted client address', async () => {
    // Through a real socket from 127.0.0.1, a trusted proxy: X-Forwarded-For is the client.
    const failed = await ctx.callServed('POST', '/api/staff/login', {
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': '203.0.113.9' },
      body: { staffId: ROLE_ACCOUNTS.clerk.staffId, password: 'wrong-password' },
    })
    expect(failed.status).toBe(401)
    const page = await ctx.call('GET', '/api/admin/audit?action=session.signInFailed', {
      headers: headers.admin,
    })
    expect(page.status).toBe(200)
    expect(page.json.items[0]).toMatchObject({
      actor: ROLE_ACCOUNTS.clerk.staffId,
      action: 'session.signInFailed',
      target: `staff:${ROLE_ACCOUNTS.clerk.staffId}`,
      address: '203.0.113.9',
      detail: { reason: 'INVALID_CREDENTIALS' },
    })
    const signIns = await ctx.call(
      'GET',
      `/api/admin/audit?action=session.signIn&actor=${ROLE_ACCOUNTS.operator.staffId}`,
      { headers: headers.admin },
    )
    expect(signIns.json.items.length).toBeGreaterThanOrEqual(1)
    for (const item of signIns.json.items) {
      expect(item).toMatchObject({
        actor: ROLE_ACCOUNTS.operator.staffId,
        action: 'session.signIn',
      })
    }
  })

  it('refuses to change or remove an entry, even with SQL (the triggers)', async () => {
    await expect(ctx.db.execute(sql`UPDATE audit_log SET actor = 'someone-else'`)).rejects.toThrow(
      /append-only/,
    )
    await expect(ctx.db.execute(sql`DELETE FROM audit_log`)).rejects.toThrow(/append-only/)
    if (ON_POSTGRES) {
      await expect(ctx.db.execute(sql`TRUNCATE audit_log`)).rejects.toThrow(/append-only/)
    }
    const left = await row<{ n: number }>(
      ctx.db,
      sql`SELECT CAST(count(*) AS BIGINT) AS n FROM audit_log`,
    )
    expect(Number(left?.n)).toBeGreaterThan(0)
  })

  it('pages newest first with a cursor, and filters by actor, action and days', async () => {
    const first = await ctx.call('GET', '/api/admin/audit', { headers: headers.operator })
    const all = first.json.items as { id: string }[]
    const ids = all.map((i) => Number(i.id))
    expect(ids).toEqual([...ids].sort((a, b) => b - a))
    // Every sign-in of the setup is there; one per page.
    let cursor: string | null = null
    const seen: string[] = []
    do {
      const q: string = cursor === null ? '' : `&cursor=${cursor}`
      const res = await ctx.call('GET', `/api/admin/audit?action=session.signIn${q}`, {
        headers: headers.operator,
      })
      expect(res.status).toBe(200)
      seen.push(...res.json.items.map((i: { id: string }) => i.id))
      cursor = res.json.nextCursor
    } while (cursor !== null)
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen.length).toBeGreaterThanOrEqual(4)
    // The fake clock's day, and a day before it with nothing.
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(
      ctx.clock.now(),
    )
    const onDay = await ctx.call('GET', `/api/admin/audit?from=${today}&to=${today}`, {
      headers: headers.operator,
    })
    expect(onDay.json.items.length).toBe(Math.min(all.length, 50))
    const before = await ctx.call('GET', '/api/admin/audit?from=2000-01-01&to=2000-01-02', {
      headers: headers.operator,
    })
    expect(before.json.items).toEqual([])
    const reversed = await ctx.call('GET', `/api/admin/audit?from=${today}&to=2000-01-01`, {
      headers: headers.operator,
    })
    expect(reversed.status).toBe(400)
  })
})
