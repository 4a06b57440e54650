// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { systemClock } from '../clock.ts'
import { createApiKeys } from '../services/api-keys.ts'
import { HELP_OPTION, parseCommand } from './args.ts'
import { withDatabase } from './database.ts'

const command = {
  name: 'apikey:list',
  help: `Usage: pnpm apikey:list

Lists the POS API keys, newest first: id, prefix, store, scopes, name, when created, last
used (to the minute) and revoked. The keys themselves are never shown again.

  -h, --help  print this help`,
}
parseCommand(command, { options: { ...HELP_OPTION } })

const items = await withDatabase(({ db, config }) =>
  createApiKeys({
    db,
    clock: systemClock,
    ratePerSecond: config.integration.apiKeyRatePerSecond,
  }).list(),
)
if (items.length === 0) {
  console.log('No API keys. Create one with: pnpm apikey:create --store <code> --name <label>')
} else {
  console.log(
    ['id', 'prefix', 'store', 'scopes', 'created', 'last used', 'state', 'name'].join('\t'),
  )
  for (const k of items) {
    console.log(
      [
        k.id,
        k.prefix,
        k.storeCode,
        k.scopes.join(','),
        k.createdAt,
        k.lastUsedAt ?? '-',
        k.revokedAt ? `revoked ${k.revokedAt}` : 'active',
        k.name,
      ].join('\t'),
    )
  }
}
