import type BetterSqlite3 from 'better-sqlite3'
import type { Database, Tx } from '../db/seam.ts'
import type { SqliteDatabase } from '../db/sqlite.ts'

/**
 * One valid row of an import file, ready to store (the PIN already hashed), with its line in
 * the file. `rank` and `birthDate` are null when the file gives none (no such column, or an
 * empty cell): an existing card keeps its own, a new card gets `regular` and no birth date.
 */
export interface ImportRow {
  line: number
  cardNumber: string
  pinHash: string
  name: string
  rank: string | null
  birthDate: string | null
  points: number
}

/** The fields an import can change on an existing card, named as the file's columns. */
export type ImportField = 'pin' | 'name' | 'rank' | 'birth_date'

/** What an import wrote, once its transaction has committed. */
export interface ImportTally {
  created: number
  updated: number
  /** Of the updated cards, how many had each field changed (a card counts under each). */
  updatedFields: Record<ImportField, number>
  unchanged: number
  /** Existing cards whose `points` in the file differ: the ledger owns balances once imported. */
  pointsIgnored: number
}

/** How the import's caller takes part in the transaction. */
export interface ImportHooks {
  /** A row whose card number an earlier row of the same file already has. */
  duplicate(line: number): void
  /** Asked once every row is written: true commits the file, false keeps nothing of it. */
  accept(): boolean
  /**
   * Called in the import's transaction once the file is accepted and written: `cards` new
   * cards whose opening balances (`import` ledger entries) add up to `points`.
   */
  created?(tx: Tx, cards: number, points: number): Promise<void>
}

/** Valid rows in file order, in batches (one per chunk of the file read). */
export type ImportRows = AsyncIterable<readonly ImportRow[]>

export function emptyTally(): ImportTally {
  return {
    created: 0,
    updated: 0,
    updatedFields: { pin: 0, name: 0, rank: 0, birth_date: 0 },
    unchanged: 0,
    pointsIgnored: 0,
  }
}

/**
 * Writes the rows of one import file in one transaction, together with an `import` ledger
 * entry per created card with points (its opening balance). Commits when `hooks.accept()`
 * says so once every row is written; otherwise keeps nothing and resolves undefined.
 * A card number met twice in the file is reported to `hooks.duplicate`.
 *
 * Each dialect has its bulk path on its own connection: SQLite writes row by row through
 * statements prepared on the connection (synchronous, no promise per row); PostgreSQL streams
 * the rows with COPY into a staging table and merges them set-based (card-import.pg.ts,
 * docs/decisions/024-postgresql-import.md).
 */
export async function importCardRows(
  db: Database,
  now: number,
  rows: ImportRows,
  hooks: ImportHooks,
): Promise<ImportTally | undefined> {
  const sqlite = db.dialect === 'sqlite' ? (db as Partial<SqliteDatabase>).sqlite : undefined
  if (sqlite) return importOnSqlite(db, sqlite, now, rows, hooks)
  if (db.dialect === 'postgres') {
    // Loaded only when used: a SQLite installation never loads the PostgreSQL driver.
    const { importOnPostgres } = await import('./card-import.pg.ts')
    return importOnPostgres(db, now, rows, hooks)
  }
  throw new Error('the card import on SQLite needs its connection')
}

/** An existing card as the import compares it. */
interface ExistingCard {
  id: number
  pinHash: string | null
  name: string
  rank: string
  birthDate: string | null
  points: number
}

/** Thrown inside the transaction to roll a refused file back. */
const ROLL_BACK = Symbol('roll back the import')

/**
 * SQLite: statements prepared once on the connection, run synchronously (a promise per row
 * would cost a million-row file seconds); the opening balances are one set-based insert at the
 * end. The transaction holds the database's write lock from start to end, so every card with
 * an id above the highest one before it is one this file created.
 */
async function importOnSqlite(
  db: Database,
  sqlite: BetterSqlite3.Database,
  now: number,
  rows: ImportRows,
  hooks: ImportHooks,
): Promise<ImportTally | undefined> {
  const insertCard = sqlite.prepare(
    `INSERT INTO point_cards (card_number, pin_hash, name, rank, birth_date, points, source, last_activity_at, created_at, updated_at)
     VALUES (?, ?, ?, coalesce(?, 'regular'), ?, ?, 'import', ?, ?, ?) ON CONFLICT(card_number) DO NOTHING`,
  )
  const findCard = sqlite.prepare<[string], ExistingCard>(
    `SELECT id, pin_hash AS pinHash, name, rank, birth_date AS birthDate, points
       FROM point_cards WHERE card_number = ?`,
  )
  const updateCard = sqlite.prepare(
    'UPDATE point_cards SET pin_hash = ?, name = ?, rank = ?, birth_date = ?, updated_at = ? WHERE id = ?',
  )
  const maxId = sqlite.prepare<[], { m: number }>(
    'SELECT coalesce(max(id), 0) AS m FROM point_cards',
  )
  // The opening balance of every card this import created, in one pass at the end (card
  // order): a million single-row inserts would cost a round trip into SQLite each.
  const createdSince = sqlite.prepare<[number], { n: number; points: number }>(
    'SELECT count(*) AS n, coalesce(sum(points), 0) AS points FROM point_cards WHERE id > ?',
  )
  const insertOpeningBalances = sqlite.prepare(
    `INSERT INTO ledger (card_id, type, points, balance_after, note, created_at)
     SELECT id, 'import', points, points, 'import', ? FROM point_cards
      WHERE id > ? AND points > 0 ORDER BY id`,
  )
  const tally = emptyTally()
  const fields = tally.updatedFields
  // A bigger page cache for the duration: index inserts of a large file stay in memory.
  const cacheBefore = Number(sqlite.pragma('cache_size', { simple: true }))
  sqlite.pragma('cache_size = -65536')
  try {
    await db.transaction(async (tx) => {
      const maxIdBefore = maxId.get()?.m ?? 0
      /** Cards that existed before this file and that a row of it has met already. */
      const met = new Set<number>()
      for await (const batch of rows) {
        for (const r of batch) {
          const info = insertCard.run(
            r.cardNumber,
            r.pinHash,
            r.name,
            r.rank,
            r.birthDate,
            r.points,
            now,
            now,
            now,
          )
          if (info.changes === 1) {
            tally.created++
            continue
          }
          const c = findCard.get(r.cardNumber)
          if (!c) throw new Error('card vanished during import')
          if (c.id > maxIdBefore || met.has(c.id)) {
            hooks.duplicate(r.line)
            continue
          }
          met.add(c.id)
          if (Number(c.points) !== r.points) tally.pointsIgnored++
          const pin = c.pinHash !== r.pinHash
          const name = c.name !== r.name
          const rank = r.rank !== null && r.rank !== c.rank
          const birth = r.birthDate !== null && r.birthDate !== c.birthDate
          if (!(pin || name || rank || birth)) {
            tally.unchanged++
            continue
          }
          tally.updated++
          if (pin) fields.pin++
          if (name) fields.name++
          if (rank) fields.rank++
          if (birth) fields.birth_date++
          updateCard.run(r.pinHash, r.name, r.rank ?? c.rank, r.birthDate ?? c.birthDate, now, c.id)
        }
      }
      if (!hooks.accept()) throw ROLL_BACK
      insertOpeningBalances.run(now, maxIdBefore)
      const created = createdSince.get(maxIdBefore)
      if (created) await hooks.created?.(tx, created.n, created.points)
    })
    return tally
  } catch (err) {
    if (err === ROLL_BACK) return undefined
    throw err
  } finally {
    sqlite.pragma(`cache_size = ${cacheBefore}`)
  }
}
