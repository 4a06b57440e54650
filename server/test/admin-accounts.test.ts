import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import { openPg } from '../src/db/pg.ts'
import type { Database } from '../src/db/seam.ts'
import { openSqlite } from '../src/db/sqlite.ts'
import { memoryLogger } from '../src/logger.ts'
import { createStaffService } from '../src/services/staff.ts'
import {
  bearerHeaders,
  consoleSignIn,
  cookieHeaders,
  ROLE_ACCOUNTS,
  roleHeaders,
} from './admin-support.ts'
import { freshPgDatabase } from './support/pg-database.ts'
import { type CallOptions, callApp, createTestContext, ON_POSTGRES, row } from './support.ts'

/**
 * Stores and staff accounts from the admin API: who may read and change them, the last-admin
 * rule, and session revocation (disable, password reset, remove) seen at once by a second app
 * instance on its own connection to the same database; and the commands `staff:disable` and
 * `staff:remove`.
 */
const dir = mkdtempSync(join(tmpdir(), 'mc-admin-accounts-'))
const databasePath = join(dir, 'shared.db')
const pg = ON_POSTGRES ? await freshPgDatabase() : undefined
const opened: Database[] = []
/** A new connection (pool) to the one database both instances share. */
async function connect(): Promise<Database> {
  const db = pg ? await openPg(pg.url) : openSqlite(databasePath)
  opened.push(db)
  return db
}
afterAll(async () => {
  for (const db of opened) await db.close()
  await pg?.drop()
  rmSync(dir, { recursive: true, force: true })
})

// The context gives the settings, the fake clock and the secrets; the two instances are apps of
// their own on two connections.
const base = await createTestContext()
function instance(db: Database) {
  const app = createApp({
    db,
    clock: base.clock,
    config: base.config,
    secrets: base.secrets,
    logger: memoryLogger(),
  })
  return {
    db,
    clock: base.clock,
    secrets: base.secrets,
    call: (method: string, path: string, o: CallOptions = {}) => callApp(app, method, path, o),
  }
}
const a = instance(await connect())
const b = instance(await connect())
const headers = await roleHeaders(a)
const newStaff = (staffId: string, o: Record<string, unknown> = {}) => ({
  staffId,
  role: 'clerk',
  storeCode: 'S001',
  password: 'new-password-1',
  ...o,
})

