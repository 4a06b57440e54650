import { Readable } from 'node:stream'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { AlreadyExists, ImportFileTooLarge, NotFound } from '../domain/errors.ts'
import {
  emptyTally,
  type ImportHooks,
  type ImportRows,
  type ImportTally,
} from '../repositories/card-import.ts'
import {
  cardImportJobs,
  type ImportJobRow,
  type ImportJobStatus,
  type MergeStep,
} from '../repositories/card-import-jobs.ts'
import { type AuditActor, recordAudit } from './audit.ts'
import { type ImportRowError, type ImportWriter, importCards } from './card-import.ts'
import type { DailyStats } from './daily-stats.ts'

/** Rows merged per transaction: a till write waits at most about one of these. */
export const MERGE_STEP_ROWS = 500

/** Rows staged per statement and transaction (within both dialects' bound-parameter limits). */
const STAGE_STEP_ROWS = 1000

/** The largest file the console's import accepts. */
export const MAX_IMPORT_BYTES = 200 * 1024 * 1024

/** An import as the console sees it (`GET /api/admin/imports/{id}`). */
export interface ImportJob {
  id: number
  status: ImportJobStatus
  bytesTotal: number | null
  bytesRead: number
  /** Valid rows read so far; once done or failed, every data row of the file. */
  rowsRead: number
  /** Rows to merge (valid and not repeated). */
  rowsStaged: number
  rowsMerged: number
  created: number
  updated: number
  unchanged: number
  pointsIgnored: number
  /** Line-numbered errors (at most 50); nothing of the file was kept when there are any. */
  errors: ImportRowError[]
  createdAt: string
}

function toJob(r: ImportJobRow): ImportJob {
  return {
    id: Number(r.id),
    status: r.status,
    bytesTotal: r.bytesTotal === null ? null : Number(r.bytesTotal),
    bytesRead: Number(r.bytesRead),
    rowsRead: Number(r.rowsRead),
    rowsStaged: Number(r.rowsStaged),
    rowsMerged: Number(r.rowsMerged),
    created: Number(r.created),
    updated: Number(r.updated),
    unchanged: Number(r.unchanged),
    pointsIgnored: Number(r.pointsIgnored),
    errors: JSON.parse(r.errors) as ImportRowError[],
    createdAt: new Date(Number(r.createdAt)).toISOString(),
  }
}

/** Lets the event loop answer other requests between two steps of an import. */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Imports of point cards from the console, with the rules and parser of `pnpm cards:import`
 * (services/card-import.ts), in short transactions so the tills are answered meanwhile
 * (docs/decisions/061-console-import-staging.md): the file streams into staging rows (one
 * transaction per chunk read; nothing a member or till sees); a file with any bad row is
 * refused whole and its staging rows removed; a good one is merged into the cards
 * `MERGE_STEP_ROWS` at a time, each step committing its cards, their opening balances and the
 * job's counts together.
 */
