// biome-ignore-all lint/style/noRestrictedGlobals: a command-line entry point
import { parseArgs } from 'node:util'
import { systemClock } from '../clock.ts'
import { createStaffService } from '../services/staff.ts'
import { withDatabase } from './database.ts'

const usage =
  'Usage: pnpm staff:add --id <staffId> --store <storeCode> [--role clerk|manager] [--store-name <name>]  (password on standard input)'

let values: { id?: string; store?: string; role?: string; 'store-name'?: string }
try {
  ;({ values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      id: { type: 'string' },
      store: { type: 'string' },
      role: { type: 'string', default: 'clerk' },
      'store-name': { type: 'string' },
    },
  }))
} catch (err) {
  console.error((err as Error).message)
  console.error(usage)
  process.exit(2)
}
const { id, store, role } = values
if (!id || !/^[A-Za-z0-9_.@-]{1,64}$/.test(id) || !store || !/^[A-Za-z0-9_-]{1,32}$/.test(store)) {
  console.error(usage)
  process.exit(2)
}
if (role !== 'clerk' && role !== 'manager') {
  console.error('--role must be clerk or manager')
  process.exit(2)
}

async function readPassword(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? ''
}

const password = await readPassword()
if (password.length < 8 || password.length > 256) {
  console.error('The password (one line on standard input) must be 8 to 256 characters.')
  process.exit(2)
}
const { created } = await withDatabase(({ db }) =>
  createStaffService({ db, clock: systemClock }).upsert({
    staffId: id,
    storeCode: store,
    role,
    password,
    ...(values['store-name'] ? { storeName: values['store-name'] } : {}),
  }),
)
console.log(`${created ? 'Created' : 'Updated'} staff ${id} (${role}) at store ${store}.`)
