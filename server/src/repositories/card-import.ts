import type BetterSqlite3 from 'better-sqlite3'
import { sql } from 'drizzle-orm'
import { type Database, type Executor, query, type Tx } from '../db/seam.ts'
import type { SqliteDatabase } from '../db/sqlite.ts'

/** One valid row of an import file, ready to store (the PIN already hashed). */
export interface ImportCard {
  cardNumber: string
  pinHash: string
  name: string
  rank: string
  birthDate: string | null
  points: number
}

/** What writing one row did. */
export interface ImportWrite {
  outcome: 'created' | 'updated' | 'unchanged' | 'duplicate'
  /** An existing card whose points in the file differ from its balance (which is kept). */
  pointsDiffer: boolean
}

/** Writes the rows of one file, inside its transaction. */
export interface CardImportSession {
  /**
   * Writes one row at once and answers, where the connection is synchronous (SQLite): the
   * fast path a million-row file needs. Absent elsewhere: use `write`.
   */
  readonly writeNow?: (card: ImportCard) => ImportWrite
  /** Writes rows in file order; an answer per row. */
  write(cards: readonly ImportCard[]): Promise<ImportWrite[]>
}

const CREATED: ImportWrite = Object.freeze({ outcome: 'created', pointsDiffer: false })
const DUPLICATE: ImportWrite = Object.freeze({ outcome: 'duplicate', pointsDiffer: false })
const OUTCOMES = {
  updated: [
    Object.freeze({ outcome: 'updated', pointsDiffer: false }),
    Object.freeze({ outcome: 'updated', pointsDiffer: true }),
  ],
  unchanged: [
    Object.freeze({ outcome: 'unchanged', pointsDiffer: false }),
    Object.freeze({ outcome: 'unchanged', pointsDiffer: true }),
  ],
} as const satisfies Record<string, readonly ImportWrite[]>

/** An existing card as the import compares it. */
interface ExistingCard {
  id: number
  pinHash: string | null
  name: string
  rank: string
  birthDate: string | null
  points: number
}

/** The row's outcome against the card already stored under its number. */
function compare(existing: ExistingCard, c: ImportCard): { write: ImportWrite; changed: boolean } {
  const changed =
    existing.pinHash !== c.pinHash ||
    existing.name !== c.name ||
    existing.rank !== c.rank ||
    existing.birthDate !== c.birthDate
  const pointsDiffer = Number(existing.points) !== c.points ? 1 : 0
  return { write: OUTCOMES[changed ? 'updated' : 'unchanged'][pointsDiffer], changed }
}

/** Thrown inside the transaction to roll a refused file back. */
const ROLL_BACK = Symbol('roll back the import')

/**
 * Runs `body` in one write transaction with a session that writes the file's rows; commits,
 * together with an `import` ledger entry per created card with points (its opening balance),
 * when `body` resolves true, and keeps nothing of the file when it resolves false or throws.
 *
 * SQLite: the rows go through statements prepared once on the connection, synchronously (a
 * promise per row would cost a million-row file seconds), and the opening balances are one
 * set-based insert at the end. The transaction holds the database's write lock from start to
 * end, so every card with an id above the highest one before it is one this file created.
 * Other dialects: the rows go through the seam, one statement at a time.
 */
export async function importInTransaction(
  db: Database,
  now: number,
  body: (session: CardImportSession) => Promise<boolean>,
): Promise<boolean> {
  const sqlite = db.dialect === 'sqlite' ? (db as Partial<SqliteDatabase>).sqlite : undefined
  try {
    if (sqlite) await importOnSqlite(db, sqlite, now, body)
    else await importOnSeam(db, now, body)
    return true
  } catch (err) {
    if (err === ROLL_BACK) return false
    throw err
  }
}

