// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { STAFF_ROLES } from '@membercard/shared'
import { systemClock } from '../clock.ts'
import {
  createStaffService,
  type StaffAccountChange,
  StaffAccountRefused,
  type StaffRole,
} from '../services/staff.ts'
import { HELP_OPTION, parseCommand, refuse } from './args.ts'
import { withDatabase } from './database.ts'

const command = {
  name: 'staff:add',
  help: `Usage: pnpm staff:add --id <staffId> [--store <storeCode>] [--role clerk|manager|operator|admin] [--store-name <name>]

Creates a staff account, or updates one (a password reset, which signs the account out
everywhere), and sets its password. On a terminal the password is asked for (not shown);
otherwise it is the first line of standard input, e.g.
  echo 'a-long-password' | pnpm staff:add --id tanaka --store S002 --role manager

  --id <staffId>       the account (letters, digits, _ . @ -; up to 64)
  --store <storeCode>  its store; required for a new clerk or manager (an update keeps the
                       store); optional for the head-office roles operator and admin
  --role <role>        clerk and manager work at one store (the till); operator uses the
                       console at /admin for all stores; admin also manages accounts, exports
                       and erasure. A new account is a clerk; an update keeps the role unless given
  --store-name <name>  names the store; required when the store does not exist yet
  -h, --help           print this help

The password is 8 to 256 characters.`,
}
const { values } = parseCommand(command, {
  options: {
    ...HELP_OPTION,
    id: { type: 'string' },
    store: { type: 'string' },
    role: { type: 'string' },
    'store-name': { type: 'string' },
  },
})
const { id, store, role } = values
const storeName = values['store-name']?.trim()
if (id === undefined) refuse(command, '--id <staffId> is required')
if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(id)) {
  refuse(command, '--id must be 1 to 64 letters, digits or _ . @ -')
}
if (store !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(store)) {
  refuse(command, '--store must be 1 to 32 letters, digits, _ or -')
}
if (role !== undefined && !(STAFF_ROLES as readonly string[]).includes(role)) {
  refuse(command, `--role must be one of ${STAFF_ROLES.join(', ')}`)
}
if (storeName !== undefined && (storeName === '' || storeName.length > 100)) {
  refuse(command, '--store-name must be 1 to 100 characters')
}

const change: StaffAccountChange = {
  staffId: id,
  storeCode: store,
  storeName,
  role: role as StaffRole | undefined,
  newStoreNeedsName: true,
}

/** A password that is refused (the message says why); nothing is changed. */
class PasswordRefused extends Error {}

/** Asks for one line on the terminal without showing what is typed. Ctrl-C ends the command. */
async function askHidden(prompt: string): Promise<string> {
  // readline puts the terminal in raw mode (no echo) and edits the line; its own echo goes
  // to an output that shows nothing. The prompt comes after: nothing typed is ever echoed.
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() })
  const rl = createInterface({ input: process.stdin, output: silent, terminal: true })
  process.stderr.write(prompt)
  try {
    return await new Promise<string>((resolveLine) => {
      rl.once('line', resolveLine)
      rl.once('close', () => resolveLine(''))
      rl.once('SIGINT', () => {
        process.stderr.write('\n')
        process.exit(130)
      })
    })
  } finally {
    rl.close()
    process.stderr.write('\n')
  }
}

/** The first line of standard input (a pipe or a file). */
async function readFirstLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
  try {
    return await new Promise<string>((resolveLine) => {
      rl.once('line', resolveLine)
      rl.once('close', () => resolveLine(''))
    })
  } finally {
    rl.close()
    process.stdin.destroy()
  }
}

/** The new password: asked twice on a terminal, else one line of standard input. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readFirstLine()
  const first = await askHidden(`Password for ${id}: `)
  const again = await askHidden('Again: ')
  if (first !== again) throw new PasswordRefused('The two passwords differ: nothing was changed.')
  return first
}

function refusal(err: StaffAccountRefused): string {
  return err.reason === 'store-required'
    ? `${id} is a new account: give its store with --store <storeCode> (a clerk or a manager needs one; operator and admin may have none).`
    : `store ${err.storeCode} does not exist yet: to create it, name it with --store-name <name> (e.g. --store-name '新宿店'); else check the store code.`
}

try {
  const done = await withDatabase(async ({ db }) => {
    const staff = createStaffService({ db, clock: systemClock })
    // Refused before the password is asked for; upsert checks again in its transaction.
    await staff.plan(change)
    const password = await readPassword()
    if (password.length < 8 || password.length > 256) {
      throw new PasswordRefused('The password must be 8 to 256 characters: nothing was changed.')
    }
    return staff.upsert({ ...change, password })
  })
  const where = done.storeCode === null ? 'at head office (no store)' : `at store ${done.storeCode}`
  console.log(`${done.created ? 'Created' : 'Updated'} staff ${id} (${done.role}) ${where}.`)
} catch (err) {
  if (err instanceof StaffAccountRefused) refuse(command, refusal(err))
  if (err instanceof PasswordRefused) {
    console.error(err.message)
    process.exit(2)
  }
  throw err
}
