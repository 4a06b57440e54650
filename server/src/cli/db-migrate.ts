// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { type Config, loadConfigOrExit } from '../config.ts'
import type { DatabaseSettings } from '../db/client.ts'
import { SQLITE_MIGRATIONS_FOLDER } from '../db/sqlite.ts'
import { migrateSqlite } from '../db/sqlite-migrate.ts'
import { HELP_OPTION, parseCommand } from './args.ts'
import { exitOnDatabaseError } from './database.ts'

/**
 * `pnpm db:migrate`: applies the pending migrations to the configured database and exits.
 * Safe to run while instances start (they migrate too): on SQLite the check and the
 * migrations are one IMMEDIATE transaction; on PostgreSQL they run under the migration lock.
 */

/** How long to wait for another process's write (an import, a starting server) to finish. */
const WAIT_MS = 60_000

parseCommand(
  {
    name: 'db:migrate',
    help: `Usage: pnpm db:migrate

Applies the pending migrations to the configured database (DATABASE_URL, else
DATABASE_PATH) and exits. Safe to run while instances start.

  -h, --help  print this help`,
  },
  { options: HELP_OPTION },
)

const config: Config = loadConfigOrExit()
const settings: DatabaseSettings = config

if (settings.databaseUrl) {
  const { migratePostgres } = await import('../db/postgres.ts')
  try {
    await migratePostgres(settings.databaseUrl)
  } catch (err) {
    exitOnDatabaseError(settings, err)
  }
  console.log('The PostgreSQL database is up to date.')
} else {
  const path = settings.databasePath
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const sqlite = new BetterSqlite3(path)
  try {
    sqlite.pragma(`busy_timeout = ${WAIT_MS}`)
    sqlite.pragma('journal_mode = WAL')
    const applied = migrateSqlite(sqlite, SQLITE_MIGRATIONS_FOLDER)
    console.log(
      applied === 0
        ? `${path} is up to date.`
        : `Applied ${applied} migration(s) to ${path}; it is up to date.`,
    )
  } finally {
    sqlite.close()
  }
}