describe('who may read and change stores and staff', () => {
  it('clerk and manager get 403 on every route; an operator reads but cannot change', async () => {
    const writes: [string, string, unknown][] = [
      ['POST', '/api/admin/stores', { code: 'S900', name: '新店' }],
      ['PATCH', '/api/admin/stores/S001', { name: '改名' }],
      ['POST', '/api/admin/staff', newStaff('nobody-1')],
      ['PATCH', `/api/admin/staff/${ROLE_ACCOUNTS.clerk.staffId}`, { disabled: true }],
      [
        'POST',
        `/api/admin/staff/${ROLE_ACCOUNTS.clerk.staffId}/password`,
        { password: 'x-password-1' },
      ],
      ['DELETE', `/api/admin/staff/${ROLE_ACCOUNTS.clerk.staffId}`, undefined],
    ]
    for (const role of ['clerk', 'manager'] as const) {
      for (const path of ['/api/admin/stores', '/api/admin/staff']) {
        const res = await a.call('GET', path, { headers: headers[role] })
        expect(res.status, `${role} GET ${path}`).toBe(403)
      }
      for (const [method, path, body] of writes) {
        const res = await a.call(method, path, { headers: headers[role], body })
        expect(res.status, `${role} ${method} ${path}`).toBe(403)
        expect(res.json.error.code).toBe('FORBIDDEN')
      }
    }
    for (const path of ['/api/admin/stores', '/api/admin/staff']) {
      const res = await a.call('GET', path, { headers: headers.operator })
      expect(res.status, `operator GET ${path}`).toBe(200)
    }
    for (const [method, path, body] of writes) {
      const res = await a.call(method, path, { headers: headers.operator, body })
      expect(res.status, `operator ${method} ${path}`).toBe(403)
    }
    // Nothing changed: the clerk still signs in.
    await expect(bearerHeaders(a, ROLE_ACCOUNTS.clerk.staffId)).resolves.toBeDefined()
  })

  it('an admin manages stores: create (409 for a taken code), rename, close and reopen', async () => {
    const made = await a.call('POST', '/api/admin/stores', {
      headers: headers.admin,
      body: { code: 'S002', name: '二号店' },
    })
    expect(made.status).toBe(201)
    expect(made.json).toEqual({ code: 'S002', name: '二号店', active: true })
    const again = await a.call('POST', '/api/admin/stores', {
      headers: headers.admin,
      body: { code: 'S002', name: '別' },
    })
    expect(again.status).toBe(409)
    expect(again.json.error.code).toBe('ALREADY_EXISTS')
    const closed = await a.call('PATCH', '/api/admin/stores/S002', {
      headers: headers.admin,
      body: { name: '二号店(旧)', active: false },
    })
    expect(closed.json).toEqual({ code: 'S002', name: '二号店(旧)', active: false })
    // No new staff at a closed store.
    const atClosed = await a.call('POST', '/api/admin/staff', {
      headers: headers.admin,
      body: newStaff('closed-clerk', { storeCode: 'S002' }),
    })
    expect(atClosed.status).toBe(400)
    const list = await a.call('GET', '/api/admin/stores', { headers: headers.operator })
    expect(list.json.items).toContainEqual({ code: 'S002', name: '二号店(旧)', active: false })
    const unknown = await a.call('PATCH', '/api/admin/stores/S404', {
      headers: headers.admin,
      body: { active: true },
    })
    expect(unknown.status).toBe(404)
  })

  it('an admin creates staff of every role (store required for clerk and manager) and lists them', async () => {
    const clerk = await a.call('POST', '/api/admin/staff', {
      headers: headers.admin,
      body: newStaff('new-clerk'),
    })
    expect(clerk.status).toBe(201)
    expect(clerk.json).toEqual({
      staffId: 'new-clerk',
      role: 'clerk',
      storeCode: 'S001',
      disabled: false,
      totpEnrolled: false,
      lastSignInAt: null,
    })
    const noStore = await a.call('POST', '/api/admin/staff', {
      headers: headers.admin,
      body: newStaff('new-manager', { role: 'manager', storeCode: undefined }),
    })
    expect(noStore.status).toBe(400)
    const op = await a.call('POST', '/api/admin/staff', {
      headers: headers.admin,
      body: newStaff('new-operator', { role: 'operator', storeCode: undefined }),
    })
    expect(op.status).toBe(201)
    expect(op.json.storeCode).toBeNull()
    const taken = await a.call('POST', '/api/admin/staff', {
      headers: headers.admin,
      body: newStaff('new-clerk'),
    })
    expect(taken.status).toBe(409)
    const badStore = await a.call('POST', '/api/admin/staff', {
      headers: headers.admin,
      body: newStaff('lost-clerk', { storeCode: 'S404' }),
    })
    expect(badStore.status).toBe(404)
    const list = await a.call('GET', '/api/admin/staff', { headers: headers.operator })
    const ids = list.json.items.map((i: { staffId: string }) => i.staffId)
    expect(ids).toEqual(
      expect.arrayContaining(['new-clerk', 'new-operator', ROLE_ACCOUNTS.admin.staffId]),
    )
    expect(ids).not.toContain('new-manager')
    const me = list.json.items.find(
      (i: { staffId: string }) => i.staffId === ROLE_ACCOUNTS.admin.staffId,
    )
    expect(me.lastSignInAt).toBe(new Date(base.clock.now()).toISOString())
    // Every change is in the audit trail, with who did it.
    const audit = await a.call('GET', '/api/admin/audit?action=staff.create', {
      headers: headers.admin,
    })
    expect(audit.json.items[0]).toMatchObject({
      actor: ROLE_ACCOUNTS.admin.staffId,
      target: 'staff:new-operator',
      detail: { role: 'operator', storeCode: null },
    })
    expect(JSON.stringify(audit.json)).not.toContain('new-password-1')
  })
})

