import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { fakeClock } from '../src/clock.ts'
import { openDatabase } from '../src/db/client.ts'
import { createStaffService } from '../src/services/staff.ts'

/**
 * `pnpm staff:add` as a process on a SQLite file: what a flag left out keeps, the refusals
 * and their hints, and the password prompt on a terminal (a pseudo-terminal from `script`).
 */

const root = resolve(import.meta.dirname, '../..')
const SCRIPT = ['--import', 'tsx', 'server/src/cli/staff-add.ts']
const dir = mkdtempSync(join(tmpdir(), 'mc-staff-add-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function env(databasePath: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DATABASE_PATH: databasePath,
    LOG_LEVEL: 'silent',
  }
}

let dbSeq = 0
/** A fresh database path and the command on it, the password piped in. */
function freshCommand() {
  const databasePath = join(dir, `staff-${++dbSeq}.db`)
  const cli = (args: string[], input = 'long-enough-password\n') =>
    spawnSync(process.execPath, [...SCRIPT, ...args], {
      cwd: root,
      env: env(databasePath),
      input,
      encoding: 'utf8',
    })
  return { databasePath, cli }
}

/** Every account and store, as stored. */
async function stored(databasePath: string) {
  const db = await openDatabase({ databasePath })
  try {
    return {
      staff: await db.execute<{ id: string; store: string; role: string }>(
        sql`SELECT id, store_code AS store, role FROM staff ORDER BY id`,
      ),
      stores: await db.execute<{ code: string; name: string }>(
        sql`SELECT code, name FROM stores ORDER BY code`,
      ),
    }
  } finally {
    await db.close()
  }
}

/** Whether `password` signs `staffId` in. */
async function signsIn(databasePath: string, staffId: string, password: string) {
  const db = await openDatabase({ databasePath })
  try {
    await createStaffService({ db, clock: fakeClock() }).login(staffId, password, '127.0.0.1')
    return true
  } catch {
    return false
  } finally {
    await db.close()
  }
}

describe('pnpm staff:add: a flag left out leaves the stored value alone', () => {
  it('a password reset without --role keeps a manager a manager, and without --store keeps the store', async () => {
    const { databasePath, cli } = freshCommand()
    const created = cli(
      ['--id', 'suzuki', '--store', 'S001', '--store-name', '本店', '--role', 'manager'],
      'first-password\n',
    )
    expect(created.stderr).toBe('')
    expect(created.stdout).toBe('Created staff suzuki (manager) at store S001.\n')

    const reset = cli(['--id', 'suzuki'], 'second-password\n')
    expect(reset.stderr).toBe('')
    expect(reset.status).toBe(0)
    expect(reset.stdout).toBe('Updated staff suzuki (manager) at store S001.\n')
    expect((await stored(databasePath)).staff).toEqual([
      { id: 'suzuki', store: 'S001', role: 'manager' },
    ])
    expect(await signsIn(databasePath, 'suzuki', 'second-password')).toBe(true)

    // Given, a flag does change it.
    const demoted = cli(['--id', 'suzuki', '--role', 'clerk'], 'third-password\n')
    expect(demoted.stdout).toBe('Updated staff suzuki (clerk) at store S001.\n')
    // A new account without --role is a clerk.
    const clerk = cli(['--id', 'kato', '--store', 'S001'])
    expect(clerk.stdout).toBe('Created staff kato (clerk) at store S001.\n')
    expect((await stored(databasePath)).staff).toEqual([
      { id: 'kato', store: 'S001', role: 'clerk' },
      { id: 'suzuki', store: 'S001', role: 'clerk' },
    ])
  }, 60_000)

  it('refuses a new store without --store-name, and a new account without --store, with a hint; nothing is created', async () => {
    const { databasePath, cli } = freshCommand()
    const unnamed = cli(['--id', 'ito', '--store', 'S009'])
    expect(unnamed.status).toBe(2)
    expect(unnamed.stdout).toBe('')
    expect(unnamed.stderr).toMatch(/store S009 does not exist yet/)
    expect(unnamed.stderr).toMatch(/--store-name/)
    const storeless = cli(['--id', 'ito'])
    expect(storeless.status).toBe(2)
    expect(storeless.stderr).toMatch(/ito is a new account: give its store with --store/)
    expect(await stored(databasePath)).toEqual({ staff: [], stores: [] })

    const named = cli(['--id', 'ito', '--store', 'S009', '--store-name', '新宿店'])
    expect(named.status).toBe(0)
    // An existing store needs no name; a name given renames it.
    expect(cli(['--id', 'abe', '--store', 'S009']).status).toBe(0)
    expect(await stored(databasePath)).toEqual({
      staff: [
        { id: 'abe', store: 'S009', role: 'clerk' },
        { id: 'ito', store: 'S009', role: 'clerk' },
      ],
      stores: [{ code: 'S009', name: '新宿店' }],
    })
  }, 60_000)
})

/** Quotes a word for `sh -c`. */
const shellWord = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

/**
 * The command on a pseudo-terminal (`script` from util-linux): what it prints, a way to type,
 * and its exit status.
 */
function onTerminal(databasePath: string, args: string[]) {
  const line = [process.execPath, ...SCRIPT, ...args].map(shellWord).join(' ')
  const child = spawn('script', ['-qfec', line, '/dev/null'], {
    cwd: root,
    env: { ...env(databasePath), TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  const waiters: (() => void)[] = []
  const onData = (s: string) => {
    output += s
    for (const w of waiters.splice(0)) w()
  }
  child.stdout.setEncoding('utf8').on('data', onData)
  child.stderr.setEncoding('utf8').on('data', onData)
  const exited = new Promise<number | null>((resolveExit) => child.on('close', resolveExit))
  /** Resolves once the output contains `text`; fails after 20 s. */
  function waitFor(text: string): Promise<void> {
    return new Promise((resolveWait, reject) => {
      const deadline = setTimeout(
        () => reject(new Error(`no ${JSON.stringify(text)} in ${JSON.stringify(output)}`)),
        20_000,
      )
      const check = () => {
        if (output.includes(text)) {
          clearTimeout(deadline)
          resolveWait()
        } else waiters.push(check)
      }
      check()
    })
  }
  return {
    output: () => output,
    waitFor,
    type: (text: string) => child.stdin.write(text),
    exited,
  }
}

describe('pnpm staff:add on a terminal', () => {
  it('asks for the password twice without showing it; two different answers change nothing', async () => {
    const databasePath = join(dir, 'terminal.db')
    const args = ['--id', 'yamada', '--store', 'S001', '--store-name', '本店']

    const typo = onTerminal(databasePath, args)
    await typo.waitFor('Password for yamada: ')
    typo.type('first-secret-1\r')
    await typo.waitFor('Again: ')
    typo.type('first-secret-2\r')
    expect(await typo.exited).toBe(2)
    expect(typo.output()).toMatch(/The two passwords differ: nothing was changed/)
    expect(typo.output()).not.toMatch(/first-secret/)
    expect(await stored(databasePath)).toEqual({ staff: [], stores: [] })

    const term = onTerminal(databasePath, args)
    await term.waitFor('Password for yamada: ')
    term.type('terminal-secret\r')
    await term.waitFor('Again: ')
    term.type('terminal-secret\r')
    expect(await term.exited).toBe(0)
    expect(term.output()).toMatch(/Created staff yamada \(clerk\) at store S001\./)
    expect(term.output()).not.toContain('terminal-secret')
    expect(await signsIn(databasePath, 'yamada', 'terminal-secret')).toBe(true)
  }, 60_000)
})
