import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { isUniqueViolation } from '../db/errors.ts'
import type { PostgresTx } from '../db/pg.ts'
import type { Database } from '../db/seam.ts'
import { emptyTally, type ImportHooks, type ImportRows, type ImportTally } from './card-import.ts'

/**
 * The key of the transaction-level advisory lock an import holds: two imports on one database
 * run one after the other instead of racing for the same card numbers.
 */
export const PG_IMPORT_LOCK_KEY = 0x6d63_696d_70 // "mcimp"

/** The import transaction's memory for each sort or hash (PostgreSQL's default is 4 MB). */
const IMPORT_WORK_MEM = '128MB'

/** The most duplicate rows reported (the caller reports at most this many errors in all). */
const MAX_DUPLICATES = 50

/** PostgreSQL's COPY text format: a backslash escape for each character it gives a meaning. */
const COPY_SPECIAL = /[\\\t\n\r]/
const COPY_SPECIAL_ALL = /[\\\t\n\r]/g
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

/**
 * A text value as one field of COPY's text format (not CSV: tab-separated, `\N` for null,
 * backslash escapes). The caller rejects NUL, which a PostgreSQL text value cannot hold.
 */
export function copyText(value: string | null): string {
  if (value === null) return '\\N'
  return COPY_SPECIAL.test(value)
    ? value.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c] ?? c)
    : value
}

/** The rows as COPY text, one string per batch. */
async function* copyLines(rows: ImportRows): AsyncGenerator<string> {
  for await (const batch of rows) {
    let out = ''
    for (const r of batch) {
      out += `${r.line}\t${r.cardNumber}\t${r.pinHash}\t${copyText(r.name)}\t${copyText(r.rank)}\t${copyText(r.birthDate)}\t${r.points}\n`
    }
    if (out) yield out
  }
}

const CREATE_STAGING = `CREATE TEMPORARY TABLE import_rows (
    line bigint NOT NULL,
    card_number text NOT NULL,
    pin_hash text NOT NULL,
    name text NOT NULL,
    rank text,
    birth_date text,
    points bigint NOT NULL
  ) ON COMMIT DROP`

const COPY_STAGING =
  'COPY import_rows (line, card_number, pin_hash, name, rank, birth_date, points) FROM STDIN'

/** The rows whose card number an earlier row of the file has (by line), in file order. */
const DUPLICATES = `SELECT line FROM (
    SELECT line, row_number() OVER (PARTITION BY card_number ORDER BY line) AS nth
    FROM import_rows
  ) AS numbered
  WHERE nth > 1 ORDER BY line LIMIT ${MAX_DUPLICATES}`

/**
 * Existing cards: compared field by field with their rows, changed ones updated (a null rank
 * or birth date in the file keeps the card's), the counts returned. Points are never written.
 */
const MERGE_EXISTING = `WITH existing AS MATERIALIZED (
    SELECT c.id, s.pin_hash, s.name,
      coalesce(s.rank, c.rank) AS rank,
      coalesce(s.birth_date, c.birth_date) AS birth_date,
      c.pin_hash IS DISTINCT FROM s.pin_hash AS pin_changed,
      c.name <> s.name AS name_changed,
      s.rank IS NOT NULL AND s.rank <> c.rank AS rank_changed,
      s.birth_date IS NOT NULL AND s.birth_date IS DISTINCT FROM c.birth_date AS birth_changed,
      c.points <> s.points AS points_differ
    FROM import_rows s JOIN point_cards c ON c.card_number = s.card_number
  ), changed AS MATERIALIZED (
    SELECT * FROM existing
    WHERE pin_changed OR name_changed OR rank_changed OR birth_changed
  ), written AS (
    UPDATE point_cards c
      SET pin_hash = ch.pin_hash, name = ch.name, rank = ch.rank, birth_date = ch.birth_date,
        updated_at = $1
      FROM changed ch WHERE c.id = ch.id
  )
  SELECT
    (SELECT count(*) FROM existing) AS existing,
    (SELECT count(*) FROM existing WHERE points_differ) AS points_ignored,
    count(*) AS updated,
    count(*) FILTER (WHERE pin_changed) AS pin,
    count(*) FILTER (WHERE name_changed) AS name,
    count(*) FILTER (WHERE rank_changed) AS rank,
    count(*) FILTER (WHERE birth_changed) AS birth_date
  FROM changed`

/**
 * New cards, in file order, with their opening balances as `import` ledger entries (one
 * insert of all of them); the number created. No ON CONFLICT: speculative insertion costs a
 * WAL record more per card; a card number another writer adds meanwhile fails the statement.
 */
