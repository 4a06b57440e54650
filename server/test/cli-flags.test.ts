import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { luhnCheckDigit } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../src/db/client.ts'
import { automations } from '../src/repositories/automations.ts'
import { loadSecrets } from '../src/secrets.ts'
import { seedMembers } from './campaign-support.ts'
import { addCard, CHANNEL_ID, row, startStandIn } from './support.ts'

/**
 * The commands as processes (`node --import tsx server/src/cli/<command>.ts`) on a SQLite file
 * in a temporary folder, with LINE's Messaging API at the stand-in: their flags, `--help`,
 * unknown flags, and `--dry-run`.
 */

const root = resolve(import.meta.dirname, '../..')
const DAY = 24 * 60 * 60_000

const COMMANDS = {
  'cards:import': 'cards-import',
  'staff:add': 'staff-add',
  'staff:disable': 'staff-disable',
  'staff:remove': 'staff-remove',
  'points:expire': 'points-expire',
  'automations:run': 'automations-run',
  'richmenu:deploy': 'richmenu-deploy',
  'richmenu:sync': 'richmenu-sync',
  'db:migrate': 'db-migrate',
  'apikey:create': 'apikey-create',
  'apikey:list': 'apikey-list',
  'apikey:revoke': 'apikey-revoke',
} as const
type CommandName = keyof typeof COMMANDS

const { line: standIn, base } = await startStandIn()
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A fresh temporary folder; the database of `env(dir)` is `db.sqlite` in it. */
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mc-cli-flags-'))
  dirs.push(dir)
  return dir
}

/** The environment of a command run from `dir`: only what it needs, LINE at the stand-in. */
function env(dir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    INIT_CWD: dir,
    DATABASE_PATH: join(dir, 'db.sqlite'),
    LOG_LEVEL: 'silent',
    LINE_LOGIN_CHANNEL_ID: CHANNEL_ID,
    LIFF_ID: '1234567890-abcdefgh',
    LINE_API_BASE: base,
    LINE_API_DATA_BASE: base,
    LINE_MESSAGING_ACCESS_TOKEN: 'test-access-token',
    LINE_MESSAGING_CHANNEL_SECRET: 'test-channel-secret',
  }
}

interface Outcome {
  status: number | null
  stdout: string
  stderr: string
}

/**
 * Runs a command to its end, without blocking this process (the stand-in answers from here).
 * Standard input gets `input` and is then closed.
 */
function run(command: CommandName, args: string[], dir: string, input = ''): Promise<Outcome> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', `server/src/cli/${COMMANDS[command]}.ts`, ...args],
      { cwd: root, env: env(dir), stdio: ['pipe', 'pipe', 'pipe'] },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    child.on('error', reject)
    child.on('close', (status) => resolveRun({ status, stdout, stderr }))
    child.stdin.on('error', () => {})
    child.stdin.end(input)
  })
}

/** A valid card number (Luhn) from a small number. */
function cardNumber(n: number): string {
  const body = `4${String(n).padStart(14, '0')}`
  return body + luhnCheckDigit(body)
}

/** Messaging API calls the stand-in has seen so far. */
const lineCalls = () => standIn.calls.length

describe.concurrent('every command: --help and unknown flags', () => {
  const names = Object.keys(COMMANDS) as CommandName[]

  it.each(names)(
    '%s --help prints its usage, exits 0 and changes nothing',
    async (name) => {
      const dir = freshDir()
      const callsBefore = lineCalls()
      const r = await run(name, ['--help'], dir, 'long-enough-password\n')
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      expect(r.stdout).toContain(`Usage: pnpm ${name}`)
      expect(r.stdout).toMatch(/--help/)
      // No database, no secrets file, no call to LINE.
      expect(readdirSync(dir)).toEqual([])
      expect(lineCalls()).toBe(callsBefore)
    },
    30_000,
  )

  it.each(names)(
    '%s refuses an unknown flag: exit 2, naming the flag and pointing to --help; changes nothing',
    async (name) => {
      const dir = freshDir()
      writeFileSync(
        join(dir, 'cards.csv'),
        `card_number,pin,name,points\n${cardNumber(1)},1234,A,5\n`,
      )
      const callsBefore = lineCalls()
      const args = ['--id', 'tanaka', '--store', 'S001', '--store-name', '本店', '--dry-rnu']
      const r = await run(
        name,
        name === 'cards:import'
          ? ['--dry-rnu', 'cards.csv']
          : name === 'staff:add'
            ? args
            : ['--dry-rnu'],
        dir,
        'long-enough-password\n',
      )
      expect(r.status).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr).toContain("'--dry-rnu'")
      expect(r.stderr).toContain(`pnpm ${name} --help`)
      expect(readdirSync(dir)).toEqual(['cards.csv'])
      expect(lineCalls()).toBe(callsBefore)
    },
    30_000,
  )
})

