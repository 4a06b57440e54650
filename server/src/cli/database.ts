// biome-ignore-all lint/style/noRestrictedGlobals: command-line entry points
import { type Config, ConfigError, loadConfigFromProcess } from '../config.ts'
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
  let config: Config
  try {
    config = loadConfigFromProcess()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
  const db = await openDatabase(config)
  try {
    return await fn({ config, db })
  } finally {
    await db.close()
  }
}
