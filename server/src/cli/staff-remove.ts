// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { staffIdSchema } from '@membercard/shared'
import { systemClock } from '../clock.ts'
import { DomainError } from '../domain/errors.ts'
import { CLI_ACTOR } from '../services/audit.ts'
import { createStaffAdmin } from '../services/staff-admin.ts'
import { HELP_OPTION, parseCommand, refuse } from './args.ts'
import { withDatabase } from './database.ts'

const command = {
  name: 'staff:remove',
  help: `Usage: pnpm staff:remove --id <staffId>

Removes a staff account and ends every session it has at once, on every instance. The points
ledger keeps the staff ID on the transactions it made. The last enabled admin cannot be
removed. Recorded in the audit trail. To stop an account without removing it, use
pnpm staff:disable.

  --id <staffId>  the account
  -h, --help      print this help`,
}
const { values } = parseCommand(command, { options: { ...HELP_OPTION, id: { type: 'string' } } })
if (values.id === undefined) refuse(command, '--id <staffId> is required')
if (!staffIdSchema.safeParse(values.id).success) {
  refuse(command, '--id must be 1 to 64 letters, digits or _ . @ -')
}
const id = values.id

try {
  await withDatabase(({ db }) =>
    createStaffAdmin({ db, clock: systemClock }).removeStaff(CLI_ACTOR, id),
  )
  console.log(`Removed staff ${id}; its sessions have been revoked.`)
} catch (err) {
  if (err instanceof DomainError) refuse(command, err.message)
  throw err
}