describe('pnpm points:expire --dry-run', () => {
  it('prints what would expire and changes nothing; without it the same points expire', async () => {
    const dir = freshDir()
    const databasePath = join(dir, 'db.sqlite')
    const db = await openDatabase({ databasePath })
    const secrets = loadSecrets(`${databasePath}.secrets.json`)
    const stale = await addCard(db, secrets, { points: 70 })
    await addCard(db, secrets, { points: 5 })
    await db.execute(
      sql`UPDATE point_cards SET last_activity_at = ${Date.now() - 400 * DAY}
        WHERE id = ${stale.cardId}`,
    )
    await db.close()

    const balance = async () => {
      const check = await openDatabase({ databasePath })
      try {
        const card = await row<{ points: number }>(
          check,
          sql`SELECT points FROM point_cards WHERE id = ${stale.cardId}`,
        )
        const expiries = await row<{ n: number }>(
          check,
          sql`SELECT count(*) AS n FROM ledger WHERE type = ${'expire'}`,
        )
        return { points: Number(card?.points), expiries: Number(expiries?.n) }
      } finally {
        await check.close()
      }
    }

    const dry = await run('points:expire', ['--dry-run'], dir)
    expect(await balance()).toEqual({ points: 70, expiries: 0 })
    expect(dry.stderr).toBe('')
    expect(dry.status).toBe(0)
    expect(dry.stdout).toMatch(/Dry run: would expire 70 points on 1 card\(s\)/)
    expect(dry.stdout).toMatch(/nothing was changed/)

    const help = await run('points:expire', ['--help'], dir)
    expect(help.status).toBe(0)
    expect(await balance()).toEqual({ points: 70, expiries: 0 })

    const real = await run('points:expire', [], dir)
    expect(real.status).toBe(0)
    expect(real.stdout).toContain('Expired 70 points on 1 card(s)')
    expect(await balance()).toEqual({ points: 0, expiries: 1 })
  }, 60_000)
})

describe('pnpm cards:import --dry-run', () => {
  it('validates the file and reports what would be created and updated, writing nothing', async () => {
    const dir = freshDir()
    writeFileSync(
      join(dir, 'first.csv'),
      `card_number,pin,name,points\n${cardNumber(10)},1234,A,10\n`,
    )
    const first = await run('cards:import', ['first.csv'], dir)
    expect(first.status).toBe(0)

    writeFileSync(
      join(dir, 'second.csv'),
      `card_number,pin,name,points\n${cardNumber(10)},1234,A renamed,10\n${cardNumber(11)},5678,B,20\n${cardNumber(12)},5678,C,0\n`,
    )
    const state = async () => {
      const db = await openDatabase({ databasePath: join(dir, 'db.sqlite') })
      try {
        return await db.execute<{ card_number: string; name: string; points: number }>(
          sql`SELECT card_number, name, points FROM point_cards ORDER BY card_number`,
        )
      } finally {
        await db.close()
      }
    }
    const before = await state()
    expect(before).toEqual([{ card_number: cardNumber(10), name: 'A', points: 10 }])

    const dry = await run('cards:import', ['--dry-run', 'second.csv'], dir)
    expect(await state()).toEqual(before)
    expect(dry.stderr).toBe('')
    expect(dry.status).toBe(0)
    expect(dry.stdout).toMatch(/^Dry run: checked 3 rows/)
    expect(dry.stdout).toMatch(/2 created/)
    expect(dry.stdout).toMatch(/1 updated/)
    expect(dry.stdout).toMatch(/nothing was written/)

    // A bad file: the same report as a real import, exit 1, nothing written.
    writeFileSync(
      join(dir, 'bad.csv'),
      `card_number,pin,name,points\n${cardNumber(13)},1234,D,1\n${cardNumber(14)},12,E,1\n`,
    )
    const bad = await run('cards:import', ['bad.csv', '--dry-run'], dir)
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/line 3: pin must be 4 digits/)
    expect(await state()).toEqual(before)

    // The same file without --dry-run writes what the dry run announced.
    const real = await run('cards:import', ['second.csv'], dir)
    expect(real.status).toBe(0)
    expect(real.stdout).toMatch(/^Imported 3 rows in /)
    expect(await state()).toEqual([
      { card_number: cardNumber(10), name: 'A renamed', points: 10 },
      { card_number: cardNumber(11), name: 'B', points: 20 },
      { card_number: cardNumber(12), name: 'C', points: 0 },
    ])
  }, 60_000)

  it('says "1 row" and "N rows"', async () => {
    const dir = freshDir()
    writeFileSync(join(dir, 'one.csv'), `card_number,pin,name,points\n${cardNumber(20)},1234,A,1\n`)
    writeFileSync(
      join(dir, 'two.csv'),
      `card_number,pin,name,points\n${cardNumber(21)},1234,A,1\n${cardNumber(22)},1234,B,1\n`,
    )
    const one = await run('cards:import', ['one.csv'], dir)
    expect(one.stdout).toMatch(/^Imported 1 row in \d+\.\ds: 1 created/)
    const oneDry = await run('cards:import', ['--dry-run', 'one.csv'], dir)
    expect(oneDry.stdout).toMatch(/^Dry run: checked 1 row in /)
    const two = await run('cards:import', ['two.csv'], dir)
    expect(two.stdout).toMatch(/^Imported 2 rows in \d+\.\ds: 2 created/)
  }, 30_000)

  it('takes exactly one file', async () => {
    const dir = freshDir()
    const none = await run('cards:import', ['--dry-run'], dir)
    expect(none.status).toBe(2)
    expect(none.stderr).toMatch(/Usage: pnpm cards:import/)
    const two = await run('cards:import', ['a.csv', 'b.csv'], dir)
    expect(two.status).toBe(2)
    expect(two.stderr).toMatch(/one file/)
    expect(readdirSync(dir)).toEqual([])
  }, 30_000)
})

