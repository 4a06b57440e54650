// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { staffIdSchema } from '@membercard/shared'
import { systemClock } from '../clock.ts'
import { DomainError } from '../domain/errors.ts'
import { CLI_ACTOR } from '../services/audit.ts'
import { createStaffAdmin } from '../services/staff-admin.ts'
import { HELP_OPTION, parseCommand, refuse } from './args.ts'
import { withDatabase } from './database.ts'

const command = {
  name: 'staff:reset-totp',
  help: `Usage: pnpm staff:reset-totp --id <staffId>

Resets a staff account's second factor, for an account that lost its authenticator and its
recovery codes: its TOTP secret and recovery codes are removed and every session it has ends
at once on every instance. It signs in next with its password alone, and the console asks it
to enroll again. Recorded in the audit trail.

  --id <staffId>  the account
  -h, --help      print this help`,
}
const { values } = parseCommand(command, {
  options: { ...HELP_OPTION, id: { type: 'string' } },
})
if (values.id === undefined) refuse(command, '--id <staffId> is required')
if (!staffIdSchema.safeParse(values.id).success) {
  refuse(command, '--id must be 1 to 64 letters, digits or _ . @ -')
}
const id = values.id

try {
  await withDatabase(({ db }) =>
    createStaffAdmin({ db, clock: systemClock }).resetSecondFactor(CLI_ACTOR, id),
  )
  console.log(
    `Reset the second factor of staff ${id}; its sessions have been revoked. It enrolls again after signing in.`,
  )
} catch (err) {
  if (err instanceof DomainError) refuse(command, err.message)
  throw err
}
