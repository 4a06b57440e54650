// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { maskCardNumber, normalizeCardNumber } from '@membercard/shared'
import { systemClock } from '../clock.ts'
import { CardNotFound, CardNumberInvalid } from '../domain/errors.ts'
import { loadSecrets } from '../secrets.ts'
import { CLI_ACTOR } from '../services/audit.ts'
import { createCardLocks } from '../services/card-locks.ts'
import { HELP_OPTION, parseCommand, refuse } from './args.ts'
import { withDatabase } from './database.ts'

/**
 * `pnpm cards:unlock --card <number>`: clears a card's PIN-guessing lock (link-limits.ts), for
 * a member the store has checked in person. The console's "clear lock" does the same.
 */
const command = {
  name: 'cards:unlock',
  help: `Usage: pnpm cards:unlock --card <number>

Clears the PIN-guessing lock of a point card, so its owner can link it at once. Wrong PINs
entered so far no longer count for the card (they still count for the LINE accounts that
entered them). Check who the member is first: the lock is there to stop strangers guessing.
Recorded in the audit trail.

  --card <number>  the card number as printed (16 digits; spaces and hyphens allowed)
  -h, --help       print this help`,
}
const { values } = parseCommand(command, {
  options: { ...HELP_OPTION, card: { type: 'string' } },
})
if (values.card === undefined) refuse(command, '--card <number> is required')
const cardNumber = values.card

try {
  const cleared = await withDatabase(async ({ config, db }) =>
    createCardLocks({
      db,
      clock: systemClock,
      secrets: loadSecrets(config.secretsPath, config),
    }).clearByNumber(CLI_ACTOR, cardNumber),
  )
  const masked = maskCardNumber(normalizeCardNumber(cardNumber))
  console.log(
    cleared.wasLockedUntil === null
      ? `Card ${masked} was not locked; ${cleared.clearedFailures} earlier wrong PIN(s) no longer count.`
      : `Cleared the lock of card ${masked} (locked until ${new Date(cleared.wasLockedUntil).toISOString()}); ${cleared.clearedFailures} wrong PIN(s) no longer count.`,
  )
} catch (err) {
  if (err instanceof CardNumberInvalid) refuse(command, `--card: ${err.message}`)
  if (err instanceof CardNotFound) {
    console.error(`pnpm ${command.name}: no point card has this number.`)
    process.exit(1)
  }
  throw err
}
