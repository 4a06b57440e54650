import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { openPg } from '../src/db/pg.ts'
import type { Database } from '../src/db/seam.ts'
import { openSqlite } from '../src/db/sqlite.ts'
import { createStaffService } from '../src/services/staff.ts'
import { totpCode } from '../src/services/totp.ts'
import { bearerHeaders, ROLE_PASSWORD, roleHeaders } from './admin-support.ts'
import { freshPgDatabase } from './support/pg-database.ts'
import { createTestContext, ON_POSTGRES, row } from './support.ts'

/**
 * An admin resets another account's second factor (decision 091): its TOTP secret and
 * recovery codes go, its sessions end, it signs in with its password alone and enrolls again;
 * admin only, audited; also by `pnpm staff:reset-totp`.
 */
const dir = mkdtempSync(join(tmpdir(), 'mc-totp-reset-'))
const databasePath = join(dir, 'reset.db')
const pg = ON_POSTGRES ? await freshPgDatabase() : undefined
const db: Database = pg ? await openPg(pg.url) : openSqlite(databasePath)
afterAll(async () => {
  await db.close()
  await pg?.drop()
  rmSync(dir, { recursive: true, force: true })
})
const ctx = await createTestContext({ db })
const as = await roleHeaders(ctx)
const staffService = createStaffService({ db: ctx.db, clock: ctx.clock, secrets: ctx.secrets })
/** Enrollment hashes ten recovery codes with scrypt: slow on a busy shared machine. */
const SCRYPT_TIMEOUT = 60_000
const json = { 'Content-Type': 'application/json' }
const login = (body: Record<string, unknown>) =>
  ctx.call('POST', '/api/staff/login', { headers: json, body })
/** The start of the next 30-second step, past the sign-in limits' window. */
const later = () => {
  ctx.clock.advance(61 * 60_000)
  ctx.clock.set((Math.floor(ctx.clock.now() / 30_000) + 1) * 30_000)
}

let accounts = 0
/** A new enrolled account of `role`: its headers (a session) and TOTP secret. */
async function enrolled(role: 'admin' | 'operator') {
  const staffId = `reset-${role}-${++accounts}`
  await staffService.upsert({ staffId, role, password: ROLE_PASSWORD })
  const headers = await bearerHeaders(ctx, staffId)
  const enroll = await ctx.call('POST', '/api/admin/totp/enroll', { headers })
  const secret = enroll.json.secret as string
  const confirm = await ctx.call('POST', '/api/admin/totp/confirm', {
    headers,
    body: { code: await totpCode(secret, ctx.clock.now()) },
  })
  expect(confirm.status).toBe(200)
  return { staffId, headers, secret }
}

const codesLeft = async (staffId: string) =>
  Number(
    (
      await row<{ n: number }>(
        ctx.db,
        sql`SELECT CAST(count(*) AS INTEGER) AS n FROM staff_recovery_codes WHERE staff_id = ${staffId}`,
      )
    )?.n,
  )

const reset = (headers: Record<string, string>, staffId: string) =>
  ctx.call('DELETE', `/api/admin/staff/${staffId}/totp`, { headers })

