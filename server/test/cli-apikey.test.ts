import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fakeClock } from '../src/clock.ts'
import { openDatabase } from '../src/db/client.ts'
import { createStaffService } from '../src/services/staff.ts'

/** `pnpm apikey:create`, `apikey:list`, `apikey:revoke` as processes on a SQLite file. */

const root = resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'mc-cli-apikey-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const databasePath = join(dir, 'db.sqlite')

function run(script: string, args: string[]) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', `server/src/cli/${script}.ts`, ...args],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          DATABASE_PATH: databasePath,
          LOG_LEVEL: 'silent',
          LINE_LOGIN_CHANNEL_ID: '1234567890',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    child.on('error', fail)
    child.on('close', (status) => done({ status, stdout, stderr }))
  })
}

describe('apikey commands', () => {
  it('create prints the key alone on the first line; list never shows it; revoke by prefix', async () => {
    const db = await openDatabase({ databasePath, databaseUrl: undefined })
    try {
      await createStaffService({ db, clock: fakeClock() }).upsert({
        staffId: 'clerk-1',
        storeCode: 'S001',
        storeName: '渋谷店',
        role: 'clerk',
        password: 'a-long-password',
      })
    } finally {
      await db.close()
    }
    const made = await run('apikey-create', [
      '--store',
      'S001',
      '--name',
      'レジ 1',
      '--scopes',
      'scan,points',
    ])
    expect(made.stderr).toBe('')
    expect(made.status).toBe(0)
    const [key, summary] = made.stdout.split('\n')
    expect(key).toMatch(/^mck_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/)
    const prefix = (key ?? '').slice(0, 12)
    expect(summary).toContain(`Created API key ${prefix}`)
    expect(summary).toContain('scan,points')

    const list = await run('apikey-list', [])
    expect(list.status).toBe(0)
    expect(list.stdout).toContain(prefix)
    expect(list.stdout).toContain('レジ 1')
    expect(list.stdout).not.toContain(key)

    const unknownScope = await run('apikey-create', [
      '--store',
      'S001',
      '--name',
      'x',
      '--scopes',
      'scan,admin',
    ])
    expect(unknownScope.status).toBe(2)
    expect(unknownScope.stderr).toContain("unknown scope 'admin'")
    const noStore = await run('apikey-create', ['--store', 'S404', '--name', 'x'])
    expect(noStore.status).toBe(2)
    expect(noStore.stderr).toContain('No open store S404')

    const revoked = await run('apikey-revoke', [prefix])
    expect(revoked.status).toBe(0)
    expect(revoked.stdout).toContain(`Revoked API key ${prefix}`)
    expect((await run('apikey-list', [])).stdout).toMatch(/\trevoked \d{4}-/)
    const missing = await run('apikey-revoke', ['mck_00000000'])
    expect(missing.status).toBe(2)
    const bad = await run('apikey-revoke', ['nonsense'])
    expect(bad.status).toBe(2)
  }, 60_000)
})
