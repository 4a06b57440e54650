import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { SQLITE_MIGRATIONS_FOLDER } from '../src/db/sqlite.ts'
import { migrateSqlite } from '../src/db/sqlite-migrate.ts'

/**
 * Upgrading a SQLite database that has staff and sessions: the migration that rebuilds
 * `staff` (store optional for head-office roles) keeps every account and session, with
 * foreign keys on again afterwards. SQLite only: it tests the SQLite migrator.
 */
const dir = mkdtempSync(join(tmpdir(), 'mc-migrate-staff-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The migrations folder as it was before the head-office roles (up to 0007). */
function foldersUpTo(tag: string): string {
  const folder = join(dir, 'migrations')
  cpSync(SQLITE_MIGRATIONS_FOLDER, folder, { recursive: true })
  const journalPath = join(folder, 'meta/_journal.json')
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] }
  const end = journal.entries.findIndex((e) => e.tag === tag)
  journal.entries = journal.entries.slice(0, end + 1)
  writeFileSync(journalPath, JSON.stringify(journal))
  return folder
}

describe('SQLite: the staff rebuild on a database in use', () => {
  it('keeps staff and their sessions, and turns foreign keys back on', () => {
    const sqlite = new BetterSqlite3(join(dir, 'old.db'))
    sqlite.pragma('foreign_keys = ON')
    migrateSqlite(sqlite, foldersUpTo('0007_rate_windows'))
    sqlite.exec(`INSERT INTO stores (code, name, created_at) VALUES ('S001', '本店', 1)`)
    sqlite.exec(`INSERT INTO staff (id, store_code, role, password_hash, created_at, updated_at)
      VALUES ('tanaka', 'S001', 'manager', 'h', 1, 1)`)
    sqlite.exec(`INSERT INTO staff_sessions (token_hash, staff_id, created_at, expires_at)
      VALUES ('t1', 'tanaka', 1, 99)`)
    expect(migrateSqlite(sqlite, SQLITE_MIGRATIONS_FOLDER)).toBeGreaterThanOrEqual(2)
    expect(sqlite.prepare('SELECT id, store_code, role FROM staff').all()).toEqual([
      { id: 'tanaka', store_code: 'S001', role: 'manager' },
    ])
    expect(sqlite.prepare('SELECT token_hash, kind FROM staff_sessions').all()).toEqual([
      { token_hash: 't1', kind: 'bearer' },
    ])
    expect(sqlite.pragma('foreign_keys', { simple: true })).toBe(1)
    // The references still hold: a session of no account is refused.
    expect(() =>
      sqlite.exec(`INSERT INTO staff_sessions (token_hash, staff_id, created_at, expires_at)
        VALUES ('t2', 'nobody', 1, 99)`),
    ).toThrow(/FOREIGN KEY/)
    sqlite.close()
  })
})
