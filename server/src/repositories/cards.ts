import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** A demo card as seeded (its balance comes through the ledger). */
export interface SeededCard {
  cardNumber: string
  pinHash: string
  name: string
  rank: string
  birthDate: string | null
  at: number
}

/** A point card as the services see it. */
export interface CardRow {
  id: number
  cardNumber: string
  pinHash: string | null
  name: string
  rank: string
  points: number
}

const columns = sql`id, card_number AS "cardNumber", pin_hash AS "pinHash", name, rank, points`

const byId = query<{ id: number }, CardRow>(
  (p) => sql`SELECT ${columns} FROM point_cards WHERE id = ${p.id}`,
)
const byNumber = query<{ cardNumber: string }, CardRow>(
  (p) => sql`SELECT ${columns} FROM point_cards WHERE card_number = ${p.cardNumber}`,
)
const insertIssued = query<
  { cardNumber: string; pinHash: string; name: string; at: number },
  { id: number }
>(
  (p) => sql`INSERT INTO point_cards (card_number, pin_hash, name, rank, points, source,
      created_at, updated_at)
    VALUES (${p.cardNumber}, ${p.pinHash}, ${p.name}, 'regular', 0, 'issued', ${p.at}, ${p.at})
    RETURNING id`,
)
const moveBalance = query<{ id: number; delta: number; at: number }, { points: number }>(
  (p) => sql`UPDATE point_cards SET points = points + ${p.delta}, last_activity_at = ${p.at}
     WHERE id = ${p.id} AND points + ${p.delta} >= 0 RETURNING points`,
)
const expiryCandidates = query<{ cutoff: number; after: number; limit: number }, { id: number }>(
  (p) => sql`SELECT id FROM point_cards
     WHERE points > 0 AND COALESCE(last_activity_at, created_at) <= ${p.cutoff} AND id > ${p.after}
     ORDER BY id LIMIT ${p.limit}`,
)
const expiryStateSql = sql`SELECT points, COALESCE(last_activity_at, created_at) AS last
   FROM point_cards WHERE id = `
const expiryState = query<{ id: number }, { points: number; last: number }>(
  (p) => sql`${expiryStateSql}${p.id}`,
)
/** The same read, locking the row until the transaction ends (PostgreSQL). */
const expiryStateLocked = query<{ id: number }, { points: number; last: number }>(
  (p) => sql`${expiryStateSql}${p.id} FOR UPDATE`,
)

const markVisit = query<{ id: number; day: number }, { prev: number | null }>(
  (p) => sql`UPDATE point_cards SET prev_visit_day = last_visit_day, last_visit_day = ${p.day}
    WHERE id = ${p.id} AND (last_visit_day IS NULL OR last_visit_day < ${p.day})
    RETURNING prev_visit_day AS prev`,
)

/** Locks the card's row until the transaction ends (PostgreSQL). */
const lockRow = query<{ id: number }, { id: number }>(
  (p) => sql`SELECT id FROM point_cards WHERE id = ${p.id} FOR UPDATE`,
)

const anyCard = query<Record<string, never>, { one: number }>(
  () => sql`SELECT 1 AS one FROM point_cards LIMIT 1`,
)
const insertSeeded = query<SeededCard, { id: number }>(
  (p) => sql`INSERT INTO point_cards (card_number, pin_hash, name, rank, birth_date, points,
      source, last_activity_at, created_at, updated_at)
    VALUES (${p.cardNumber}, ${p.pinHash}, ${p.name}, ${p.rank}, ${p.birthDate}, 0, 'demo',
      ${p.at}, ${p.at}, ${p.at})
    RETURNING id`,
)

/** Point cards: imported, issued in the app, or seeded in demo mode. */
export const cards = {
  /** True when the database holds any point card. */
  any: async (db: Executor) => (await db.get(anyCard, {})) !== undefined,
  /** A demo card with no points yet (its balance comes through the ledger); its id. */
  async insertSeeded(db: Executor, card: SeededCard): Promise<number> {
    const row = await db.get(insertSeeded, card)
    if (!row) throw new Error('insert returned no id')
    return row.id
  },
  byId: (db: Executor, id: number) => db.get(byId, { id }),
  byNumber: (db: Executor, cardNumber: string) => db.get(byNumber, { cardNumber }),
  /** A new digital card (rank regular, no points); its id. */
  async insertIssued(
    db: Executor,
    card: { cardNumber: string; pinHash: string; name: string; at: number },
  ): Promise<number> {
    const row = await db.get(insertIssued, card)
    if (!row) throw new Error('insert returned no id')
    return row.id
  },
  /**
   * Moves the balance by `delta` unless that would make it negative; the new balance, or
   * undefined when refused. The row is locked until the transaction ends.
   */
  async moveBalance(db: Executor, id: number, delta: number, at: number) {
    return (await db.get(moveBalance, { id, delta, at }))?.points
  },
  /**
   * Waits for, then holds until the transaction ends, the card's row lock: a concurrent change
   * to the card has committed (or rolled back) before the next statement reads. SQLite's write
   * transactions hold the whole database already.
   */
  async lock(db: Executor, id: number): Promise<void> {
    if (db.dialect === 'postgres') await db.get(lockRow, { id })
  },
  /**
   * Records a till transaction on `day` (days in the till's time zone): the previous visit day
   * (null: the first ever) when it is the card's first transaction of that day, else
   * undefined. The row stays locked until the transaction ends.
   */
  markVisit: (db: Executor, id: number, day: number) => db.get(markVisit, { id, day }),
  /** Cards with points and no activity since `cutoff`, by id, after `after`. */
  expiryCandidates: (db: Executor, cutoff: number, after: number, limit: number) =>
    db.all(expiryCandidates, { cutoff, after, limit }),
  /**
   * The balance and the last activity (or creation) of a card; with `lock`, the row stays
   * locked until the transaction ends (SQLite's write transactions lock the whole database).
   */
  expiryState: (db: Executor, id: number, lock = false) =>
    db.get(lock && db.dialect === 'postgres' ? expiryStateLocked : expiryState, { id }),
}
