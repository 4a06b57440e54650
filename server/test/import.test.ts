import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { luhnCheckDigit } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import type { Database } from '../src/db/seam.ts'
import { openSqlite, type SqliteDatabase } from '../src/db/sqlite.ts'
import { loadSecrets } from '../src/secrets.ts'
import { importCards } from '../src/services/card-import.ts'
import { verifyPin } from '../src/services/pin.ts'
import { ON_POSTGRES, openTestDatabase } from './support.ts'

const key = Buffer.alloc(32, 3)
const card = (n: number) => {
  const body = `35${String(n).padStart(13, '0')}`
  return body + luhnCheckDigit(body)
}

/**
 * The ways an import writes: on SQLite its synchronous fast path, and the seam alone (the
 * same database with its SQLite connection hidden: the path of the other dialects); on
 * PostgreSQL (`TEST_DATABASE=postgres`) the seam.
 */
const paths: (readonly [string, () => Promise<Database>])[] = ON_POSTGRES
  ? [['PostgreSQL', () => openTestDatabase()]]
  : [
      ['the SQLite fast path', () => openTestDatabase()],
      [
        'the seam alone',
        async () => {
          const { sqlite: _hidden, ...seam } = (await openTestDatabase()) as SqliteDatabase
          return seam
        },
      ],
    ]

function run(db: Database, csv: string) {
  return importCards(db, key, Readable.from([csv]), 1_700_000_000_000)
}

async function count(db: Database, table: 'point_cards' | 'ledger') {
  const [row] = await db.execute<{ n: number }>(
    sql`SELECT CAST(count(*) AS INTEGER) AS n FROM ${sql.identifier(table)}`,
  )
  return Number(row?.n)
}

/** Every card, as the tests compare them. */
function allCards(db: Database) {
  return db.execute(
    sql`SELECT id, card_number AS "cardNumber", pin_hash AS "pinHash", name, rank,
        birth_date AS "birthDate", points, source, last_activity_at AS "lastActivityAt",
        created_at AS "createdAt", updated_at AS "updatedAt"
      FROM point_cards ORDER BY id`,
  )
}

