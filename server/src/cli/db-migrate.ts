import { type Config, loadConfigOrExit } from '../config.ts'
import type { DatabaseSettings } from '../db/client.ts'
import { openSqliteFile } from '../db/sqlite.ts'
import { HELP_OPTION, parseCommand } from './args.ts'
import { exitOnDatabaseError } from './database.ts'

/**
 * `pnpm db:migrate`: applies the pending migrations to the configured database and exits.
 * Safe to run while instances start (they migrate too): on SQLite the check and the
 * migrations are one IMMEDIATE transaction; on PostgreSQL they run under the migration lock.
 */

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
  let opened: ReturnType<typeof openSqliteFile>
  try {
    opened = openSqliteFile(path)
  } catch (err) {
    exitOnDatabaseError(settings, err)
  }
  opened.sqlite.close()
  console.log(
    opened.applied === 0
      ? `${path} is up to date.`
      : `Applied ${opened.applied} migration(s) to ${path}; it is up to date.`,
  )
}
