import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { openSqlite, SQLITE_MIGRATIONS_FOLDER } from '../src/db/sqlite.ts'

const root = resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'mc-migrate-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** How many migrations the repository has. */
const MIGRATIONS = (
  JSON.parse(readFileSync(join(SQLITE_MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as {
    entries: unknown[]
  }
).entries.length

function dbMigrate(databasePath: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'server/src/cli/db-migrate.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', DATABASE_PATH: databasePath, LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  })
}

/** The migrations recorded, and the tables, of a SQLite file. */
async function schemaOf(path: string) {
  const db = openSqlite(path)
  try {
    const [applied] = await db.execute<{ n: number }>(
      sql`SELECT count(*) AS n FROM __drizzle_migrations`,
    )
    const tables = await db.execute<{ name: string }>(
      sql`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`,
    )
    return { applied: applied?.n, tables: tables.map((t) => t.name) }
  } finally {
    await db.close()
  }
}

describe('pnpm db:migrate', () => {
  it('applies the pending migrations and exits; a second run finds nothing to do', async () => {
    const path = join(dir, 'fresh', 'membercard.db')
    const first = dbMigrate(path)
    expect(first.stderr).toBe('')
    expect(first.status).toBe(0)
    expect(first.stdout).toContain(`Applied ${MIGRATIONS} migration(s)`)
    const again = dbMigrate(path)
    expect(again.status).toBe(0)
    expect(again.stdout).toContain('is up to date')
    const schema = await schemaOf(path)
    expect(schema.applied).toBe(MIGRATIONS)
    expect(schema.tables).toEqual(
      expect.arrayContaining(['point_cards', 'ledger', 'staff', 'job_leases', 'outbox']),
    )
  }, 60_000)

  it('finds nothing to do on a database a server has already migrated', async () => {
    const path = join(dir, 'served.db')
    await openSqlite(path).close()
    const run = dbMigrate(path)
    expect(run.status).toBe(0)
    expect(run.stdout).toContain('is up to date')
    expect((await schemaOf(path)).applied).toBe(MIGRATIONS)
  }, 60_000)

  it('is safe while instances start: migrations racing on one new file each apply once, and all succeed', async () => {
    // `pnpm db:migrate` (migrate) and starting servers (open), all on a new file at once.
    const modes = ['migrate', 'migrate', 'migrate', 'migrate', 'open', 'open'] as const
    for (let round = 0; round < 2; round++) {
      const path = join(dir, `race-${round}.db`)
      const children = modes.map((mode) =>
        spawn(
          process.execPath,
          ['--import', 'tsx', 'server/test/fixtures/migrate-on-go.ts', path, mode],
          { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] },
        ),
      )
      const exits = children.map(exitOf)
      // All of them loaded and waiting: start them at the same moment.
      await Promise.all(children.map(ready))
      for (const c of children) c.stdin?.end('go\n')
      const results = await Promise.all(exits)
      expect(results).toEqual(modes.map(() => ({ code: 0, stderr: '' })))
      expect((await schemaOf(path)).applied).toBe(MIGRATIONS)
    }
  }, 120_000)
})

function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolveReady, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('ready\n')) resolveReady()
    })
    child.once('exit', (code) => reject(new Error(`exited with ${code} before it was ready`)))
  })
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  return new Promise((resolveExit) => {
    child.once('exit', (code) => resolveExit({ code, stderr }))
  })
}
