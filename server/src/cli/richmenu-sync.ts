// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { systemClock } from '../clock.ts'
import { ConfigError, loadConfigFromProcess } from '../config.ts'
import { openDatabase } from '../db/client.ts'
import { createMessagingClient } from '../line/messaging-client.ts'
import { syncRichMenus } from '../line/rich-menus.ts'
import { createLogger } from '../logger.ts'
import { HELP_OPTION, parseCommand } from './args.ts'
import { describeLineError } from './line-errors.ts'

/**
 * `pnpm richmenu:sync`: re-applies the right rich menu to every user (the member menu to
 * every linked user, none to the unlinked), with the bulk endpoints, 500 users a call.
 */
const command = {
  name: 'richmenu:sync',
  help: `Usage: pnpm richmenu:sync [--dry-run]

Re-applies the right rich menu to every LINE user: links the member menu to every linked
member and removes the per-user menu of those who unlinked (bulk calls, 500 users each).
Run pnpm richmenu:deploy first.

  --dry-run   print how many users would be changed; call nothing at LINE
  -h, --help  print this help`,
}
const { values } = parseCommand(command, {
  options: { ...HELP_OPTION, 'dry-run': { type: 'boolean' } },
})
const dryRun = values['dry-run'] === true

try {
  const config = loadConfigFromProcess()
  const client = createMessagingClient(config)
  if (!client.enabled) {
    console.error('LINE_MESSAGING_ACCESS_TOKEN is not set: nothing can be synced.')
    process.exit(1)
  }
  const db = await openDatabase(config)
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel)
  const r = await syncRichMenus(
    { db, client, clock: systemClock, logger, liffId: config.line.liffId },
    { dryRun },
  )
  console.log(
    dryRun
      ? `Dry run: would link the member menu to ${r.linked} user(s) and remove the per-user menu of ${r.unlinked}; nothing was changed.`
      : `member menu linked to ${r.linked} user(s); per-user menu removed for ${r.unlinked}`,
  )
  await db.close()
} catch (err) {
  if (err instanceof ConfigError) console.error(err.message)
  else console.error(`Rich menu sync failed: ${describeLineError(err)}`)
  process.exit(1)
}
