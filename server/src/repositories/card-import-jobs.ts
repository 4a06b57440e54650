import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'
import type { ImportRow } from './card-import.ts'

export type ImportJobStatus = 'waiting' | 'reading' | 'merging' | 'done' | 'failed'

/** One import job as stored (see `card_import_jobs` in db/schema.ts). */
export interface ImportJobRow {
  id: number
  actor: string
  status: ImportJobStatus
  bytesTotal: number | null
  bytesRead: number
  rowsRead: number
  rowsStaged: number
  rowsMerged: number
  mergedThroughLine: number
  created: number
  updated: number
  unchanged: number
  pointsIgnored: number
  errors: string
  createdAt: number
  updatedAt: number
}

/** An existing card as the merge compares it. */
export interface MergeCard {
  id: number
  cardNumber: string
  pinHash: string | null
  name: string
  rank: string
  birthDate: string | null
  points: number
}

/** What one merge step adds to the job's counts. */
export interface MergeStep {
  /** The resume line the step started from (the step is refused if the job moved on). */
  afterLine: number
  rows: number
  throughLine: number
  created: number
  updated: number
  unchanged: number
  pointsIgnored: number
}

const COLUMNS = sql`id, actor, status, bytes_total AS "bytesTotal", bytes_read AS "bytesRead",
  rows_read AS "rowsRead", rows_staged AS "rowsStaged", rows_merged AS "rowsMerged",
  merged_through_line AS "mergedThroughLine", created, updated, unchanged,
  points_ignored AS "pointsIgnored", errors, created_at AS "createdAt", updated_at AS "updatedAt"`

const create = query<{ actor: string; bytesTotal: number | null; now: number }, { id: number }>(
  (p) => sql`INSERT INTO card_import_jobs (actor, status, bytes_total, created_at, updated_at)
    VALUES (${p.actor}, 'waiting', ${p.bytesTotal}, ${p.now}, ${p.now}) RETURNING id`,
)
const get = query<{ id: number }, ImportJobRow>(
  (p) => sql`SELECT ${COLUMNS} FROM card_import_jobs WHERE id = ${p.id}`,
)
const start = query<{ id: number; bytesTotal: number | null; now: number }, { id: number }>(
  (p) => sql`UPDATE card_import_jobs
    SET status = 'reading', bytes_total = coalesce(${p.bytesTotal}, bytes_total), updated_at = ${p.now}
    WHERE id = ${p.id} AND status = 'waiting' RETURNING id`,
)
const progress = query<{
  id: number
  bytesRead: number
  rowsRead: number
  rowsStaged: number
  now: number
}>(
  (p) => sql`UPDATE card_import_jobs SET bytes_read = ${p.bytesRead}, rows_read = ${p.rowsRead},
    rows_staged = rows_staged + ${p.rowsStaged}, updated_at = ${p.now} WHERE id = ${p.id}`,
)
const merging = query<{ id: number; bytesRead: number; rowsRead: number; now: number }>(
  (p) => sql`UPDATE card_import_jobs SET status = 'merging', bytes_read = ${p.bytesRead},
    rows_read = ${p.rowsRead}, updated_at = ${p.now} WHERE id = ${p.id}`,
)
const merged = query<MergeStep & { id: number; now: number }, { id: number }>(
  (p) => sql`UPDATE card_import_jobs SET rows_merged = rows_merged + ${p.rows},
    merged_through_line = ${p.throughLine}, created = created + ${p.created},
    updated = updated + ${p.updated}, unchanged = unchanged + ${p.unchanged},
    points_ignored = points_ignored + ${p.pointsIgnored}, updated_at = ${p.now}
    WHERE id = ${p.id} AND status = 'merging' AND merged_through_line = ${p.afterLine}
    RETURNING id`,
)
const unfinished = query<Record<string, never>, { id: number }>(
  () => sql`SELECT id FROM card_import_jobs WHERE status IN ('reading', 'merging') ORDER BY id`,
)
const finish = query<{ id: number; status: 'done' | 'failed'; errors: string; now: number }>(
  (p) => sql`UPDATE card_import_jobs SET status = ${p.status}, errors = ${p.errors},
    updated_at = ${p.now} WHERE id = ${p.id}`,
)
const stagedPage = query<{ jobId: number; afterLine: number; limit: number }, ImportRow>(
  (p) => sql`SELECT line, card_number AS "cardNumber", pin_hash AS "pinHash", name, rank,
    birth_date AS "birthDate", points FROM card_import_rows
    WHERE job_id = ${p.jobId} AND line > ${p.afterLine} ORDER BY line LIMIT ${p.limit}`,
)
const unstageUpTo = query<{ jobId: number; throughLine: number }>(
  (p) => sql`DELETE FROM card_import_rows WHERE job_id = ${p.jobId} AND line <= ${p.throughLine}`,
)
const stagedLineAfter = query<{ jobId: number; afterLine: number; skip: number }, { line: number }>(
  (p) => sql`SELECT line FROM card_import_rows WHERE job_id = ${p.jobId} AND line > ${p.afterLine}
    ORDER BY line LIMIT 1 OFFSET ${p.skip}`,
)
const updateCard = query<{
  id: number
  pinHash: string
  name: string
  rank: string
  birthDate: string | null
  now: number
}>(
  (p) => sql`UPDATE point_cards SET pin_hash = ${p.pinHash}, name = ${p.name}, rank = ${p.rank},
    birth_date = ${p.birthDate}, updated_at = ${p.now} WHERE id = ${p.id}`,
)

/**
 * Imports from the console (docs/decisions/061-console-import-staging.md): the job row, the
 * staging rows, and the short steps of the merge. Statements built at run time (multi-row
 * inserts, `IN` lists) use drizzle's `sql` with bound values, never string concatenation.
 */