describe('revocation on every instance', () => {
  it('disabling an account ends its sessions on the other instance at once, and it cannot sign in', async () => {
    await a.call('POST', '/api/admin/staff', {
      headers: headers.admin,
      body: newStaff('to-disable'),
    })
    const till = await bearerHeaders(b, 'to-disable', 'new-password-1')
    expect((await b.call('GET', '/api/staff/me', { headers: till })).status).toBe(200)
    const off = await a.call('PATCH', '/api/admin/staff/to-disable', {
      headers: headers.admin,
      body: { disabled: true },
    })
    expect(off.status).toBe(200)
    expect(off.json.disabled).toBe(true)
    expect((await b.call('GET', '/api/staff/me', { headers: till })).status).toBe(401)
    const again = await b.call('POST', '/api/staff/login', {
      headers: { 'Content-Type': 'application/json' },
      body: { staffId: 'to-disable', password: 'new-password-1' },
    })
    expect(again.status).toBe(401)
    expect(again.json.error.code).toBe('INVALID_CREDENTIALS')
    // Enabled again, it signs in; the old token stays dead.
    await a.call('PATCH', '/api/admin/staff/to-disable', {
      headers: headers.admin,
      body: { disabled: false },
    })
    expect((await b.call('GET', '/api/staff/me', { headers: till })).status).toBe(401)
    await expect(bearerHeaders(b, 'to-disable', 'new-password-1')).resolves.toBeDefined()
  })

  it('a password reset ends the account’s other sessions everywhere, but the admin’s own current one', async () => {
    const consoleB = await consoleSignIn(b, ROLE_ACCOUNTS.admin.staffId)
    const otherBearer = await bearerHeaders(b, ROLE_ACCOUNTS.admin.staffId)
    const s = await consoleSignIn(a, ROLE_ACCOUNTS.admin.staffId)
    const res = await a.call('POST', `/api/admin/staff/${ROLE_ACCOUNTS.admin.staffId}/password`, {
      headers: cookieHeaders(s),
      body: { password: 'changed-password-1' },
    })
    expect(res.status).toBe(204)
    expect(
      (await a.call('GET', '/api/admin/session', { headers: cookieHeaders(s, false) })).status,
    ).toBe(200)
    expect(
      (await b.call('GET', '/api/admin/session', { headers: cookieHeaders(consoleB, false) }))
        .status,
    ).toBe(401)
    expect((await b.call('GET', '/api/admin/audit', { headers: otherBearer })).status).toBe(401)
    // The first bearer of the test setup is gone too; sign in again with the new password.
    expect((await b.call('GET', '/api/admin/audit', { headers: headers.admin })).status).toBe(401)
    headers.admin = await bearerHeaders(a, ROLE_ACCOUNTS.admin.staffId, 'changed-password-1')
    // Resetting another account's password ends all of its sessions.
    const clerk = await bearerHeaders(b, ROLE_ACCOUNTS.clerk.staffId)
    await a.call('POST', `/api/admin/staff/${ROLE_ACCOUNTS.clerk.staffId}/password`, {
      headers: headers.admin,
      body: { password: 'clerk-new-pass-1' },
    })
    expect((await b.call('GET', '/api/staff/me', { headers: clerk })).status).toBe(401)
    headers.clerk = await bearerHeaders(a, ROLE_ACCOUNTS.clerk.staffId, 'clerk-new-pass-1')
  })

  it('removing an account ends its sessions everywhere; the ID is free again', async () => {
    await a.call('POST', '/api/admin/staff', {
      headers: headers.admin,
      body: newStaff('to-remove'),
    })
    const till = await bearerHeaders(b, 'to-remove', 'new-password-1')
    const res = await a.call('DELETE', '/api/admin/staff/to-remove', { headers: headers.admin })
    expect(res.status).toBe(204)
    expect((await b.call('GET', '/api/staff/me', { headers: till })).status).toBe(401)
    expect(
      (await a.call('DELETE', '/api/admin/staff/to-remove', { headers: headers.admin })).status,
    ).toBe(404)
    const audit = await a.call('GET', '/api/admin/audit?action=staff.remove', {
      headers: headers.admin,
    })
    expect(audit.json.items[0]).toMatchObject({
      target: 'staff:to-remove',
      actor: ROLE_ACCOUNTS.admin.staffId,
    })
  })
})

