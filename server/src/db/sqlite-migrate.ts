import type BetterSqlite3 from 'better-sqlite3'
import { readMigrationFiles } from 'drizzle-orm/migrator'

/** drizzle's bookkeeping table, kept as drizzle-kit's migrator reads and writes it. */
const TABLE = '__drizzle_migrations'

/**
 * Applies the pending migrations of `migrationsFolder` to a SQLite connection; returns how
 * many it applied. Safe to run from several processes at once (servers starting while
 * `pnpm db:migrate` runs): the check for what is pending and the migrations themselves are one
 * IMMEDIATE transaction, so a second process waits (busy timeout) and then finds nothing left.
 * Compatible with drizzle's own migrator (same table, same rule: a migration is pending when
 * it is newer than the newest one applied).
 *
 * Foreign keys are off while migrations run, as SQLite's procedure for rebuilding a table
 * requires (https://sqlite.org/lang_altertable.html#otheralter; the `PRAGMA foreign_keys` lines
 * drizzle-kit writes are no-ops inside a transaction): dropping a parent table that child rows
 * reference would otherwise fail. `PRAGMA foreign_key_check` before the commit refuses a
 * migration that leaves a dangling reference; the connection's setting is restored after.
 */
export function migrateSqlite(sqlite: BetterSqlite3.Database, migrationsFolder: string): number {
  const migrations = readMigrationFiles({ migrationsFolder })
  const foreignKeys = sqlite.pragma('foreign_keys', { simple: true }) === 1
  sqlite.pragma('foreign_keys = OFF')
  sqlite.exec('BEGIN IMMEDIATE')
  try {
    sqlite.exec(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
    )
    const last = sqlite
      .prepare<[], { created_at: number }>(
        `SELECT created_at FROM ${TABLE} ORDER BY created_at DESC LIMIT 1`,
      )
      .get()
    const record = sqlite.prepare(`INSERT INTO ${TABLE} (hash, created_at) VALUES (?, ?)`)
    let applied = 0
    for (const m of migrations) {
      if (last && Number(last.created_at) >= m.folderMillis) continue
      for (const statement of m.sql) if (statement.trim()) sqlite.exec(statement)
      record.run(m.hash, m.folderMillis)
      applied++
    }
    if (applied > 0) {
      const dangling = sqlite.pragma('foreign_key_check') as { table: string }[]
      if (dangling.length > 0) {
        throw new Error(`a migration left dangling references in ${dangling[0]?.table}`)
      }
    }
    sqlite.exec('COMMIT')
    return applied
  } catch (err) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK')
    throw err
  } finally {
    if (foreignKeys) sqlite.pragma('foreign_keys = ON')
  }
}