export function createCardImportJobs({
  db,
  clock,
  pinKey,
  stats,
  maxBytes = MAX_IMPORT_BYTES,
}: {
  db: Database
  clock: Clock
  pinKey: Buffer
  /** The dashboard's counters (new cards and their opening balances are counted). */
  stats: DailyStats
  maxBytes?: number
}) {
  /** Merges the staged rows after `afterLine` in steps; the tally of what they did. */
  async function merge(id: number, afterLine: number, hooks: ImportHooks): Promise<ImportTally> {
    const tally = emptyTally()
    let after = afterLine
    for (;;) {
      const step = await db.transaction(async (tx) => {
        const rows = await cardImportJobs.stagedPage(tx, id, after, MERGE_STEP_ROWS)
        const last = rows.at(-1)
        if (!last) return undefined
        const now = clock.now()
        const numbers = rows.map((r) => r.cardNumber)
        const existing = new Map(
          (await cardImportJobs.cardsByNumber(tx, numbers)).map((c) => [c.cardNumber, c]),
        )
        const inserted = await cardImportJobs.insertCards(
          tx,
          rows.filter((r) => !existing.has(r.cardNumber)),
          now,
        )
        // A card number another writer added since the read is an existing card too.
        const raced = rows.filter((r) => !existing.has(r.cardNumber) && !inserted.has(r.cardNumber))
        for (const c of await cardImportJobs.cardsByNumber(
          tx,
          raced.map((r) => r.cardNumber),
        )) {
          existing.set(c.cardNumber, c)
        }
        // The dashboard's counters: the new cards and their opening balances.
        const openingPoints = rows
          .filter((r) => inserted.has(r.cardNumber))
          .reduce((sum, r) => sum + Number(r.points), 0)
        if (inserted.size > 0) await hooks.created?.(tx, inserted.size, openingPoints)
        const s: MergeStep = {
          rows: rows.length,
          throughLine: Number(last.line),
          created: inserted.size,
          updated: 0,
          unchanged: 0,
          pointsIgnored: 0,
        }
        for (const r of rows) {
          const c = existing.get(r.cardNumber)
          if (!c || inserted.has(r.cardNumber)) continue
          if (Number(c.points) !== Number(r.points)) s.pointsIgnored++
          const pin = c.pinHash !== r.pinHash
          const name = c.name !== r.name
          const rank = r.rank !== null && r.rank !== c.rank
          const birth = r.birthDate !== null && r.birthDate !== c.birthDate
          if (!(pin || name || rank || birth)) {
            s.unchanged++
            continue
          }
          s.updated++
          if (pin) tally.updatedFields.pin++
          if (name) tally.updatedFields.name++
          if (rank) tally.updatedFields.rank++
          if (birth) tally.updatedFields.birth_date++
          await cardImportJobs.updateCard(tx, {
            id: Number(c.id),
            pinHash: r.pinHash,
            name: r.name,
            rank: r.rank ?? c.rank,
            birthDate: r.birthDate ?? c.birthDate,
            now,
          })
        }
        await cardImportJobs.merged(tx, id, s, now)
        await cardImportJobs.unstageUpTo(tx, id, s.throughLine)
        return s
      })
      if (!step) return tally
      after = step.throughLine
      tally.created += step.created
      tally.updated += step.updated
      tally.unchanged += step.unchanged
      tally.pointsIgnored += step.pointsIgnored
      await breathe()
    }
  }

  /** Removes a refused file's staging rows, a few thousand per transaction. */
  async function unstage(id: number): Promise<void> {
    let after = 0
    for (;;) {
      const through = await cardImportJobs.stagedLineAfter(db, id, after, 5000)
      if (through === undefined) {
        await db.transaction((tx) => cardImportJobs.unstageUpTo(tx, id, Number.MAX_SAFE_INTEGER))
        return
      }
      await db.transaction((tx) => cardImportJobs.unstageUpTo(tx, id, through))
      after = through
      await breathe()
    }
  }

  async function finish(
    id: number,
    actor: AuditActor,
    status: 'done' | 'failed',
    rows: number,
    errors: ImportRowError[],
  ): Promise<ImportJob> {
    return db.transaction(async (tx) => {
      const now = clock.now()
      await cardImportJobs.finish(tx, id, status, JSON.stringify(errors), now)
      const job = await cardImportJobs.get(tx, id)
      if (!job) throw new Error('the import job vanished')
      const out = { ...toJob(job), rowsRead: rows }
      await recordAudit(tx, clock, {
        ...actor,
        action: 'import.cards',
        target: `import:${id}`,
        detail: {
          outcome: status,
          rows,
          created: out.created,
          updated: out.updated,
          unchanged: out.unchanged,
          pointsIgnored: out.pointsIgnored,
          errors: errors.length,
        },
      })
      return out
    })
  }

  return {
    /** A new import waiting for its file (`bytesTotal`: its announced size, if known). */
    async open(actor: AuditActor, bytesTotal: number | null): Promise<ImportJob> {
      if (bytesTotal !== null && bytesTotal > maxBytes) throw new ImportFileTooLarge(maxBytes)
      const id = await db.transaction((tx) =>
        cardImportJobs.create(tx, actor.actor, bytesTotal, clock.now()),
      )
      return this.get(id)
    },

    async get(id: number): Promise<ImportJob> {
      const job = await cardImportJobs.get(db, id)
      if (!job) throw new NotFound('No such import.')
      return toJob(job)
    },

    /**
     * Reads the job's file from `body` (streamed; at most `maxBytes`), then merges it or
     * refuses it whole. Resolves with the finished job (its errors when refused).
     */
    async upload(
      id: number,
      actor: AuditActor,
      body: AsyncIterable<Uint8Array>,
      bytesTotal: number | null,
    ): Promise<ImportJob> {
      if (bytesTotal !== null && bytesTotal > maxBytes) throw new ImportFileTooLarge(maxBytes)
      const started = await db.transaction((tx) =>
        cardImportJobs.start(tx, id, bytesTotal, clock.now()),
      )
      if (!started) {
        await this.get(id)
        throw new AlreadyExists('This import has received its file already: start a new one.')
      }
      let bytesRead = 0
      let rowsRead = 0
      async function* counted(): AsyncGenerator<Uint8Array> {
        for await (const chunk of body) {
          bytesRead += chunk.byteLength
          if (bytesRead > maxBytes) throw new ImportFileTooLarge(maxBytes)
          yield chunk
        }
      }
      const write: ImportWriter = async (_db, _now, rows: ImportRows, hooks) => {
        for await (const chunkRows of rows) {
          // A chunk of the upload can be large: staged a step at a time.
          for (let i = 0; i < chunkRows.length; i += STAGE_STEP_ROWS) {
            const batch = chunkRows.slice(i, i + STAGE_STEP_ROWS)
            rowsRead += batch.length
            const staged = await db.transaction(async (tx) => {
              const lines = await cardImportJobs.stage(tx, id, batch)
              await cardImportJobs.progress(tx, {
                id,
                bytesRead,
                rowsRead,
                rowsStaged: lines.size,
                now: clock.now(),
              })
              return lines
            })
            for (const r of batch) if (!staged.has(r.line)) hooks.duplicate(r.line)
            await breathe()
          }
        }
        if (!hooks.accept()) return undefined
        await db.transaction((tx) =>
          cardImportJobs.merging(tx, { id, bytesRead, rowsRead, now: clock.now() }),
        )
        return merge(id, 0, hooks)
      }
      let result: Awaited<ReturnType<typeof importCards>>
      try {
        result = await importCards(db, pinKey, Readable.from(counted()), clock.now(), stats, write)
      } catch (err) {
        const job = await cardImportJobs.get(db, id)
        // Not merged yet: the file is refused whole. (A failure while merging leaves the job
        // `merging`: decision 061 says how it is finished.)
        if (job?.status === 'reading') {
          await unstage(id)
          const message =
            err instanceof ImportFileTooLarge ? err.message : 'the upload broke off before its end'
          await finish(id, actor, 'failed', rowsRead, [{ line: 0, message }])
        }
        throw err
      }
      if (result.errors.length > 0) {
        await unstage(id)
        return finish(id, actor, 'failed', result.rows, result.errors)
      }
      return finish(id, actor, 'done', result.rows, [])
    },
  }
}

export type CardImportJobs = ReturnType<typeof createCardImportJobs>
