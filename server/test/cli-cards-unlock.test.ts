import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../src/db/client.ts'
import { loadSecrets } from '../src/secrets.ts'
import { createCardLocks } from '../src/services/card-locks.ts'
import { createLinkLimits } from '../src/services/link-limits.ts'
import { cardKey } from '../src/services/pin.ts'
import { addCard } from './support.ts'

/** `pnpm cards:unlock` as a process on a SQLite file (the command is the same on PostgreSQL). */
const root = resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'mc-cards-unlock-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const databasePath = join(dir, 'db.sqlite')

function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'server/src/cli/cards-unlock.ts', ...args],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          INIT_CWD: dir,
          DATABASE_PATH: databasePath,
          LOG_LEVEL: 'silent',
        },
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    child.on('error', fail)
    child.on('close', (status) => done({ status, stdout, stderr }))
  })
}

describe('pnpm cards:unlock', () => {
  it('clears a locked card, prints it masked, and refuses bad input', async () => {
    const db = await openDatabase({ databasePath })
    const secrets = loadSecrets(`${databasePath}.secrets.json`)
    const card = await addCard(db, secrets)
    const key = cardKey(secrets.pinHashKey, card.cardNumber)
    const limits = createLinkLimits(db)
    const now = Date.now()
    for (let i = 0; i < 3; i++) await limits.attempt(`U-stranger-${i}`, key, now, () => false)
    const locks = createCardLocks({ db, clock: { now: () => Date.now() }, secrets })
    expect(await locks.lockOf(card.cardId)).not.toBeNull()
    await db.close()

    const spaced = card.cardNumber.replace(/(\d{4})(?=\d)/g, '$1 ')
    const done = await run(['--card', spaced])
    expect(done.stderr).toBe('')
    expect(done.status).toBe(0)
    expect(done.stdout).toContain(
      `Cleared the lock of card ************${card.cardNumber.slice(-4)}`,
    )
    expect(done.stdout).toContain('3 wrong PIN(s) no longer count')
    expect(done.stdout).not.toContain(card.cardNumber)

    const check = await openDatabase({ databasePath })
    try {
      const after = createCardLocks({ db: check, clock: { now: () => Date.now() }, secrets })
      expect(await after.lockOf(card.cardId)).toBeNull()
      // Audit-logged as the command's act.
      const [entry] = await check.execute<{ actor: string; action: string }>(
        sql`SELECT actor, action FROM audit_log WHERE target = ${String(card.cardId)}`,
      )
      expect(entry).toEqual({ actor: 'cli', action: 'member.clearLock' })
    } finally {
      await check.close()
    }

    const again = await run(['--card', card.cardNumber])
    expect(again.status).toBe(0)
    expect(again.stdout).toContain('was not locked; 0 earlier wrong PIN(s) no longer count')

    const help = await run(['--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/^Usage: pnpm cards:unlock --card <number>/)
    const missing = await run([])
    expect(missing.status).toBe(2)
    expect(missing.stderr).toContain('--card <number> is required')
    const bad = await run(['--card', '1234'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('A card number has 16 digits.')
    const unknown = await run(['--card', '4111111111111111'])
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toContain('no point card has this number')
  }, 90_000)
})
