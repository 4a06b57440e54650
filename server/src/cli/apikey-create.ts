// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import {
  API_KEY_SCOPES,
  type ApiKeyScope,
  apiKeyNameSchema,
  storeCodeSchema,
} from '@membercard/shared'
import { systemClock } from '../clock.ts'
import { DomainError } from '../domain/errors.ts'
import { createApiKeys } from '../services/api-keys.ts'
import { CLI_ACTOR } from '../services/audit.ts'
import { HELP_OPTION, parseCommand, refuse } from './args.ts'
import { withDatabase } from './database.ts'

const command = {
  name: 'apikey:create',
  help: `Usage: pnpm apikey:create --store <code> --name <label> [--scopes scan,points,coupons]

Creates a POS API key for a store and prints it once: the first line of standard output is
the key alone (keep it in the POS's settings; only its hash is stored). The key acts as a
till (clerk) of the store on the staff routes its scopes allow, sent as
"Authorization: Bearer <key>". Recorded in the audit trail. See docs/pos-integration.md.

  --store <code>     the store the key acts for (it must exist and be open)
  --name <label>     what the key is for, e.g. "Smaregi register 1"
  --scopes <list>    comma-separated: ${API_KEY_SCOPES.join(', ')} (default: all)
  -h, --help         print this help`,
}
const { values } = parseCommand(command, {
  options: {
    ...HELP_OPTION,
    store: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'string' },
  },
})
if (values.store === undefined) refuse(command, '--store <code> is required')
if (!storeCodeSchema.safeParse(values.store).success) {
  refuse(command, '--store must be 1 to 32 letters, digits, _ or -')
}
const name = apiKeyNameSchema.safeParse(values.name ?? '')
if (values.name === undefined) refuse(command, '--name <label> is required')
if (!name.success) refuse(command, '--name must be 1 to 100 characters')
let scopes: ApiKeyScope[] | undefined
if (values.scopes !== undefined) {
  const list = values.scopes.split(',').map((s) => s.trim())
  const unknown = list.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s))
  if (list.length === 0 || unknown.length > 0) {
    refuse(
      command,
      `--scopes: unknown scope '${unknown[0] ?? ''}' (use ${API_KEY_SCOPES.join(', ')})`,
    )
  }
  scopes = list as ApiKeyScope[]
}
const store = values.store

try {
  const made = await withDatabase(({ db, config }) =>
    createApiKeys({
      db,
      clock: systemClock,
      ratePerSecond: config.integration.apiKeyRatePerSecond,
    }).create(CLI_ACTOR, { storeCode: store, name: name.data, scopes }),
  )
  console.log(made.key)
  console.log(
    `Created API key ${made.prefix} (id ${made.id}) for store ${made.storeCode}, scopes ${made.scopes.join(',')}.`,
  )
  console.log('The key is shown only now: store it in the POS settings.')
} catch (err) {
  if (err instanceof DomainError) refuse(command, err.message)
  throw err
}
