// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { systemClock } from '../clock.ts'
import { ConfigError, loadConfigFromProcess } from '../config.ts'
import { openDatabase } from '../db/client.ts'
import { createMessagingClient } from '../line/messaging-client.ts'
import { deployRichMenus } from '../line/rich-menus.ts'
import { createLogger } from '../logger.ts'
import { HELP_OPTION, parseCommand } from './args.ts'
import { describeLineError } from './line-errors.ts'

/**
 * `pnpm richmenu:deploy`: creates or replaces the two rich menus from the definitions and
 * images in `server/src/line/`, sets the guest menu as the default, and deletes this
 * product's older menus. Safe to run again. In demo mode it deploys to the stand-in of the
 * demo server running on PORT.
 */
parseCommand(
  {
    name: 'richmenu:deploy',
    help: `Usage: pnpm richmenu:deploy

Creates or replaces the two rich menus (guest, member) through the Messaging API, sets the
guest menu as the default, moves linked members to a new member menu and deletes this
product's older menus. Safe to run again. In demo mode it deploys to the stand-in of the
demo server running on PORT.

  -h, --help  print this help`,
  },
  { options: HELP_OPTION },
)

try {
  const config = loadConfigFromProcess()
  const client = createMessagingClient(config)
  if (!client.enabled) {
    console.error('LINE_MESSAGING_ACCESS_TOKEN is not set: nothing can be deployed.')
    process.exit(1)
  }
  const db = await openDatabase(config)
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel)
  const r = await deployRichMenus({
    db,
    client,
    clock: systemClock,
    logger,
    liffId: config.line.liffId,
  })
  for (const [name, m] of Object.entries(r.menus)) {
    console.log(`${name.padEnd(7)} ${m.richMenuId}  ${m.created ? 'created' : 'unchanged'}`)
  }
  console.log(`default: guest menu`)
  if (r.relinkedUsers) console.log(`members moved to the new member menu: ${r.relinkedUsers}`)
  console.log(`old menus deleted: ${r.deleted.length}`)
  await db.close()
} catch (err) {
  if (err instanceof ConfigError) console.error(err.message)
  else console.error(`Rich menu deploy failed: ${describeLineError(err)}`)
  process.exit(1)
}