describe('the last enabled admin', () => {
  it('cannot be disabled, demoted or removed (409 LAST_ADMIN); with a second admin it can', async () => {
    const me = ROLE_ACCOUNTS.admin.staffId
    for (const [method, path, body] of [
      ['PATCH', `/api/admin/staff/${me}`, { disabled: true }],
      ['PATCH', `/api/admin/staff/${me}`, { role: 'operator' }],
      ['DELETE', `/api/admin/staff/${me}`, undefined],
    ] as const) {
      const res = await a.call(method, path, { headers: headers.admin, body })
      expect(res.status, `${method} ${JSON.stringify(body)}`).toBe(409)
      expect(res.json.error.code).toBe('LAST_ADMIN')
      expect(res.json.error.message).toMatch(/last enabled admin/)
    }
    expect((await a.call('GET', '/api/admin/staff', { headers: headers.admin })).status).toBe(200)
    await a.call('POST', '/api/admin/staff', {
      headers: headers.admin,
      body: newStaff('second-admin', { role: 'admin', storeCode: null }),
    })
    const demoted = await a.call('PATCH', `/api/admin/staff/${me}`, {
      headers: headers.admin,
      body: { role: 'operator' },
    })
    expect(demoted.status).toBe(200)
    expect(demoted.json.role).toBe('operator')
    // Now an operator: the admin routes refuse the same session.
    expect((await a.call('GET', '/api/admin/staff', { headers: headers.admin })).status).toBe(200)
    expect(
      (
        await a.call('POST', '/api/admin/stores', {
          headers: headers.admin,
          body: { code: 'S777', name: 'x' },
        })
      ).status,
    ).toBe(403)
  })

  it('two admins disabling each other at once leave one enabled (PostgreSQL row locks)', async () => {
    await a.call('POST', '/api/admin/staff', {
      headers: await bearerHeaders(a, 'second-admin', 'new-password-1'),
      body: newStaff('third-admin', { role: 'admin', storeCode: null }),
    })
    const second = await bearerHeaders(a, 'second-admin', 'new-password-1')
    const third = await bearerHeaders(b, 'third-admin', 'new-password-1')
    const [x, y] = await Promise.all([
      a.call('PATCH', '/api/admin/staff/third-admin', {
        headers: second,
        body: { disabled: true },
      }),
      b.call('PATCH', '/api/admin/staff/second-admin', {
        headers: third,
        body: { disabled: true },
      }),
    ])
    const statuses = [x.status, y.status].sort()
    // Either one wins and the other is refused (409, or 401 when its session was revoked
    // first), never both.
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    const enabled = await row<{ n: number }>(
      a.db,
      sql`SELECT CAST(count(*) AS BIGINT) AS n FROM staff WHERE role = 'admin' AND disabled_at IS NULL`,
    )
    expect(Number(enabled?.n)).toBe(1)
  })
})

describe('pnpm staff:disable and pnpm staff:remove', () => {
  const root = resolve(import.meta.dirname, '../..')
  const run = (script: string, args: string[], input = '') =>
    spawnSync(process.execPath, ['--import', 'tsx', `server/src/cli/${script}.ts`, ...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'silent',
        ...(pg
          ? {
              DATABASE_URL: pg.url,
              PIN_HASH_SECRET: base.secrets.pinHashKey.toString('hex'),
              QR_TOKEN_SECRET: base.secrets.qrTokenKey.toString('hex'),
            }
          : { DATABASE_PATH: databasePath }),
      },
      encoding: 'utf8',
      input,
    })

  it('staff:add on an existing account (a password reset) ends its sessions on every instance', async () => {
    await createStaffService({ db: a.db, clock: base.clock }).upsert({
      staffId: 'cli-reset',
      storeCode: 'S001',
      password: 'new-password-1',
    })
    const till = await bearerHeaders(b, 'cli-reset', 'new-password-1')
    const reset = run('staff-add', ['--id', 'cli-reset'], 'reset-password-1\n')
    expect(reset.status, reset.stderr).toBe(0)
    expect((await b.call('GET', '/api/staff/me', { headers: till })).status).toBe(401)
    await expect(bearerHeaders(b, 'cli-reset', 'reset-password-1')).resolves.toBeDefined()
  }, 60_000)

  it('disable ends the sessions a running instance holds; remove deletes the account; the last admin stays', async () => {
    await createStaffService({ db: a.db, clock: base.clock }).upsert({
      staffId: 'cli-target',
      storeCode: 'S001',
      password: 'new-password-1',
    })
    const till = await bearerHeaders(b, 'cli-target', 'new-password-1')
    const disabled = run('staff-disable', ['--id', 'cli-target'])
    expect(disabled.stderr).toBe('')
    expect(disabled.status).toBe(0)
    expect(disabled.stdout).toMatch(/Disabled staff cli-target/)
    expect((await b.call('GET', '/api/staff/me', { headers: till })).status).toBe(401)
    const removed = run('staff-remove', ['--id', 'cli-target'])
    expect(removed.status).toBe(0)
    const gone = await row(a.db, sql`SELECT id FROM staff WHERE id = 'cli-target'`)
    expect(gone).toBeUndefined()
    const missing = run('staff-remove', ['--id', 'cli-target'])
    expect(missing.status).toBe(2)
    expect(missing.stderr).toMatch(/No staff account has the ID cli-target/)
    const audit = await row<{ actor: string }>(
      a.db,
      sql`SELECT actor FROM audit_log WHERE action = 'staff.remove' AND target = 'staff:cli-target'`,
    )
    expect(audit?.actor).toBe('cli')
    const admins = await a.db.execute<{ id: string }>(
      sql`SELECT id FROM staff WHERE role = 'admin' AND disabled_at IS NULL`,
    )
    expect(admins).toHaveLength(1)
    const last = run('staff-disable', ['--id', admins[0]?.id ?? ''])
    expect(last.status).toBe(2)
    expect(last.stderr).toMatch(/last enabled admin/)
  }, 60_000)
})
