// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { systemClock } from '../clock.ts'
import { ConfigError, loadConfigFromProcess } from '../config.ts'
import { openDatabase } from '../db/client.ts'
import { createLogger } from '../logger.ts'
import { loadSecrets } from '../secrets.ts'
import { runPointsHousekeeping } from '../services/points-jobs.ts'

/**
 * `pnpm points:expire`: expires the balances of members inactive for POINTS_EXPIRY_DAYS and
 * drops old idempotency records. Idempotent: a second run expires nothing more.
 */
try {
  const config = loadConfigFromProcess()
  const db = openDatabase(config.databasePath)
  const secrets = loadSecrets(config.secretsPath, config)
  const r = runPointsHousekeeping({
    db,
    clock: systemClock,
    secrets,
    rules: config.points,
    logger: createLogger(config.logLevel),
  })
  db.$client.close()
  if (config.points.expiryDays <= 0) console.log('Points expiry is off (POINTS_EXPIRY_DAYS=0).')
  console.log(
    `Expired ${r.expiredPoints} points on ${r.expiredCards} card(s); removed ${r.purgedKeys} old idempotency record(s).`,
  )
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message)
    process.exit(1)
  }
  throw err
}
