import type { Database } from './seam.ts'
import { openSqlite } from './sqlite.ts'

/** Where the database is: a PostgreSQL URL, or else the SQLite file. */
export interface DatabaseSettings {
  databasePath: string
  databaseUrl?: string | undefined
}

/**
 * Opens and migrates the configured database: PostgreSQL when `databaseUrl` is set, otherwise
 * the SQLite file at `databasePath` (its folder created when missing).
 */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  if (settings.databaseUrl) {
    // Loaded only when used: a SQLite installation never loads the PostgreSQL driver.
    const { openPg } = await import('./pg.ts')
    return openPg(settings.databaseUrl)
  }
  return openSqlite(settings.databasePath)
}
