// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { systemClock } from '../clock.ts'
import { createLogger } from '../logger.ts'
import { loadSecrets } from '../secrets.ts'
import { runPointsHousekeeping } from '../services/points-jobs.ts'
import { HELP_OPTION, parseCommand } from './args.ts'
import { withDatabase } from './database.ts'
import { dryRunDatabase } from './dry-run.ts'

/**
 * `pnpm points:expire`: expires the balances of members inactive for POINTS_EXPIRY_DAYS and
 * drops old idempotency records. Idempotent: a second run expires nothing more; safe while
 * servers run their own housekeeping (each card is expired once, whoever gets there first).
 */
const command = {
  name: 'points:expire',
  help: `Usage: pnpm points:expire [--dry-run]

Expires the balance of every card with no activity for POINTS_EXPIRY_DAYS (an "expire"
ledger entry each) and removes old idempotency records. Idempotent; the server also runs
it on a schedule.

  --dry-run   print what would expire and be removed; change nothing
  -h, --help  print this help`,
}
const { values } = parseCommand(command, {
  options: { ...HELP_OPTION, 'dry-run': { type: 'boolean' } },
})
const dryRun = values['dry-run'] === true

const { r, expiryDays } = await withDatabase(async ({ config, db }) => ({
  r: await runPointsHousekeeping({
    db: dryRun ? dryRunDatabase(db) : db,
    clock: systemClock,
    secrets: loadSecrets(config.secretsPath, config),
    rules: config.points,
    logger: createLogger(config.logLevel),
  }),
  expiryDays: config.points.expiryDays,
}))
if (expiryDays <= 0) console.log('Points expiry is off (POINTS_EXPIRY_DAYS=0).')
console.log(
  dryRun
    ? `Dry run: would expire ${r.expiredPoints} points on ${r.expiredCards} card(s) and remove ${r.purgedKeys} old idempotency record(s) and ${r.purgedQrTokens} expired QR token record(s); nothing was changed.`
    : `Expired ${r.expiredPoints} points on ${r.expiredCards} card(s); removed ${r.purgedKeys} old idempotency record(s) and ${r.purgedQrTokens} expired QR token record(s).`,
)
