// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { systemClock } from '../clock.ts'
import { createLineMessaging } from '../line/line-service.ts'
import { createLogger } from '../logger.ts'
import { createAuditService } from '../services/audit.ts'
import { createAutomations } from '../services/automations.ts'
import { createCoupons } from '../services/coupons.ts'
import { HELP_OPTION, parseCommand } from './args.ts'
import { withDatabase } from './database.ts'
import { dryRunDatabase } from './dry-run.ts'

/**
 * `pnpm automations:run`: runs the automated messages that are due now (the server also runs
 * them daily). Idempotent: a kind's run is taken once per Asia/Tokyo date, whoever (a server or
 * this command, on any instance) gets there first.
 */
const command = {
  name: 'automations:run',
  help: `Usage: pnpm automations:run [--dry-run]

Runs the enabled automated messages (birthday, pointsExpiring, winBack, couponExpiring) that
have not run
today (Asia/Tokyo): finds the members each is due for, leaves out those who turned
promotions off, blocked the account or reached the frequency cap, and queues the messages
(the servers' outbox workers send them). Idempotent: running it twice, or while a server
runs its daily run, sends nothing twice.

  --dry-run   print what would be sent; change nothing
  -h, --help  print this help`,
}
const { values } = parseCommand(command, {
  options: { ...HELP_OPTION, 'dry-run': { type: 'boolean' } },
})
const dryRun = values['dry-run'] === true

const outcomes = await withDatabase(async ({ config, db }) => {
  const target = dryRun ? dryRunDatabase(db) : db
  const logger = createLogger(config.logLevel)
  const line = createLineMessaging({ db: target, clock: systemClock, config, logger })
  return createAutomations({
    db: target,
    clock: systemClock,
    outbox: line.outbox,
    kick: () => {},
    audit: createAuditService({ db: target, clock: systemClock, timeZone: config.points.timeZone }),
    expiryDays: config.points.expiryDays,
    coupons: createCoupons({
      db: target,
      clock: systemClock,
      timeZone: config.points.timeZone,
      expiryDays: config.points.expiryDays,
    }),
  }).runDue()
})
for (const r of outcomes) {
  const what = r.ran
    ? `${dryRun ? 'would queue' : 'queued'} ${r.queued} of ${r.targeted} member(s) due; ${r.excluded} excluded (opted out, blocked or over the cap)`
    : `not run (${r.reason})`
  console.log(`${r.kind}: ${what}`)
}
if (dryRun) console.log('Dry run: nothing was changed.')