export const cardImportJobs = {
  create: async (db: Executor, actor: string, bytesTotal: number | null, now: number) => {
    const row = await db.get(create, { actor, bytesTotal, now })
    if (!row) throw new Error('the import job was not created')
    return Number(row.id)
  },
  get: (db: Executor, id: number) => db.get(get, { id }),
  /** `waiting` → `reading`; false when the job is not waiting (its file came already). */
  start: async (db: Executor, id: number, bytesTotal: number | null, now: number) =>
    (await db.get(start, { id, bytesTotal, now })) !== undefined,
  progress: (
    db: Executor,
    p: { id: number; bytesRead: number; rowsRead: number; rowsStaged: number; now: number },
  ) => db.run(progress, p),
  merging: (db: Executor, p: { id: number; bytesRead: number; rowsRead: number; now: number }) =>
    db.run(merging, p),
  /**
   * Records a merge step: false (nothing written) when the job is no longer merging from
   * `step.afterLine` (another process merged it meanwhile: the step must roll back).
   */
  merged: async (db: Executor, id: number, step: MergeStep, now: number) =>
    (await db.get(merged, { id, now, ...step })) !== undefined,
  /** The jobs reading or merging (their process may have stopped: see `recover`). */
  unfinished: async (db: Executor) => (await db.all(unfinished, {})).map((r) => Number(r.id)),
  finish: (db: Executor, id: number, status: 'done' | 'failed', errors: string, now: number) =>
    db.run(finish, { id, status, errors, now }),

  /**
   * Stages rows (in file order); a row whose card number an earlier row of the job has is not
   * staged. Resolves with the lines staged.
   */
  async stage(db: Executor, jobId: number, rows: readonly ImportRow[]): Promise<Set<number>> {
    if (rows.length === 0) return new Set()
    const values = sql.join(
      rows.map(
        (r) =>
          sql`(${jobId}, ${r.line}, ${r.cardNumber}, ${r.pinHash}, ${r.name}, ${r.rank}, ${r.birthDate}, ${r.points})`,
      ),
      sql`, `,
    )
    const staged = await db.execute<{ line: number }>(
      sql`INSERT INTO card_import_rows (job_id, line, card_number, pin_hash, name, rank, birth_date, points)
        VALUES ${values} ON CONFLICT (job_id, card_number) DO NOTHING RETURNING line`,
    )
    return new Set(staged.map((s) => Number(s.line)))
  },

  /** The next staged rows after `afterLine`, in file order. */
  stagedPage: (db: Executor, jobId: number, afterLine: number, limit: number) =>
    db.all(stagedPage, { jobId, afterLine, limit }),

  /**
   * The last line of the next `count` staged rows after `afterLine` (to delete them in steps),
   * or undefined when fewer remain.
   */
  async stagedLineAfter(db: Executor, jobId: number, afterLine: number, count: number) {
    const row = await db.get(stagedLineAfter, { jobId, afterLine, skip: count - 1 })
    return row === undefined ? undefined : Number(row.line)
  },
  /** Removes the job's staged rows up to a line. */
  unstageUpTo: (db: Executor, jobId: number, throughLine: number) =>
    db.run(unstageUpTo, { jobId, throughLine }),

  /** The existing cards with these numbers. */
  cardsByNumber(db: Executor, cardNumbers: readonly string[]): Promise<MergeCard[]> {
    if (cardNumbers.length === 0) return Promise.resolve([])
    return db.execute<MergeCard>(
      sql`SELECT id, card_number AS "cardNumber", pin_hash AS "pinHash", name, rank,
        birth_date AS "birthDate", points FROM point_cards
        WHERE card_number IN (${sql.join(
          cardNumbers.map((n) => sql`${n}`),
          sql`, `,
        )})`,
    )
  },

  /**
   * Inserts new cards (in the order given) with their opening balances as `import` ledger
   * entries; a card number another writer added meanwhile is skipped. Resolves with the
   * numbers inserted.
   */
  async insertCards(db: Executor, rows: readonly ImportRow[], now: number): Promise<Set<string>> {
    if (rows.length === 0) return new Set()
    const values = sql.join(
      rows.map(
        (r) =>
          sql`(${r.cardNumber}, ${r.pinHash}, ${r.name}, coalesce(${r.rank}, 'regular'), ${r.birthDate}, ${r.points}, 'import', ${now}, ${now}, ${now})`,
      ),
      sql`, `,
    )
    const created = await db.execute<{ id: number; cardNumber: string; points: number }>(
      sql`INSERT INTO point_cards (card_number, pin_hash, name, rank, birth_date, points, source,
          last_activity_at, created_at, updated_at)
        VALUES ${values} ON CONFLICT (card_number) DO NOTHING
        RETURNING id, card_number AS "cardNumber", points`,
    )
    const opening = created
      .filter((c) => Number(c.points) > 0)
      .sort((a, b) => Number(a.id) - Number(b.id))
    if (opening.length > 0) {
      await db.execute(
        sql`INSERT INTO ledger (card_id, type, points, balance_after, note, created_at)
          VALUES ${sql.join(
            opening.map(
              (c) => sql`(${c.id}, 'import', ${c.points}, ${c.points}, 'import', ${now})`,
            ),
            sql`, `,
          )}`,
      )
    }
    return new Set(created.map((c) => c.cardNumber))
  },

  updateCard: (
    db: Executor,
    p: {
      id: number
      pinHash: string
      name: string
      rank: string
      birthDate: string | null
      now: number
    },
  ) => db.run(updateCard, p),
}
