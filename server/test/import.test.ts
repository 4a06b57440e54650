import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { luhnCheckDigit } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { openPg, postgresDatabase } from '../src/db/pg.ts'
import type { Database } from '../src/db/seam.ts'
import { openSqlite } from '../src/db/sqlite.ts'
import { PG_IMPORT_LOCK_KEY } from '../src/repositories/card-import.pg.ts'
import { loadSecrets } from '../src/secrets.ts'
import { importCards } from '../src/services/card-import.ts'
import { createDailyStats } from '../src/services/daily-stats.ts'
import { verifyPin } from '../src/services/pin.ts'
import { freshPgDatabase } from './support/pg-database.ts'
import { ON_POSTGRES, openTestDatabase } from './support.ts'

const STATS = createDailyStats('Asia/Tokyo')

const key = Buffer.alloc(32, 3)
const card = (n: number) => {
  const body = `35${String(n).padStart(13, '0')}`
  return body + luhnCheckDigit(body)
}

/** The dialect's bulk path: SQLite's statements on its connection, PostgreSQL's COPY. */
const dialect = ON_POSTGRES ? 'PostgreSQL' : 'SQLite'
const fresh = () => openTestDatabase()

const T0 = 1_700_000_000_000

function run(db: Database, csv: string, now = T0) {
  return importCards(db, key, Readable.from([csv]), now, STATS)
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

describe(`importCards on ${dialect}`, () => {
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

  it('leaves rank and birth date alone when the file has no such columns', async () => {
    const db = await fresh()
    await run(
      db,
      `card_number,pin,name,points,rank,birth_date\n${card(70)},1111,Gold,5,gold,1980-01-02\n${card(71)},2222,Silver,5,silver,1991-03-04\n`,
    )
    const before = await allCards(db)
    const withoutBoth = await run(
      db,
      `card_number,pin,name,points\n${card(70)},1111,Gold,5\n${card(71)},2222,Silver,5\n`,
      T0 + 1000,
    )
    expect(withoutBoth).toMatchObject({ rows: 2, created: 0, updated: 0, unchanged: 2, errors: [] })
    const withoutRank = await run(
      db,
      `birth_date,card_number,pin,name,points\n1980-01-02,${card(70)},1111,Gold,5\n`,
      T0 + 2000,
    )
    expect(withoutRank).toMatchObject({ created: 0, updated: 0, unchanged: 1, errors: [] })
    const withoutBirthDate = await run(
      db,
      `card_number,pin,name,points,rank\n${card(71)},2222,Silver,5,silver\n`,
      T0 + 3000,
    )
    expect(withoutBirthDate).toMatchObject({ created: 0, updated: 0, unchanged: 1, errors: [] })
    expect(await allCards(db)).toEqual(before)
    // another field changes: rank and birth date are still the card's own
    const renamed = await run(
      db,
      `card_number,pin,name,points\n${card(70)},1111,Gold renamed,5\n${card(71)},3333,Silver,5\n`,
      T0 + 4000,
    )
    expect(renamed).toMatchObject({
      updated: 2,
      updatedFields: { pin: 1, name: 1, rank: 0, birth_date: 0 },
      unchanged: 0,
    })
    expect(
      await db.execute(
        sql`SELECT name, rank, birth_date AS "birthDate", updated_at AS "updatedAt"
          FROM point_cards ORDER BY id`,
      ),
    ).toEqual([
      { name: 'Gold renamed', rank: 'gold', birthDate: '1980-01-02', updatedAt: T0 + 4000 },
      { name: 'Silver', rank: 'silver', birthDate: '1991-03-04', updatedAt: T0 + 4000 },
    ])
  })

  it('leaves rank and birth date alone where their cells are empty; a new card gets regular and none', async () => {
    const db = await fresh()
    await run(
      db,
      `card_number,pin,name,points,rank,birth_date\n${card(72)},1111,A,5,gold,1975-05-05\n${card(74)},1111,C,5,silver,1988-08-08\n`,
    )
    const res = await run(
      db,
      `card_number,pin,name,points,rank,birth_date\n${card(72)},1111,A,5,,\n${card(73)},2222,B,0,,\n${card(74)},1111,C renamed,5,,\n`,
      T0 + 1000,
    )
    expect(res).toMatchObject({ rows: 3, created: 1, updated: 1, unchanged: 1, errors: [] })
    expect(
      await db.execute(
        sql`SELECT name, rank, birth_date AS "birthDate", updated_at AS "updatedAt"
          FROM point_cards ORDER BY id`,
      ),
    ).toEqual([
      { name: 'A', rank: 'gold', birthDate: '1975-05-05', updatedAt: T0 },
      { name: 'C renamed', rank: 'silver', birthDate: '1988-08-08', updatedAt: T0 + 1000 },
      { name: 'B', rank: 'regular', birthDate: null, updatedAt: T0 + 1000 },
    ])
  })

  it('reports which fields it changed, and changes only those', async () => {
    const db = await fresh()
    const header = 'card_number,pin,name,points,rank,birth_date'
    await run(
      db,
      [
        header,
        ...[80, 81, 82, 83, 84].map((n) => `${card(n)},1111,N${n},5,regular,1990-01-01`),
      ].join('\n'),
    )
    const res = await run(
      db,
      [
        header,
        `${card(80)},1111,N80,5,regular,1990-01-01`, // the same
        `${card(81)},1111,Renamed,5,regular,1990-01-01`, // name
        `${card(82)},2222,N82,7,regular,1990-01-01`, // PIN (points differ: kept)
        `${card(83)},1111,N83,5,gold,2000-02-29`, // rank and birth date
        `${card(84)},1111,Also renamed,5,gold,`, // name and rank
        `${card(85)},3333,New,9,,`, // a new card
      ].join('\n'),
      T0 + 1000,
    )
    expect(res).toEqual({
      rows: 6,
      created: 1,
      updated: 4,
      updatedFields: { pin: 1, name: 2, rank: 2, birth_date: 1 },
      unchanged: 1,
      pointsIgnored: 1,
      errors: [],
    })
    const rows = await db.execute<{
      cardNumber: string
      pinHash: string
      name: string
      rank: string
      birthDate: string | null
      points: number
      updatedAt: number
    }>(
      sql`SELECT card_number AS "cardNumber", pin_hash AS "pinHash", name, rank,
          birth_date AS "birthDate", points, updated_at AS "updatedAt"
        FROM point_cards ORDER BY id`,
    )
    expect(rows.map((r) => [r.name, r.rank, r.birthDate, r.points, r.updatedAt])).toEqual([
      ['N80', 'regular', '1990-01-01', 5, T0],
      ['Renamed', 'regular', '1990-01-01', 5, T0 + 1000],
      ['N82', 'regular', '1990-01-01', 5, T0 + 1000],
      ['N83', 'gold', '2000-02-29', 5, T0 + 1000],
      ['Also renamed', 'gold', '1990-01-01', 5, T0 + 1000],
      ['New', 'regular', null, 9, T0 + 1000],
    ])
    expect(verifyPin(key, card(82), '2222', rows[2]?.pinHash ?? '')).toBe(true)
    expect(verifyPin(key, card(81), '1111', rows[1]?.pinHash ?? '')).toBe(true)
    // one opening balance per created card, none for the updated ones
    expect(await count(db, 'ledger')).toBe(6)
  })

  it('keeps names with tabs, backslashes, line breaks and \\N exactly', async () => {
    const db = await fresh()
    const names = [
      'Tab\there',
      'back\\slash \\N \\. \\t',
      'CR\rLF\nand CRLF\r\nend',
      '\\',
      'ends with a backslash\\',
      '\\.',
    ]
    const csv = [
      'card_number,pin,name,points',
      ...names.map((name, i) => `${card(95 + i)},1234,"${name}",${i}`),
    ].join('\n')
    expect(await run(db, csv)).toMatchObject({ created: names.length, errors: [] })
    expect(
      (await db.execute<{ name: string }>(sql`SELECT name FROM point_cards ORDER BY id`)).map(
        (r) => r.name,
      ),
    ).toEqual(names)
    expect(await run(db, csv)).toMatchObject({ unchanged: names.length, updated: 0 })
  })

  it('refuses a name with a NUL character, by line', async () => {
    const db = await fresh()
    const res = await run(
      db,
      `card_number,pin,name,points\n${card(110)},1234,A,1\n${card(111)},1234,"B\0C",1\n`,
    )
    expect(res.errors).toEqual([{ line: 3, message: 'name must not contain a NUL character' }])
    expect(await count(db, 'point_cards')).toBe(0)
  })

  it('refuses a card number twice in one file, also one that exists already', async () => {
    const db = await fresh()
    await run(db, `card_number,pin,name,points\n${card(90)},1234,Old,1\n`)
    const before = await allCards(db)
    const res = await run(
      db,
      [
        'card_number,pin,name,points',
        `${card(90)},1234,First,1`,
        `${card(90)},1234,Second,1`,
        `${card(91)},1234,New,1`,
        `${card(92)},1234,Other,1`,
        `${card(91)},1234,New again,1`,
      ].join('\n'),
      T0 + 1000,
    )
    expect(res.errors).toEqual([
      { line: 3, message: 'card_number appears twice in this file' },
      { line: 6, message: 'card_number appears twice in this file' },
    ])
    expect(res).toMatchObject({ created: 0, updated: 0, unchanged: 0 })
    expect(await allCards(db)).toEqual(before)
    expect(await count(db, 'ledger')).toBe(1)
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
      const res = await importCards(
        await fresh(),
        key,
        Readable.from(chunks),
        1_700_000_000_000,
        STATS,
      )
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

  it('streams a large generated file in one transaction; the same file again changes nothing', async () => {
    const db = await fresh()
    const total = 50_000
    const res = await importCards(db, key, Readable.from(bigFile(total)), 1, STATS)
    expect(res).toMatchObject({ rows: total, created: total, errors: [] })
    expect(await count(db, 'point_cards')).toBe(total)
    const [sums] = await db.execute<{ cards: number; ledger: number }>(
      sql`SELECT (SELECT CAST(sum(points) AS BIGINT) FROM point_cards) AS cards,
        (SELECT CAST(sum(points) AS BIGINT) FROM ledger) AS ledger`,
    )
    expect(Number(sums?.cards)).toBeGreaterThan(0)
    expect(Number(sums?.cards)).toBe(Number(sums?.ledger))
    const ledgerRows = await count(db, 'ledger')
    const again = await importCards(db, key, Readable.from(bigFile(total)), 2, STATS)
    expect(again).toMatchObject({ rows: total, created: 0, updated: 0, unchanged: total })
    expect(await count(db, 'ledger')).toBe(ledgerRows)
  }, 60_000)

  it('fails on a read error part-way, keeps nothing, and the database takes the next import', async () => {
    const db = await fresh()
    async function* broken() {
      const rows = bigFile(5_000)
      for await (const chunk of rows) yield chunk
      throw new Error('the disk went away')
    }
    await expect(importCards(db, key, Readable.from(broken()), 1, STATS)).rejects.toThrow(
      'the disk went away',
    )
    expect(await count(db, 'point_cards')).toBe(0)
    expect(await run(db, `card_number,pin,name,points\n${card(130)},1234,A,1\n`)).toMatchObject({
      created: 1,
      errors: [],
    })
    expect(await count(db, 'ledger')).toBe(1)
  })

  it('keeps nothing of a large file whose last row is bad', async () => {
    const db = await fresh()
    const total = 20_000
    const bad = `${card(99_999)},12,Short pin,1,regular\n`
    const res = await importCards(db, key, Readable.from(bigFile(total, bad)), 1, STATS)
    expect(res.errors).toEqual([{ line: total + 2, message: 'pin must be 4 digits' }])
    expect(res).toMatchObject({ rows: total + 1, created: 0 })
    expect(await count(db, 'point_cards')).toBe(0)
    expect(await count(db, 'ledger')).toBe(0)
  }, 60_000)
})

// PostgreSQL only: there several instances share the database, and two imports may overlap.
if (ON_POSTGRES) {
  describe("importCards on PostgreSQL, beyond the pool's statement limits", () => {
    it("imports a file that arrives more slowly than a request's statement may take", async () => {
      await fresh() // the run's int8 parser, set when a database opens
      const target = await freshPgDatabase()
      // A pool whose statements may take 1 s (the server's take 30 s): the import's COPY lasts
      // as long as the file takes to arrive, here over 2 s.
      const pool = new pg.Pool({
        connectionString: target.url,
        statement_timeout: 1_000,
        query_timeout: 1_500,
      })
      const db = postgresDatabase(pool, () => pool.end())
      afterAll(async () => {
        await db.close()
        await target.drop()
      })
      async function* slowly() {
        yield `card_number,pin,name,points\n${card(140)},1234,A,1\n`
        await new Promise((r) => setTimeout(r, 2_500)) // a file on a slow disk or network
        yield `${card(141)},1234,B,1\n`
      }
      expect(await importCards(db, key, Readable.from(slowly()), T0, STATS)).toMatchObject({
        created: 2,
        errors: [],
      })
      expect(await count(db, 'point_cards')).toBe(2)
    })
  })

  describe('importCards on PostgreSQL, two at once', () => {
    it("runs the second import once the first has committed; it then finds the first one's cards", async () => {
      const db = await fresh()
      /** Holders (granted) or waiters (not granted) of this database's import lock. */
      const importLocks = async (granted: boolean) => {
        const [row] = await db.execute<{ n: number }>(
          sql`SELECT count(*) AS n FROM pg_locks
            WHERE locktype = 'advisory' AND granted = ${granted}
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid = ${Math.floor(PG_IMPORT_LOCK_KEY / 2 ** 32)}
              AND objid = ${PG_IMPORT_LOCK_KEY % 2 ** 32}`,
        )
        return Number(row?.n)
      }
      const firstFile = new PassThrough()
      firstFile.write(`card_number,pin,name,points\n${card(120)},1234,A,1\n${card(121)},1234,B,1\n`)
      const first = importCards(db, key, firstFile, T0, STATS)
      await until(async () => (await importLocks(true)) === 1)
      let secondDone = false
      const second = importCards(
        db,
        key,
        Readable.from([
          `card_number,pin,name,points\n${card(121)},1234,B,1\n${card(122)},1234,C,1\n`,
        ]),
        T0 + 1000,
        STATS,
      ).finally(() => {
        secondDone = true
      })
      await until(async () => (await importLocks(false)) === 1)
      expect(secondDone).toBe(false)
      firstFile.end()
      expect(await first).toMatchObject({ created: 2, unchanged: 0, errors: [] })
      expect(await second).toMatchObject({ created: 1, unchanged: 1, errors: [] })
      expect(await count(db, 'point_cards')).toBe(3)
    })
  })
}

/** Polls `condition` until it holds; fails after 10 s. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s')
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** A generated file of `total` good rows (in chunks of 1,000), then `last`. */
async function* bigFile(total: number, last = '') {
  yield 'card_number,pin,name,points,rank\n'
  for (let i = 0; i < total; i += 1000) {
    let chunk = ''
    for (let j = i; j < i + 1000; j++)
      chunk += `${card(100_000 + j)},${String(j % 10_000).padStart(4, '0')},会員${j},${j % 500},regular\n`
    yield chunk
  }
  if (last) yield last
}

describe(`pnpm cards:import (the command) on ${dialect}`, () => {
  const root = resolve(import.meta.dirname, '../..')

  /** The command's settings for a new database of this run's dialect, and a way to open it. */
  async function target(dir: string) {
    if (!ON_POSTGRES) {
      const path = join(dir, 'db.sqlite')
      return {
        env: { DATABASE_PATH: path },
        pinKey: () => loadSecrets(join(dir, 'db.sqlite.secrets.json')).pinHashKey,
        open: async (): Promise<Database> => openSqlite(path),
      }
    }
    const db = await freshPgDatabase()
    afterAll(() => db.drop())
    const pinSecret = 'ab'.repeat(32)
    return {
      env: { DATABASE_URL: db.url, PIN_HASH_SECRET: pinSecret, QR_TOKEN_SECRET: 'cd'.repeat(32) },
      pinKey: () => Buffer.from(pinSecret, 'hex'),
      open: (): Promise<Database> => openPg(db.url),
    }
  }

  it('imports a file and says what changed (a dry run says what would change and writes nothing); a bad file exits 1 with line numbers and imports nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-import-'))
    const to = await target(dir)
    const env = { ...process.env, ...to.env, INIT_CWD: dir }
    writeFileSync(join(dir, 'good.csv'), `card_number,pin,name,points\n${card(900)},1234,A,10\n`)
    writeFileSync(
      join(dir, 'change.csv'),
      `card_number,pin,name,points,rank\n${card(900)},1234,A,99,gold\n${card(903)},1234,D,10,\n`,
    )
    writeFileSync(
      join(dir, 'bad.csv'),
      `card_number,pin,name,points\n${card(901)},1234,B,10\n${card(902)},12,C,10\n`,
    )
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'server/src/cli/cards-import.ts', ...args], {
        cwd: root,
        env,
        encoding: 'utf8',
      })
    const first = cli('good.csv')
    expect(first.stderr).toBe('')
    expect(first.status).toBe(0)
    expect(first.stdout).toMatch(
      /^Imported 1 row in [\d.]+s: 1 created, 0 updated, 0 unchanged\.\n$/,
    )
    expect(cli('good.csv').stdout).toMatch(
      /^Imported 1 row in [\d.]+s: 0 created, 0 updated, 1 unchanged\.\n$/,
    )
    const ranks = async () => {
      const db = await to.open()
      try {
        return await db.execute<{ rank: string }>(sql`SELECT rank FROM point_cards ORDER BY id`)
      } finally {
        await db.close()
      }
    }
    const dry = cli('--dry-run', 'change.csv')
    expect(dry.stderr).toBe('')
    expect(dry.stdout).toMatch(
      /^Dry run: checked 2 rows in [\d.]+s: would be 1 created, 1 updated \(rank 1\), 0 unchanged; nothing was written\.\n {2}1 existing card has other points in the file; its balance would be kept/,
    )
    expect(await ranks()).toEqual([{ rank: 'regular' }])
    const change = cli('change.csv')
    expect(change.status).toBe(0)
    expect(change.stdout).toMatch(
      /^Imported 2 rows in [\d.]+s: 1 created, 1 updated \(rank 1\), 0 unchanged\.\n {2}1 existing card has other points in the file; its balance was kept/,
    )
    const bad = cli('bad.csv')
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/line 3: pin must be 4 digits/)
    expect(bad.stderr).not.toContain(card(902))
    const db = await to.open()
    const cards = await db.execute<{ cardNumber: string; rank: string; pinHash: string }>(
      sql`SELECT card_number AS "cardNumber", rank, pin_hash AS "pinHash"
        FROM point_cards ORDER BY id`,
    )
    await db.close()
    expect(cards.map((c) => [c.cardNumber, c.rank])).toEqual([
      [card(900), 'gold'],
      [card(903), 'regular'],
    ])
    // the PIN key is the configured one (SQLite: a file beside the database, not in it)
    expect(verifyPin(to.pinKey(), card(900), '1234', cards[0]?.pinHash ?? '')).toBe(true)
    rmSync(dir, { recursive: true, force: true })
  }, 90_000)
})