describe('resetting another account’s second factor', { timeout: SCRYPT_TIMEOUT }, () => {
  it('only an admin may (clerk, manager, operator: 403); nothing changes for them', async () => {
    const target = await enrolled('operator')
    for (const who of ['clerk', 'manager', 'operator'] as const) {
      const res = await reset(as[who], target.staffId)
      expect(res.status).toBe(403)
      expect(res.json.error.code).toBe('FORBIDDEN')
    }
    expect(await codesLeft(target.staffId)).toBe(10)
    later()
    const noCode = await login({ staffId: target.staffId, password: ROLE_PASSWORD })
    expect(noCode.status).toBe(401)
    expect(noCode.json.error.code).toBe('TOTP_REQUIRED')
  })

  it('removes the secret and codes, ends every session, audits; the account signs in and enrolls again', async () => {
    const target = await enrolled('admin')
    later()
    const code = await totpCode(target.secret, ctx.clock.now())
    const second = await bearerHeaders(ctx, target.staffId, ROLE_PASSWORD, code)
    const res = await reset(as.admin, target.staffId)
    expect(res.status, JSON.stringify(res.json)).toBe(204)
    // Both sessions of the account end.
    for (const h of [target.headers, second]) {
      expect((await ctx.call('GET', '/api/admin/staff', { headers: h })).status).toBe(401)
    }
    expect(await codesLeft(target.staffId)).toBe(0)
    const listed = await ctx.call('GET', '/api/admin/staff', { headers: as.admin })
    expect(
      (listed.json.items as { staffId: string; totpEnrolled: boolean }[]).find(
        (s) => s.staffId === target.staffId,
      )?.totpEnrolled,
    ).toBe(false)
    // The password alone signs in now; the answer says it has not enrolled, so the console
    // asks it to; it enrolls again with a new secret.
    later()
    const signIn = await login({ staffId: target.staffId, password: ROLE_PASSWORD })
    expect(signIn.status, JSON.stringify(signIn.json)).toBe(200)
    expect(signIn.json.totpEnrolled).toBe(false)
    const headers = { Authorization: `Bearer ${signIn.json.token}`, ...json }
    const enroll = await ctx.call('POST', '/api/admin/totp/enroll', { headers })
    expect(enroll.status).toBe(200)
    expect(enroll.json.secret).not.toBe(target.secret)
    // The old secret's code no longer counts for anything.
    const entry = await row<{ actor: string; address: string | null; detail: string }>(
      ctx.db,
      sql`SELECT actor, address, detail FROM audit_log
        WHERE action = 'staff.totpReset' AND target = ${`staff:${target.staffId}`}`,
    )
    expect(entry?.actor).toBe('role-admin')
    expect(JSON.parse(entry?.detail ?? '{}')).toEqual({
      wasEnrolled: true,
      recoveryCodesRemoved: 10,
      sessionsRevoked: 2,
    })
  })

  it('refuses one’s own (400) and an unknown account (404)', async () => {
    const own = await reset(as.admin, 'role-admin')
    expect(own.status).toBe(400)
    expect(own.json.error.code).toBe('VALIDATION_FAILED')
    expect((await ctx.call('GET', '/api/admin/staff', { headers: as.admin })).status).toBe(200)
    const missing = await reset(as.admin, 'nobody-here')
    expect(missing.status).toBe(404)
    expect(missing.json.error.code).toBe('NOT_FOUND')
  })

  it('pnpm staff:reset-totp does the same from the command line (audited as cli)', async () => {
    const target = await enrolled('operator')
    const root = resolve(import.meta.dirname, '../..')
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'server/src/cli/staff-reset-totp.ts', '--id', target.staffId],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          LOG_LEVEL: 'silent',
          ...(pg
            ? {
                DATABASE_URL: pg.url,
                PIN_HASH_SECRET: ctx.secrets.pinHashKey.toString('hex'),
                QR_TOKEN_SECRET: ctx.secrets.qrTokenKey.toString('hex'),
              }
            : { DATABASE_PATH: databasePath }),
        },
        encoding: 'utf8',
      },
    )
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/Reset the second factor of staff reset-operator-/)
    expect((await ctx.call('GET', '/api/admin/staff', { headers: target.headers })).status).toBe(
      401,
    )
    expect(await codesLeft(target.staffId)).toBe(0)
    later()
    const signIn = await login({ staffId: target.staffId, password: ROLE_PASSWORD })
    expect(signIn.status).toBe(200)
    expect(signIn.json.totpEnrolled).toBe(false)
    const entry = await row<{ actor: string }>(
      ctx.db,
      sql`SELECT actor FROM audit_log WHERE action = 'staff.totpReset' AND target = ${`staff:${target.staffId}`}`,
    )
    expect(entry?.actor).toBe('cli')
  })
})
