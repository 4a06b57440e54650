// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { systemClock } from '../clock.ts'
import { DomainError } from '../domain/errors.ts'
import { createApiKeys } from '../services/api-keys.ts'
import { CLI_ACTOR } from '../services/audit.ts'
import { HELP_OPTION, parseCommand, refuse } from './args.ts'
import { withDatabase } from './database.ts'

const command = {
  name: 'apikey:revoke',
  help: `Usage: pnpm apikey:revoke <key id or prefix>

Revokes a POS API key at once, on every instance: its next request is refused. The key is
named by its id or its prefix (mck_xxxxxxxx), as pnpm apikey:list shows them. Revoking a
revoked key changes nothing. Recorded in the audit trail.

  -h, --help  print this help`,
}
const { positionals } = parseCommand(command, {
  options: { ...HELP_OPTION },
  allowPositionals: true,
})
if (positionals.length !== 1) refuse(command, 'name one key: its id or its prefix')
const which = positionals[0] as string
if (!/^(\d{1,15}|mck_[0-9a-f]{8})$/.test(which)) {
  refuse(command, `'${which}' is neither a key id nor a prefix (mck_ and 8 hex digits)`)
}

try {
  const key = await withDatabase(({ db, config }) =>
    createApiKeys({
      db,
      clock: systemClock,
      ratePerSecond: config.integration.apiKeyRatePerSecond,
    }).revoke(CLI_ACTOR, which),
  )
  console.log(`Revoked API key ${key.prefix} (id ${key.id}, store ${key.storeCode}, ${key.name}).`)
} catch (err) {
  if (err instanceof DomainError) refuse(command, err.message)
  throw err
}