describe.each(paths)('importCards through %s', (_path, fresh) => {
  it('imports rows in any column order, with a BOM, quoted fields, spaces and hyphens in numbers', async () => {
    const db = await fresh()
    const c1 = card(1)
    const c2 = card(2)
    const csv = `\uFEFFname,points,card_number,pin,rank,birth_date\n"Yamada, Hanako",120,${c1.replace(/(\d{4})/g, '$1 ')},0123,gold,1990-04-01\n"佐藤 ""一郎""",0,${c2.slice(0, 8)}-${c2.slice(8)},9876,,\n`
    const result = await run(db, csv)
    expect(result).toMatchObject({ rows: 2, created: 2, errors: [] })
    const rows = await db.execute<{
      cardNumber: string
      name: string
      rank: string
      birthDate: string | null
      points: number
      pinHash: string
    }>(
      sql`SELECT card_number AS "cardNumber", name, rank, birth_date AS "birthDate", points,
          pin_hash AS "pinHash"
        FROM point_cards ORDER BY id`,
    )
    expect(rows.map((r) => [r.cardNumber, r.name, r.rank, r.birthDate, r.points])).toEqual([
      [c1, 'Yamada, Hanako', 'gold', '1990-04-01', 120],
      [c2, '佐藤 "一郎"', 'regular', null, 0],
    ])
    // the PIN is stored only as a keyed hash
    expect(rows[0]?.pinHash).not.toContain('0123')
    expect(verifyPin(key, c1, '0123', rows[0]?.pinHash ?? '')).toBe(true)
    // the initial points are a ledger entry, so balance == sum(ledger)
    expect(
      await db.execute(sql`SELECT type, points, balance_after AS "balanceAfter" FROM ledger`),
    ).toEqual([{ type: 'import', points: 120, balanceAfter: 120 }])
  })

  it('is idempotent: the same file twice changes nothing', async () => {
    const db = await fresh()
    const csv = `card_number,pin,name,points\n${card(10)},1111,A,5\n${card(11)},2222,B,6\n`
    await run(db, csv)
    const before = await allCards(db)
    const second = await run(db, csv)
    expect(second).toMatchObject({
      rows: 2,
      created: 0,
      updated: 0,
      unchanged: 2,
      pointsIgnored: 0,
    })
    expect(await allCards(db)).toEqual(before)
    expect(await count(db, 'ledger')).toBe(2)
  })

  it('updates name, rank or PIN of an existing card but never overwrites its balance', async () => {
    const db = await fresh()
    await run(db, `card_number,pin,name,points\n${card(20)},1111,Old,5\n`)
    const res = await run(db, `card_number,pin,name,points,rank\n${card(20)},2222,New,999,silver\n`)
    expect(res).toMatchObject({ updated: 1, pointsIgnored: 1 })
    expect(await db.execute(sql`SELECT name, rank, points FROM point_cards`)).toEqual([
      { name: 'New', rank: 'silver', points: 5 },
    ])
  })

  it('reports every bad row by line number and imports nothing of the file', async () => {
    const db = await fresh()
    const bad = `${card(31).slice(0, 15)}${(Number(card(31).at(-1)) + 1) % 10}`
    const csv = [
      'card_number,pin,name,points,birth_date',
      `${card(30)},1234,Good,1,`,
      `${bad},1234,Bad check digit,1,`,
      `${card(32)},12a4,Bad pin,1,`,
      `${card(33)},1234,Negative,-3,`,
      `${card(34)},1234,Bad date,1,1990-02-30`,
      `${card(30)},1234,Duplicate,1,`,
      `${card(35)},1234,,1,`,
    ].join('\n')
    const res = await run(db, csv)
    expect(res.errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8])
    expect(res.errors[0]?.message).toMatch(/check digit/)
    expect(res.errors[1]?.message).toMatch(/pin/)
    expect(res.errors[2]?.message).toMatch(/points/)
    expect(res.errors[3]?.message).toMatch(/birth_date/)
    expect(res.errors[4]?.message).toMatch(/twice/)
    expect(res.errors[5]?.message).toMatch(/name/)
    expect(res.created).toBe(0)
    expect(await count(db, 'point_cards')).toBe(0)
    expect(await count(db, 'ledger')).toBe(0)
  })

  it('counts lines across empty lines and quoted names with line breaks, however the file arrives', async () => {
    const csv = [
      'card_number,pin,name,points',
      `${card(60)},1234,"Two`,
      `lines",1`,
      '',
      `${card(61)},1234,"Say ""hi""",1`,
      '',
      '',
      `${card(62)},12,Short pin,1`,
      `${card(63)},1234,"Three`,
      'more',
      `lines",x`,
    ].join('\n')
    for (const size of [1, 7, 64, csv.length]) {
      const chunks: string[] = []
      for (let i = 0; i < csv.length; i += size) chunks.push(csv.slice(i, i + size))
      const res = await importCards(await fresh(), key, Readable.from(chunks), 1_700_000_000_000)
      // A record is reported at its last line.
      expect(res.errors.map((e) => e.line)).toEqual([8, 11])
      expect(res.rows).toBe(4)
    }
  })

  it('refuses a file without the required header, or with an unknown column', async () => {
    const db = await fresh()
    expect((await run(db, `card,pin,name,points\n${card(40)},1234,A,1\n`)).errors[0]).toMatchObject(
      { line: 1 },
    )
    expect((await run(db, `card_number,pin,name,points,email\n`)).errors[0]?.message).toMatch(
      /email/,
    )
    expect((await run(db, '')).errors[0]?.message).toMatch(/empty/)
    expect(await count(db, 'point_cards')).toBe(0)
  })

  it('reports a malformed CSV line (unclosed quote, wrong column count) with its line', async () => {
    const db = await fresh()
    const res = await run(
      db,
      `card_number,pin,name,points\n${card(50)},1234,A,1\n${card(51)},1234,B\n`,
    )
    expect(res.errors[0]?.line).toBe(3)
    expect(await count(db, 'point_cards')).toBe(0)
    const quote = await run(db, `card_number,pin,name,points\n${card(52)},1234,"A,1\n`)
    expect(quote.errors.length).toBe(1)
    expect(await count(db, 'point_cards')).toBe(0)
  })

  it('streams a large generated file in one transaction', async () => {
    const db = await fresh()
    // The seam writes row by row on PostgreSQL: a smaller file keeps the test quick there.
    const total = ON_POSTGRES ? 5_000 : 50_000
    async function* rows() {
      yield 'card_number,pin,name,points,rank\n'
      for (let i = 0; i < total; i += 1000) {
        let chunk = ''
        for (let j = i; j < i + 1000; j++)
          chunk += `${card(100_000 + j)},${String(j % 10_000).padStart(4, '0')},会員${j},${j % 500},regular\n`
        yield chunk
      }
    }
    const res = await importCards(db, key, Readable.from(rows()), 1)
    expect(res).toMatchObject({ rows: total, created: total, errors: [] })
    expect(await count(db, 'point_cards')).toBe(total)
    const [sums] = await db.execute<{ cards: number; ledger: number }>(
      sql`SELECT (SELECT CAST(sum(points) AS BIGINT) FROM point_cards) AS cards,
        (SELECT CAST(sum(points) AS BIGINT) FROM ledger) AS ledger`,
    )
    expect(Number(sums?.cards)).toBeGreaterThan(0)
    expect(Number(sums?.cards)).toBe(Number(sums?.ledger))
  }, 60_000)
})

describe('pnpm cards:import (the command)', () => {
  const root = resolve(import.meta.dirname, '../..')
  it('imports a file, then reports nothing new; a bad file exits 1 with line numbers and imports nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-import-'))
    const env = { ...process.env, DATABASE_PATH: join(dir, 'db.sqlite'), INIT_CWD: dir }
    writeFileSync(join(dir, 'good.csv'), `card_number,pin,name,points\n${card(900)},1234,A,10\n`)
    writeFileSync(
      join(dir, 'bad.csv'),
      `card_number,pin,name,points\n${card(901)},1234,B,10\n${card(902)},12,C,10\n`,
    )
    const cli = (file: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'server/src/cli/cards-import.ts', file], {
        cwd: root,
        env,
        encoding: 'utf8',
      })
    const first = cli('good.csv')
    expect(first.status).toBe(0)
    expect(first.stdout).toMatch(/1 created/)
    expect(cli('good.csv').stdout).toMatch(/0 created, 0 updated, 1 unchanged/)
    const bad = cli('bad.csv')
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/line 3: pin must be 4 digits/)
    expect(bad.stderr).not.toContain(card(902))
    const db = openSqlite(join(dir, 'db.sqlite'))
    expect(await count(db, 'point_cards')).toBe(1)
    await db.close()
    // the PIN key lives beside the database, not in it
    expect(loadSecrets(join(dir, 'db.sqlite.secrets.json')).pinHashKey).toHaveLength(32)
    rmSync(dir, { recursive: true, force: true })
  }, 90_000)
})