const INSERT_NEW = `WITH created AS (
    INSERT INTO point_cards (card_number, pin_hash, name, rank, birth_date, points, source,
      last_activity_at, created_at, updated_at)
    SELECT s.card_number, s.pin_hash, s.name, coalesce(s.rank, 'regular'), s.birth_date,
      s.points, 'import', $1, $1, $1
    FROM import_rows s
    WHERE NOT EXISTS (SELECT 1 FROM point_cards c WHERE c.card_number = s.card_number)
    ORDER BY s.line
    RETURNING id, points
  ), opening AS (
    INSERT INTO ledger (card_id, type, points, balance_after, note, created_at)
    SELECT id, 'import', points, points, 'import', $1 FROM created WHERE points > 0 ORDER BY id
  )
  SELECT count(*) AS created, coalesce(sum(points), 0) AS points FROM created`

/** Another writer (card issuing) added one of the file's card numbers during the merge. */
class AddedMeanwhile extends Error {
  constructor() {
    super(
      'a card of this file was added by another writer meanwhile: nothing was imported; run the import again',
    )
  }
}

interface MergeCounts {
  existing: number
  points_ignored: number
  updated: number
  pin: number
  name: number
  rank: number
  birth_date: number
}

/** Thrown inside the transaction to roll a refused file back. */
const ROLL_BACK = Symbol('roll back the import')

/**
 * How long one statement of an import may take. The pool's limits (a statement of a request
 * must not hang it) would cut a large file's COPY or merge short; an hour is far beyond what a
 * million rows take, and still ends an import that is stuck.
 */
const IMPORT_STATEMENT_TIMEOUT_MS = 3_600_000

/**
 * PostgreSQL: one transaction of the seam (so a dry run's rolls it back too), on its
 * connection. The rows stream with COPY into a temporary staging table (validated and hashed
 * in Node as they are read; COPY keeps the file's pace without a round trip per row); then
 * duplicates are found by line, and, if the caller accepts the file, existing cards are merged
 * and new ones inserted, set-based. Nothing is visible to others before the commit; a refused
 * or failed file leaves nothing behind (the staging table goes with the transaction).
 */
export async function importOnPostgres(
  db: Database,
  now: number,
  rows: ImportRows,
  hooks: ImportHooks,
): Promise<ImportTally | undefined> {
  let started = false
  try {
    return await db.transaction(async (tx) => {
      // The seam runs a transaction again after a deadlock; the file is read by then.
      if (started) throw new Error('the import cannot be retried: run it again')
      started = true
      const { client } = tx as PostgresTx
      const run = <R extends pg.QueryResultRow>(
        text: string,
        values: unknown[] = [],
      ): Promise<pg.QueryResult<R>> => {
        // node-postgres reads a query's own `query_timeout` before the pool's (its types do
        // not list it).
        const config = { text, values, query_timeout: IMPORT_STATEMENT_TIMEOUT_MS }
        return client.query<R>(config)
      }
      await run(`SET LOCAL statement_timeout = ${IMPORT_STATEMENT_TIMEOUT_MS}`)
      await run('SELECT pg_advisory_xact_lock($1)', [PG_IMPORT_LOCK_KEY])
      // Sorting and hashing a million staged rows in memory rather than in temporary files.
      await run(`SET LOCAL work_mem = '${IMPORT_WORK_MEM}'`)
      await run(CREATE_STAGING)
      const copy = copyFrom(COPY_STAGING)
      Object.assign(copy, { query_timeout: IMPORT_STATEMENT_TIMEOUT_MS })
      await pipeline(Readable.from(copyLines(rows)), client.query(copy))
      // The staging table has no statistics yet (autovacuum never analyses temporary tables):
      // without them the planner guesses its size and may pick nested loops over a million rows.
      await run('ANALYZE import_rows')
      const duplicates = await run<{ line: number }>(DUPLICATES)
      for (const d of duplicates.rows) hooks.duplicate(Number(d.line))
      if (!hooks.accept()) throw ROLL_BACK
      const merged = (await run<MergeCounts>(MERGE_EXISTING, [now])).rows[0]
      const inserted = (
        await run<{ created: number; points: number }>(INSERT_NEW, [now]).catch((err: unknown) => {
          throw isUniqueViolation(err) ? new AddedMeanwhile() : err
        })
      ).rows[0]
      if (!merged || !inserted) throw new Error('the import merge returned no counts')
      const existing = Number(merged.existing)
      const created = Number(inserted.created)
      // A card number committed by another writer between the two statements is neither.
      if (existing + created !== copy.rowCount) throw new AddedMeanwhile()
      await hooks.created?.(tx, created, Number(inserted.points))
      const tally = emptyTally()
      tally.created = created
      tally.updated = Number(merged.updated)
      tally.unchanged = existing - tally.updated
      tally.pointsIgnored = Number(merged.points_ignored)
      tally.updatedFields = {
        pin: Number(merged.pin),
        name: Number(merged.name),
        rank: Number(merged.rank),
        birth_date: Number(merged.birth_date),
      }
      return tally
    })
  } catch (err) {
    if (err === ROLL_BACK) return undefined
    throw err
  }
}