async function importOnSqlite(
  db: Database,
  sqlite: BetterSqlite3.Database,
  now: number,
  body: (session: CardImportSession) => Promise<boolean>,
): Promise<void> {
  const insertCard = sqlite.prepare(
    `INSERT INTO point_cards (card_number, pin_hash, name, rank, birth_date, points, source, last_activity_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'import', ?, ?, ?) ON CONFLICT(card_number) DO NOTHING`,
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
  const insertOpeningBalances = sqlite.prepare(
    `INSERT INTO ledger (card_id, type, points, balance_after, note, created_at)
     SELECT id, 'import', points, points, 'import', ? FROM point_cards
      WHERE id > ? AND points > 0 ORDER BY id`,
  )
  // A bigger page cache for the duration: index inserts of a large file stay in memory.
  const cacheBefore = Number(sqlite.pragma('cache_size', { simple: true }))
  sqlite.pragma('cache_size = -65536')
  try {
    await db.transaction(async () => {
      const maxIdBefore = maxId.get()?.m ?? 0
      const writeNow = (c: ImportCard): ImportWrite => {
        const info = insertCard.run(
          c.cardNumber,
          c.pinHash,
          c.name,
          c.rank,
          c.birthDate,
          c.points,
          now,
          now,
          now,
        )
        if (info.changes === 1) return CREATED
        const existing = findCard.get(c.cardNumber)
        if (!existing) throw new Error('card vanished during import')
        if (existing.id > maxIdBefore) return DUPLICATE
        const { write, changed } = compare(existing, c)
        if (changed) updateCard.run(c.pinHash, c.name, c.rank, c.birthDate, now, existing.id)
        return write
      }
      const session: CardImportSession = {
        writeNow,
        write: async (cards) => cards.map(writeNow),
      }
      if (!(await body(session))) throw ROLL_BACK
      insertOpeningBalances.run(now, maxIdBefore)
    })
  } finally {
    sqlite.pragma(`cache_size = ${cacheBefore}`)
  }
}

const insertCard = query<ImportCard & { at: number }, { id: number }>(
  (p) => sql`INSERT INTO point_cards (card_number, pin_hash, name, rank, birth_date, points,
      source, last_activity_at, created_at, updated_at)
    VALUES (${p.cardNumber}, ${p.pinHash}, ${p.name}, ${p.rank}, ${p.birthDate}, ${p.points},
      'import', ${p.at}, ${p.at}, ${p.at})
    ON CONFLICT (card_number) DO NOTHING RETURNING id`,
)
const findCard = query<{ cardNumber: string }, ExistingCard>(
  (p) => sql`SELECT id, pin_hash AS "pinHash", name, rank, birth_date AS "birthDate", points
    FROM point_cards WHERE card_number = ${p.cardNumber}`,
)
const updateCard = query<{
  id: number
  pinHash: string
  name: string
  rank: string
  birthDate: string | null
  at: number
}>(
  (p) => sql`UPDATE point_cards SET pin_hash = ${p.pinHash}, name = ${p.name}, rank = ${p.rank},
      birth_date = ${p.birthDate}, updated_at = ${p.at}
    WHERE id = ${p.id}`,
)
const insertOpeningBalance = query<{ cardId: number; points: number; at: number }>(
  (p) => sql`INSERT INTO ledger (card_id, type, points, balance_after, note, created_at)
    VALUES (${p.cardId}, 'import', ${p.points}, ${p.points}, 'import', ${p.at})`,
)

async function importOnSeam(
  db: Database,
  now: number,
  body: (session: CardImportSession) => Promise<boolean>,
): Promise<void> {
  let started = false
  await db.transaction(async (tx: Tx) => {
    // A dialect may run a transaction again after a deadlock; the file is read by then.
    if (started) throw new Error('the import cannot be retried: run it again')
    started = true
    // The ids this file created: meeting one of them again is a duplicate row. (Ids, not a
    // "higher than before" mark: other instances may create cards meanwhile.)
    const created = new Set<number>()
    const writeOne = async (c: ImportCard): Promise<ImportWrite> => {
      const inserted = await tx.get(insertCard, { ...c, at: now })
      if (inserted) {
        created.add(Number(inserted.id))
        if (c.points > 0) {
          await tx.run(insertOpeningBalance, { cardId: inserted.id, points: c.points, at: now })
        }
        return CREATED
      }
      const existing = await tx.get(findCard, { cardNumber: c.cardNumber })
      if (!existing) throw new Error('card vanished during import')
      if (created.has(Number(existing.id))) return DUPLICATE
      const { write, changed } = compare(existing, c)
      if (changed) {
        await tx.run(updateCard, {
          id: existing.id,
          pinHash: c.pinHash,
          name: c.name,
          rank: c.rank,
          birthDate: c.birthDate,
          at: now,
        })
      }
      return write
    }
    const session: CardImportSession = {
      async write(cards) {
        const out: ImportWrite[] = []
        for (const c of cards) out.push(await writeOne(c))
        return out
      },
    }
    if (!(await body(session))) throw ROLL_BACK
  })
}

const anyCard = query<Record<string, never>, { one: number }>(
  () => sql`SELECT 1 AS one FROM point_cards LIMIT 1`,
)
const insertSeeded = query<
  {
    cardNumber: string
    pinHash: string
    name: string
    rank: string
    birthDate: string | null
    at: number
  },
  { id: number }
>(
  (p) => sql`INSERT INTO point_cards (card_number, pin_hash, name, rank, birth_date, points,
      source, last_activity_at, created_at, updated_at)
    VALUES (${p.cardNumber}, ${p.pinHash}, ${p.name}, ${p.rank}, ${p.birthDate}, 0, 'demo',
      ${p.at}, ${p.at}, ${p.at})
    RETURNING id`,
)

/** Cards brought in from outside this system: the demo's seed. */
export const seededCards = {
  /** True when the database holds any point card. */
  any: async (db: Executor) => (await db.get(anyCard, {})) !== undefined,
  /** A demo card with no points yet (its balance comes through the ledger); its id. */
  async insert(
    db: Executor,
    c: {
      cardNumber: string
      pinHash: string
      name: string
      rank: string
      birthDate: string | null
      at: number
    },
  ): Promise<number> {
    const row = await db.get(insertSeeded, c)
    if (!row) throw new Error('insert returned no id')
    return row.id
  },
}
