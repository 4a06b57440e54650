import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq, getTableName, is, sql } from 'drizzle-orm'
import { PgTable } from 'drizzle-orm/pg-core'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isUnavailable } from '../src/db/errors.ts'
import {
  migratePostgres,
  openPostgres,
  PG_MIGRATIONS_FOLDER,
  type PgHandle,
} from '../src/db/postgres.ts'
import * as schemaPg from '../src/db/schema.pg.ts'
import { ledger, pointCards } from '../src/db/schema.pg.ts'
import { createDatabase, databaseUrl, dropDatabase, findPgBinDir } from './support/pg-cluster.ts'
import { type FreshPgDatabase, freshPgDatabase, pgAdminUrl } from './support/pg-database.ts'

/** The PostgreSQL foundation on a real server: migrations, the ledger rule, checks, int8. */

const schemaTables = Object.values(schemaPg as Record<string, unknown>)
  .filter((t): t is PgTable => is(t, PgTable))
  .map((t) => getTableName(t))
  .sort()

/** Tables, triggers and applied migrations of the database at `url`. */
async function inventory(url: string) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const tables = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
       WHERE table_schema = 'public' ORDER BY table_name`,
    )
    const triggers = await client.query<{ name: string }>(
      `SELECT tgname AS name FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname`,
    )
    const migrations = await client.query<{ n: number }>(
      'SELECT count(*) AS n FROM drizzle.__drizzle_migrations',
    )
    return {
      tables: tables.rows.map((r) => r.name),
      triggers: triggers.rows.map((r) => r.name),
      migrations: migrations.rows[0]?.n,
    }
  } finally {
    await client.end()
  }
}

/** A new, empty (unmigrated) database on the run's cluster; dropped after this file. */
const emptyDatabases: string[] = []
async function emptyDatabase(): Promise<string> {
  const name = `e_${randomBytes(8).toString('hex')}`
  emptyDatabases.push(name)
  return createDatabase(await pgAdminUrl(), name)
}
afterAll(async () => {
  for (const name of emptyDatabases) await dropDatabase(await pgAdminUrl(), name)
})

/** The migrations drizzle-kit has written for PostgreSQL. */
const JOURNAL_ENTRIES = (
  JSON.parse(readFileSync(join(PG_MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as {
    entries: unknown[]
  }
).entries.length

describe('migratePostgres', () => {
  it('creates every table of schema.pg.ts and the ledger and audit triggers', async () => {
    const url = await emptyDatabase()
    await migratePostgres(url)
    const after = await inventory(url)
    expect(after.tables).toEqual(schemaTables)
    expect(after.triggers).toEqual([
      'audit_log_no_delete',
      'audit_log_no_truncate',
      'audit_log_no_update',
      'ledger_no_delete',
      'ledger_no_truncate',
      'ledger_no_update',
    ])
    expect(after.migrations).toBe(JOURNAL_ENTRIES)
    // Again: nothing left to do, nothing applied twice.
    await migratePostgres(url)
    expect(await inventory(url)).toEqual(after)
  })

  it('is safe when three instances start at the same moment', async () => {
    const url = await emptyDatabase()
    const results = await Promise.allSettled([
      migratePostgres(url),
      migratePostgres(url),
      migratePostgres(url),
    ])
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual([
      'ok',
      'ok',
      'ok',
    ])
    const after = await inventory(url)
    expect(after.tables).toEqual(schemaTables)
    expect(after.migrations).toBe(JOURNAL_ENTRIES)
  })

  it('reports a database it cannot reach', async () => {
    const missing = databaseUrl(await pgAdminUrl(), `missing_${randomBytes(4).toString('hex')}`)
    await expect(migratePostgres(missing)).rejects.toThrow(/does not exist/)
  })
})

describe('openPostgres', () => {
  it('gives up on a server that accepts but never answers, as unavailable, within its connect timeout', async () => {
    const silent = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as AddressInfo
    const handle = openPostgres(`postgres://u:p@127.0.0.1:${port}/db`, { connectTimeoutMs: 300 })
    const started = Date.now()
    try {
      const err = await handle.pool.query('SELECT 1').then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isUnavailable(err)).toBe(true)
      expect(Date.now() - started).toBeLessThan(5_000)
    } finally {
      await handle.close()
      silent.close()
    }
  })
})

