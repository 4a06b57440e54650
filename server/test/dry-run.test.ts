import { Readable } from 'node:stream'
import { luhnCheckDigit } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { dryRunDatabase } from '../src/cli/dry-run.ts'
import { fakeClock } from '../src/clock.ts'
import { loadConfig } from '../src/config.ts'
import type { Database } from '../src/db/seam.ts'
import type { SqliteDatabase } from '../src/db/sqlite.ts'
import { memoryLogger } from '../src/logger.ts'
import { loadSecrets } from '../src/secrets.ts'
import { importCards } from '../src/services/card-import.ts'
import { runPointsHousekeeping } from '../src/services/points-jobs.ts'
import { addCard, ON_POSTGRES, openTestDatabase } from './support.ts'

/**
 * The database of the commands' `--dry-run` (cli/dry-run.ts): the production code runs on it
 * and answers as usual, and nothing it writes is kept. On SQLite through the database and
 * through the seam alone (the import needs the connection: the database only); on PostgreSQL
 * (`TEST_DATABASE=postgres`) through the seam, the import through its COPY path.
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

const key = Buffer.alloc(32, 5)
const DAY = 24 * 60 * 60_000
const card = (n: number) => {
  const body = `36${String(n).padStart(13, '0')}`
  return body + luhnCheckDigit(body)
}

/** Everything a dry run could touch, as stored. */
async function snapshot(db: Database) {
  return {
    cards: await db.execute(
      sql`SELECT id, card_number, name, points, updated_at FROM point_cards ORDER BY id`,
    ),
    ledger: await db.execute(sql`SELECT id, card_id, type, points FROM ledger ORDER BY id`),
    keys: await db.execute(sql`SELECT scope, ${sql.identifier('key')} FROM idempotency_keys`),
  }
}

describe(`a dry run (${ON_POSTGRES ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('imports a file with the real counts and keeps nothing of it', async () => {
    const db = await openTestDatabase()
    const now = 1_700_000_000_000
    const first = `card_number,pin,name,points\n${card(1)},1234,A,10\n${card(2)},1234,B,0\n`
    expect(await importCards(db, key, Readable.from([first]), now)).toMatchObject({ created: 2 })
    const before = await snapshot(db)

    const second = `card_number,pin,name,points\n${card(1)},1234,A2,10\n${card(2)},1234,B,0\n${card(3)},4321,C,30\n`
    const dry = await importCards(dryRunDatabase(db), key, Readable.from([second]), now + 1)
    expect(dry).toEqual({
      rows: 3,
      created: 1,
      updated: 1,
      updatedFields: { pin: 0, name: 1, rank: 0, birth_date: 0 },
      unchanged: 1,
      pointsIgnored: 0,
      errors: [],
    })
    expect(await snapshot(db)).toEqual(before)

    const bad = `card_number,pin,name,points\n${card(4)},1234,D,1\n${card(5)},12,E,1\n`
    const refused = await importCards(dryRunDatabase(db), key, Readable.from([bad]), now + 2)
    expect(refused.errors).toEqual([{ line: 3, message: 'pin must be 4 digits' }])
    expect(await snapshot(db)).toEqual(before)

    // The real import does what the dry run announced.
    const real = await importCards(db, key, Readable.from([second]), now + 3)
    expect(real).toEqual(dry)
    expect((await snapshot(db)).cards).toHaveLength(3)
  })
})

describe.each(paths)('a dry run (%s)', (_name, open) => {
  it('runs the points housekeeping with the real counts and changes nothing', async () => {
    const db = await open()
    const secrets = loadSecrets(':memory:')
    const clock = fakeClock()
    const stale = await addCard(db, secrets, { points: 70 })
    await addCard(db, secrets, { points: 5 })
    await db.execute(
      sql`UPDATE point_cards SET last_activity_at = ${clock.now() - 400 * DAY}
        WHERE id = ${stale.cardId}`,
    )
    await db.execute(
      sql`INSERT INTO idempotency_keys (scope, ${sql.identifier('key')}, request_hash, state, created_at)
        VALUES ('staff:x', 'old-key', 'h', 'done', ${clock.now() - 30 * DAY})`,
    )
    const before = await snapshot(db)
    const housekeeping = (on: Database) =>
      runPointsHousekeeping({
        db: on,
        clock,
        secrets,
        rules: loadConfig({}).points,
        logger: memoryLogger(),
      })

    const dry = await housekeeping(dryRunDatabase(db))
    expect(dry).toEqual({ expiredCards: 1, expiredPoints: 70, purgedKeys: 1, purgedQrTokens: 0 })
    expect(await snapshot(db)).toEqual(before)

    expect(await housekeeping(db)).toEqual(dry)
    const after = await snapshot(db)
    expect(after.keys).toEqual([])
    expect(after.ledger.at(-1)).toMatchObject({
      card_id: stale.cardId,
      type: 'expire',
      points: -70,
    })
  })
})
