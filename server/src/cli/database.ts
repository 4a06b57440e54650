// biome-ignore-all lint/style/noRestrictedGlobals: command-line entry points
import { type Config, loadConfigOrExit } from '../config.ts'
import { openDatabase } from '../db/client.ts'
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
  const db = await openDatabase(config)
  try {
    return await fn({ config, db })
  } finally {
    await db.close()
  }
}
