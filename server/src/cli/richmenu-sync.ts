// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { systemClock } from '../clock.ts'
import { ConfigError, loadConfigFromProcess } from '../config.ts'
import { openDatabase } from '../db/client.ts'
import { createMessagingClient } from '../line/messaging-client.ts'
import { syncRichMenus } from '../line/rich-menus.ts'
import { createLogger } from '../logger.ts'
import { describeLineError } from './line-errors.ts'

/**
 * `pnpm richmenu:sync`: re-applies the right rich menu to every user (the member menu to
 * every linked user, none to the unlinked), with the bulk endpoints, 500 users a call.
 */
try {
  const config = loadConfigFromProcess()
  const client = createMessagingClient(config)
  if (!client.enabled) {
    console.error('LINE_MESSAGING_ACCESS_TOKEN is not set: nothing can be synced.')
    process.exit(1)
  }
  const db = await openDatabase(config)
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel)
  const r = await syncRichMenus({
    db,
    client,
    clock: systemClock,
    logger,
    liffId: config.line.liffId,
  })
  console.log(`member menu linked to ${r.linked} user(s); per-user menu removed for ${r.unlinked}`)
  await db.close()
} catch (err) {
  if (err instanceof ConfigError) console.error(err.message)
  else console.error(`Rich menu sync failed: ${describeLineError(err)}`)
  process.exit(1)
}
