import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { luhnCheckDigit } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { openPg } from '../src/db/pg.ts'
import type { Database } from '../src/db/seam.ts'
import { openSqlite } from '../src/db/sqlite.ts'
import { freshPgDatabase } from './support/pg-database.ts'
import { ON_POSTGRES } from './support.ts'

// Issue 13 §9 (decision 039) through the command itself: the file is read as bytes, so the
// UTF-8 check sees them (a stream decoded as text would have replaced them with U+FFFD).

const dialect = ON_POSTGRES ? 'PostgreSQL' : 'SQLite'
const root = resolve(import.meta.dirname, '../..')
const card = (n: number) => {
  const body = `38${String(n).padStart(13, '0')}`
  return body + luhnCheckDigit(body)
}

async function target(dir: string) {
  if (!ON_POSTGRES) {
    const path = join(dir, 'db.sqlite')
    return { env: { DATABASE_PATH: path }, open: async (): Promise<Database> => openSqlite(path) }
  }
  const db = await freshPgDatabase()
  afterAll(() => db.drop())
  return {
    env: {
      DATABASE_URL: db.url,
      PIN_HASH_SECRET: 'ab'.repeat(32),
      QR_TOKEN_SECRET: 'cd'.repeat(32),
    },
    open: (): Promise<Database> => openPg(db.url),
  }
}

describe(`pnpm cards:import refuses bad input by its line on ${dialect}`, () => {
  it('malformed UTF-8 and a record over 4 KiB: exit 1, the line, nothing imported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-import-input-'))
    const to = await target(dir)
    const env = { ...process.env, ...to.env, INIT_CWD: dir }
    writeFileSync(
      join(dir, 'sjis.csv'),
      Buffer.concat([
        Buffer.from(`card_number,pin,name,points\n${card(1)},1234,A,1\n${card(2)},1234,`),
        Buffer.from([0x8e, 0x52, 0x93, 0x63]), // "山田" saved as Shift_JIS
        Buffer.from(',2\n'),
      ]),
    )
    writeFileSync(
      join(dir, 'long.csv'),
      `card_number,pin,name,points\n${card(3)},1234,${'x'.repeat(5000)},1\n${card(4)},1234,D,1\n`,
    )
    const cli = (file: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'server/src/cli/cards-import.ts', file], {
        cwd: root,
        env,
        encoding: 'utf8',
      })
    const sjis = cli('sjis.csv')
    expect(sjis.status).toBe(1)
    expect(sjis.stderr).toContain('line 3: the file is not valid UTF-8 here (save it as UTF-8)')
    const long = cli('long.csv')
    expect(long.status).toBe(1)
    expect(long.stderr).toContain('line 2: the record is longer than 4096 bytes')
    const db = await to.open()
    try {
      const rows = await db.execute<{ n: number }>(
        sql`SELECT CAST(count(*) AS INTEGER) AS n FROM point_cards`,
      )
      expect(Number(rows[0]?.n)).toBe(0)
    } finally {
      await db.close()
    }
    rmSync(dir, { recursive: true, force: true })
  }, 90_000)
})
