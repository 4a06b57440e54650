import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { PG_MIGRATIONS_FOLDER } from '../src/db/postgres.ts'
import { createDatabase, dropDatabase } from './support/pg-cluster.ts'
import { pgAdminUrl } from './support/pg-database.ts'

const root = resolve(import.meta.dirname, '../..')
const MIGRATIONS = (
  JSON.parse(readFileSync(join(PG_MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as {
    entries: unknown[]
  }
).entries.length
const SECRET = 'ab'.repeat(32)

/** Runs `pnpm db:migrate`'s entry point with `env`; its exit code and output. */
function dbMigrate(env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/cli/db-migrate.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('exit', (code) => done({ code, stdout, stderr }))
  })
}

describe('pnpm db:migrate on PostgreSQL', () => {
  const made: string[] = []
  afterAll(async () => {
    const admin = await pgAdminUrl()
    for (const name of made) await dropDatabase(admin, name)
  })

  // Several migrators at the same moment (the advisory lock) are proven in-process by
  // pg-foundation.test.ts; this is the command itself.
  it('migrates an empty database, finds nothing to do the second time, and refuses without the secrets', async () => {
    const admin = await pgAdminUrl()
    const name = `m_${randomBytes(6).toString('hex')}`
    made.push(name)
    const url = await createDatabase(admin, name)
    const env = { DATABASE_URL: url, PIN_HASH_SECRET: SECRET, QR_TOKEN_SECRET: SECRET }

    const refused = await dbMigrate({ DATABASE_URL: url })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('PIN_HASH_SECRET')

    for (let run = 0; run < 2; run++) {
      const r = await dbMigrate(env)
      expect([r.code, r.stderr]).toEqual([0, ''])
      expect(r.stdout).toContain('up to date')
    }

    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      const applied = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM drizzle.__drizzle_migrations',
      )
      expect(Number(applied.rows[0]?.n)).toBe(MIGRATIONS)
      const tables = await client.query<{ t: string }>(
        "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'",
      )
      expect(tables.rows.map((r) => r.t)).toEqual(
        expect.arrayContaining(['point_cards', 'ledger', 'line_links', 'outbox', 'job_leases']),
      )
    } finally {
      await client.end()
    }
  }, 60_000)
})
