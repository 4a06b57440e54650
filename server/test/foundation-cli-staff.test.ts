import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { fakeClock } from '../src/clock.ts'
import { openSqlite } from '../src/db/sqlite.ts'
import { createStaffService } from '../src/services/staff.ts'
import { openTestDatabase } from './support.ts'

const root = resolve(import.meta.dirname, '../..')

describe('pnpm staff:add (the command)', () => {
  it('creates a staff account from a password on standard input, then updates its password keeping its role; the store is created when first named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-staff-'))
    const env = { ...process.env, DATABASE_PATH: join(dir, 'db.sqlite') }
    const cli = (args: string[], input: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'server/src/cli/staff-add.ts', ...args], {
        cwd: root,
        env,
        input,
        encoding: 'utf8',
      })
    const created = cli(
      ['--id', 'tanaka', '--store', 'S002', '--role', 'manager', '--store-name', '二号店'],
      'first-password\n',
    )
    expect(created.status).toBe(0)
    expect(created.stdout).toMatch(/Created staff tanaka \(manager\) at store S002/)
    expect(created.stdout + created.stderr).not.toContain('first-password')
    // A password reset: the role left out stays what it was.
    const updated = cli(['--id', 'tanaka', '--store', 'S002'], 'second-password\n')
    expect(updated.stdout).toMatch(/Updated staff tanaka \(manager\) at store S002/)
    expect(cli(['--id', 'tanaka'], 'x\n').status).toBe(2)
    expect(
      cli(['--id', 'sato', '--store', 'S002', '--role', 'owner'], 'long-enough-pass\n').status,
    ).toBe(2)
    expect(cli(['--id', 'sato', '--store', 'S002'], 'short\n').status).toBe(2)

    const db = openSqlite(join(dir, 'db.sqlite'))
    const [row] = await db.execute<{ role: string; passwordHash: string }>(
      sql`SELECT role, password_hash AS "passwordHash" FROM staff WHERE id = ${'tanaka'}`,
    )
    expect(row?.role).toBe('manager')
    expect(row?.passwordHash).toMatch(/^scrypt\$/)
    expect(await db.execute(sql`SELECT code, name FROM stores`)).toEqual([
      { code: 'S002', name: '二号店' },
    ])
    const service = createStaffService({ db, clock: fakeClock() })
    await expect(service.login('tanaka', 'first-password', '127.0.0.1')).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    })
    await expect(service.login('tanaka', 'second-password', '127.0.0.1')).resolves.toMatchObject({
      token: expect.any(String),
    })
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  }, 90_000)
})

describe('staff sign-in limits under parallel guessing', () => {
  it('lets no more than 5 wrong passwords through at once from one address, then 429 there; another address and later the same one get in', async () => {
    const db = await openTestDatabase()
    const clock = fakeClock()
    const service = createStaffService({ db, clock })
    await service.upsert({
      staffId: 'mgr',
      storeCode: 'S1',
      role: 'manager',
      password: 'right-password',
    })
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => service.login('mgr', 'wrong-password', '10.0.0.1')),
    )
    const codes = results.map((r) =>
      r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok',
    )
    expect(codes.filter((c) => c === 'INVALID_CREDENTIALS')).toHaveLength(5)
    expect(codes.filter((c) => c === 'TOO_MANY_ATTEMPTS')).toHaveLength(7)
    await expect(service.login('mgr', 'right-password', '10.0.0.1')).rejects.toMatchObject({
      code: 'TOO_MANY_ATTEMPTS',
    })
    // Five failures elsewhere do not keep the account out (docs/decisions/034).
    await expect(service.login('mgr', 'right-password', '10.0.0.2')).resolves.toMatchObject({
      token: expect.any(String),
    })
    clock.advance(16 * 60_000)
    await expect(service.login('mgr', 'right-password', '10.0.0.1')).resolves.toMatchObject({
      token: expect.any(String),
    })
    // a success leaves no failure behind
    const [rows] = await db.execute<{ n: number }>(
      sql`SELECT CAST(count(*) AS INTEGER) AS n FROM login_attempts
        WHERE created_at > ${clock.now() - 60_000}`,
    )
    expect(Number(rows?.n)).toBe(0)
  }, 60_000)
})
