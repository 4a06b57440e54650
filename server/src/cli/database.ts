// biome-ignore-all lint/style/noRestrictedGlobals: command-line entry points
import { type Config, loadConfigOrExit } from '../config.ts'
import { type DatabaseSettings, openDatabase } from '../db/client.ts'
import type { Database } from '../db/seam.ts'

/**
 * Runs a command on the configured database: loads the settings, opens (and migrates) the
 * database, runs `fn` and closes the database again, also when `fn` throws. A settings
 * problem is printed and exits with status 1.
 */
export async function withDatabase<T>(
  fn: (ctx: { config: Config; db: Database }) => Promise<T>,
): Promise<T> {
  const config = loadConfigOrExit()
  const db = await openDatabaseOrExit(config)
  try {
    return await fn({ config, db })
  } finally {
    await db.close()
  }
}

/** Where the configured database is, for a message: the URL without its password, or the path. */
function describe(settings: DatabaseSettings): string {
  if (!settings.databaseUrl) return settings.databasePath
  try {
    const url = new URL(settings.databaseUrl)
    url.password = ''
    return url.toString()
  } catch {
    return 'DATABASE_URL'
  }
}

/**
 * For a process entry point (the server, a command) that cannot work without its database:
 * says which database could not be opened and why, and exits with status 1.
 */
export function exitOnDatabaseError(settings: DatabaseSettings, err: unknown): never {
  const reason = err instanceof Error ? err.message : String(err)
  console.error(`Cannot open the database ${describe(settings)}: ${reason.slice(0, 300)}`)
  process.exit(1)
}

/** Opens (and migrates) the configured database, or exits as `exitOnDatabaseError` does. */
export async function openDatabaseOrExit(settings: DatabaseSettings): Promise<Database> {
  try {
    return await openDatabase(settings)
  } catch (err) {
    return exitOnDatabaseError(settings, err)
  }
}
