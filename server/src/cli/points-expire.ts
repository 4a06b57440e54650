// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { systemClock } from '../clock.ts'
import { createLogger } from '../logger.ts'
import { loadSecrets } from '../secrets.ts'
import { runPointsHousekeeping } from '../services/points-jobs.ts'
import { withDatabase } from './database.ts'

/**
 * `pnpm points:expire`: expires the balances of members inactive for POINTS_EXPIRY_DAYS and
 * drops old idempotency records. Idempotent: a second run expires nothing more; safe while
 * servers run their own housekeeping (each card is expired once, whoever gets there first).
 */
const { r, expiryDays } = await withDatabase(async ({ config, db }) => ({
  r: await runPointsHousekeeping({
    db,
    clock: systemClock,
    secrets: loadSecrets(config.secretsPath, config),
    rules: config.points,
    logger: createLogger(config.logLevel),
  }),
  expiryDays: config.points.expiryDays,
}))
if (expiryDays <= 0) console.log('Points expiry is off (POINTS_EXPIRY_DAYS=0).')
console.log(
  `Expired ${r.expiredPoints} points on ${r.expiredCards} card(s); removed ${r.purgedKeys} old idempotency record(s).`,
)