describe('a migrated database', () => {
  let fresh: FreshPgDatabase
  let handle: PgHandle
  let cardId: number

  beforeAll(async () => {
    fresh = await freshPgDatabase()
    handle = openPostgres(fresh.url, { max: 4 })
    const [card] = await handle.db
      .insert(pointCards)
      .values({
        cardNumber: '4000000000000001',
        name: 'Test',
        points: 100,
        source: 'import',
        createdAt: 1_795_455_342_887,
        updatedAt: 1_795_455_342_887,
      })
      .returning()
    cardId = card!.id
    await handle.db.insert(ledger).values({
      cardId,
      type: 'import',
      points: 100,
      balanceAfter: 100,
      createdAt: 1_795_455_342_887,
    })
  })
  afterAll(async () => {
    await handle?.close()
    await fresh?.drop()
  })

  /** The PostgreSQL error a statement fails with (SQLSTATE, constraint, message). */
  async function failure(statement: Promise<unknown>) {
    const err = await statement.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err, 'the statement succeeded').toBeDefined()
    const cause = (err as { cause?: unknown }).cause ?? err
    const { code, constraint, message } = cause as pg.DatabaseError
    return { code, constraint, message }
  }

  it('refuses UPDATE, DELETE and TRUNCATE of the ledger', async () => {
    const appendOnly = { code: '23001', message: 'ledger is append-only' }
    expect(await failure(handle.db.update(ledger).set({ points: 1 }))).toMatchObject(appendOnly)
    expect(await failure(handle.db.delete(ledger))).toMatchObject(appendOnly)
    expect(await failure(handle.pool.query('TRUNCATE ledger CASCADE'))).toMatchObject(appendOnly)
    const rows = await handle.db.select().from(ledger)
    expect(rows).toMatchObject([{ cardId, type: 'import', points: 100, balanceAfter: 100 }])
    // Appending still works.
    await handle.db
      .insert(ledger)
      .values({ cardId, type: 'award', points: 5, balanceAfter: 105, createdAt: 1 })
    expect(await handle.db.$count(ledger)).toBe(2)
  })

  it('keeps points and balances from going below zero', async () => {
    expect(
      await failure(
        handle.db.update(pointCards).set({ points: -1 }).where(eq(pointCards.id, cardId)),
      ),
    ).toMatchObject({ code: '23514', constraint: 'point_cards_points_nonnegative' })
    expect(
      await failure(
        handle.db
          .insert(ledger)
          .values({ cardId, type: 'redeem', points: -200, balanceAfter: -100, createdAt: 2 }),
      ),
    ).toMatchObject({ code: '23514', constraint: 'ledger_balance_nonnegative' })
    const [card] = await handle.db.select().from(pointCards).where(eq(pointCards.id, cardId))
    expect(card!.points).toBe(100)
    // Zero is allowed.
    await handle.db.update(pointCards).set({ points: 0 }).where(eq(pointCards.id, cardId))
  })

  it('returns int8 values (times, ids, counts) as JavaScript numbers', async () => {
    const time = 2 ** 53 - 1
    await handle.db
      .update(pointCards)
      .set({ lastActivityAt: time, updatedAt: 1_795_455_342_999 })
      .where(eq(pointCards.id, cardId))
    const [card] = await handle.db.select().from(pointCards).where(eq(pointCards.id, cardId))
    expect(card).toMatchObject({ id: cardId, lastActivityAt: time, updatedAt: 1_795_455_342_999 })
    expect(typeof card!.id).toBe('number')
    // Through plain node-postgres and raw SQL too, which no column mapping converts.
    const raw = await handle.pool.query(
      'SELECT id, last_activity_at, created_at, count(*) OVER () AS n FROM point_cards',
    )
    expect(raw.rows).toEqual([
      { id: cardId, last_activity_at: time, created_at: 1_795_455_342_887, n: 1 },
    ])
    const counted = await handle.db.execute(
      sql`SELECT count(*) AS n, max(${pointCards.createdAt}) AS t FROM ${pointCards}`,
    )
    expect(counted.rows).toEqual([{ n: 1, t: 1_795_455_342_887 }])
  })

  it('refuses an int8 beyond 2^53 rather than rounding it', async () => {
    await expect(handle.pool.query('SELECT 9007199254740993::int8 AS big')).rejects.toThrow(
      /not a safe integer/,
    )
    // The pool is still usable after that.
    expect((await handle.pool.query('SELECT 1::int8 AS one')).rows).toEqual([{ one: 1 }])
  })
})

describe('the test cluster', () => {
  it('gives concurrent test files each their own copy of the migrated template', async () => {
    const copies = await Promise.all([1, 2, 3, 4].map(() => freshPgDatabase()))
    try {
      expect(new Set(copies.map((c) => c.name)).size).toBe(4)
      const handles = copies.map((c) => openPostgres(c.url, { max: 1 }))
      try {
        // One card in the first copy only: the copies share nothing.
        await handles[0]!.db.insert(pointCards).values({
          cardNumber: '4000000000000002',
          name: 'Only here',
          source: 'issued',
          createdAt: 1,
          updatedAt: 1,
        })
        const counts = await Promise.all(handles.map((h) => h.db.$count(pointCards)))
        expect(counts).toEqual([1, 0, 0, 0])
        expect((await inventory(copies[3]!.url)).tables).toEqual(schemaTables)
      } finally {
        await Promise.all(handles.map((h) => h.close()))
      }
    } finally {
      await Promise.all(copies.map((c) => c.drop()))
    }
  })

  it('finds the newest server binaries, and names the package to install when there are none', () => {
    const root = mkdtempSync(join(tmpdir(), 'pg-bin-'))
    try {
      expect(() => findPgBinDir(root, '')).toThrow(/apt-get install postgresql/)
      for (const version of ['9.6', '15', '13']) {
        mkdirSync(join(root, version, 'bin'), { recursive: true })
        writeFileSync(join(root, version, 'bin', 'initdb'), '')
      }
      expect(findPgBinDir(root, '')).toBe(join(root, '15', 'bin'))
      expect(() => findPgBinDir(root, join(root, 'none'))).toThrow(/apt-get install postgresql/)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
