// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { staffIdSchema } from '@membercard/shared'
import { systemClock } from '../clock.ts'
import { DomainError } from '../domain/errors.ts'
import { CLI_ACTOR } from '../services/audit.ts'
import { createStaffAdmin } from '../services/staff-admin.ts'
import { HELP_OPTION, parseCommand, refuse } from './args.ts'
import { withDatabase } from './database.ts'

const command = {
  name: 'staff:disable',
  help: `Usage: pnpm staff:disable --id <staffId> [--enable]

Disables a staff account: it can no longer sign in, and every session it has ends at once on
every instance (the till's token and the console's cookie). The account, its role and its
history stay; --enable lets it sign in again. The last enabled admin cannot be disabled.
Recorded in the audit trail.

  --id <staffId>  the account
  --enable        enable the account again instead
  -h, --help      print this help`,
}
const { values } = parseCommand(command, {
  options: { ...HELP_OPTION, id: { type: 'string' }, enable: { type: 'boolean' } },
})
if (values.id === undefined) refuse(command, '--id <staffId> is required')
if (!staffIdSchema.safeParse(values.id).success) {
  refuse(command, '--id must be 1 to 64 letters, digits or _ . @ -')
}
const id = values.id
const enable = values.enable === true

try {
  await withDatabase(({ db }) =>
    createStaffAdmin({ db, clock: systemClock }).updateStaff(CLI_ACTOR, id, { disabled: !enable }),
  )
  console.log(
    enable ? `Enabled staff ${id}.` : `Disabled staff ${id}; its sessions have been revoked.`,
  )
} catch (err) {
  if (err instanceof DomainError) refuse(command, err.message)
  throw err
}