describe('pnpm richmenu:sync --dry-run', () => {
  const dir = freshDir()
  const users = { linked: ['U'.padEnd(33, 'a'), 'U'.padEnd(33, 'b')], former: 'U'.padEnd(33, 'c') }

  beforeAll(async () => {
    const deployed = await run('richmenu:deploy', [], dir)
    expect(deployed.stderr).toBe('')
    expect(deployed.status).toBe(0)
    const databasePath = join(dir, 'db.sqlite')
    const db = await openDatabase({ databasePath })
    const secrets = loadSecrets(`${databasePath}.secrets.json`)
    const now = Date.now()
    const link = async (user: string, unlinkedAt: number | null) => {
      const card = await addCard(db, secrets)
      await db.execute(
        sql`INSERT INTO line_links (line_user_id, card_id, method, linked_at, unlinked_at)
          VALUES (${user}, ${card.cardId}, 'liff', ${now}, ${unlinkedAt})`,
      )
    }
    for (const u of users.linked) await link(u, null)
    await link(users.former, now)
    await db.close()
  }, 60_000)

  const bulkCalls = () => standIn.calls.filter((c) => c.path.startsWith('/v2/bot/richmenu/bulk/'))

  it('prints the counts it would change and calls nothing at LINE; without it the calls are made', async () => {
    const before = bulkCalls().length
    const dry = await run('richmenu:sync', ['--dry-run'], dir)
    expect(bulkCalls().length).toBe(before)
    expect(dry.stderr).toBe('')
    expect(dry.status).toBe(0)
    expect(dry.stdout).toMatch(
      /Dry run: would link the member menu to 2 user\(s\) and remove the per-user menu of 1; nothing was changed/,
    )

    const real = await run('richmenu:sync', [], dir)
    expect(real.status).toBe(0)
    expect(real.stdout).toContain('member menu linked to 2 user(s); per-user menu removed for 1')
    expect(bulkCalls().map((c) => c.path)).toEqual([
      ...bulkCalls()
        .slice(0, before)
        .map((c) => c.path),
      '/v2/bot/richmenu/bulk/link',
      '/v2/bot/richmenu/bulk/unlink',
    ])
  }, 60_000)
})

describe('pnpm automations:run', () => {
  it('--dry-run changes nothing; a run queues the due members once; a second run does nothing', async () => {
    const dir = freshDir()
    const databasePath = join(dir, 'db.sqlite')
    const db = await openDatabase({ databasePath })
    // A member born in this month (Asia/Tokyo), and the birthday automation on.
    const month = new Date(Date.now() + 9 * 3_600_000).toISOString().slice(5, 7)
    await seedMembers(db, 2, 'cli', { birthDate: `2000-${month}-15` })
    await automations.put(db, {
      kind: 'birthday',
      enabled: 1,
      messages: JSON.stringify([{ type: 'text', text: 'お誕生日おめでとうございます 🎂' }]),
      params: '{}',
      at: Date.now(),
    })
    await db.close()
    const state = async () => {
      const check = await openDatabase({ databasePath })
      try {
        const runs = await row<{ n: number }>(check, sql`SELECT count(*) AS n FROM automation_runs`)
        const rows = await row<{ n: number }>(
          check,
          sql`SELECT count(*) AS n FROM outbox WHERE kind = 'multicast'`,
        )
        return { runs: Number(runs?.n), multicasts: Number(rows?.n) }
      } finally {
        await check.close()
      }
    }
    const dry = await run('automations:run', ['--dry-run'], dir)
    expect(dry.stderr).toBe('')
    expect(dry.status).toBe(0)
    expect(dry.stdout).toContain('birthday: would queue 2 of 2 member(s) due')
    expect(dry.stdout).toContain('nothing was changed')
    expect(await state()).toEqual({ runs: 0, multicasts: 0 })
    const first = await run('automations:run', [], dir)
    expect(first.status).toBe(0)
    expect(first.stdout).toContain('birthday: queued 2 of 2 member(s) due')
    expect(first.stdout).toContain('winBack: not run (off)')
    expect(await state()).toEqual({ runs: 1, multicasts: 1 })
    const second = await run('automations:run', [], dir)
    expect(second.status).toBe(0)
    expect(second.stdout).toContain('birthday: not run (already ran today)')
    expect(await state()).toEqual({ runs: 1, multicasts: 1 })
  }, 60_000)
})
