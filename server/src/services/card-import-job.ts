import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { pid } from 'node:process'
import { Readable } from 'node:stream'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import {
  AlreadyExists,
  ImportFileTooLarge,
  ImportUploadBroken,
  NotFound,
} from '../domain/errors.ts'
import type { Logger } from '../logger.ts'
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
import { jobLeases } from '../repositories/job-leases.ts'
import { type AuditActor, recordAudit } from './audit.ts'
import { type ImportRowError, type ImportWriter, importCards } from './card-import.ts'
import type { DailyStats } from './daily-stats.ts'
import { type Spool, spoolUpload } from './upload-spool.ts'

/** Rows merged per transaction: a till write waits at most about one of these. */
export const MERGE_STEP_ROWS = 500

/** Rows staged per statement and transaction (within both dialects' bound-parameter limits). */
const STAGE_STEP_ROWS = 1000

/** The largest file the console's import accepts. */
export const MAX_IMPORT_BYTES = 200 * 1024 * 1024

/**
 * How long a process's hold on an import (a lease, `card-import:<id>`) lasts without being
 * renewed; it is renewed at the steps of the upload, the reading and the merge. An import
 * whose process stopped is taken over by `recover` once its lease has run out.
 */
export const IMPORT_LEASE_MS = 2 * 60_000

/** The reason a job gets when its process stopped while it read the file. */
export const READ_INTERRUPTED =
  'The server stopped while it read this file: nothing of it was kept. Upload it again.'

/** Another process took this import over (this one lost its lease): it stops here. */
class LeaseLost extends Error {}

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
  spoolRoot = tmpdir(),
  logger,
  leaseMs = IMPORT_LEASE_MS,
  stepBoundary,
}: {
  db: Database
  clock: Clock
  pinKey: Buffer
  /** The dashboard's counters (new cards and their opening balances are counted). */
  stats: DailyStats
  maxBytes?: number
  /** Where uploads are kept while they are read (each in a private folder of its own). */
  spoolRoot?: string
  /** Where a failure of an import running in the background is reported. */
  logger?: Logger
  leaseMs?: number
  /**
   * Awaited between two steps of reading and of merging, outside any transaction. Tests stop
   * an import here for good, as a process that dies between two steps would.
   */
  stepBoundary?: (stage: 'reading' | 'merging') => Promise<void>
}) {
  /** This process's hold on one import (see IMPORT_LEASE_MS). */
  function leaseOn(id: number) {
    const name = `card-import:${id}`
    const holder = `${hostname()}:${pid}:${randomUUID()}`
    let renewedAt = 0
    return {
      /** Takes the hold when nobody has it (or its holder's ran out); true when taken. */
      async take(): Promise<boolean> {
        renewedAt = clock.now()
        return jobLeases.take(db, { name, holder, now: renewedAt, expiresAt: renewedAt + leaseMs })
      },
      /** Renews the hold now and then; throws LeaseLost when another process has it. */
      async keep(): Promise<void> {
        const now = clock.now()
        if (now - renewedAt < leaseMs / 4) return
        renewedAt = now
        if (!(await jobLeases.extend(db, { name, holder, expiresAt: now + leaseMs }))) {
          throw new LeaseLost(`import ${id}: another process has taken it over`)
        }
      },
      release: () => jobLeases.release(db, { name, holder }).catch(() => {}),
    }
  }
  type Lease = ReturnType<typeof leaseOn>

  /** Between two steps: the event loop answers other requests; the hold is renewed. */
  async function between(stage: 'reading' | 'merging', lease: Lease): Promise<void> {
    await breathe()
    await stepBoundary?.(stage)
    await lease.keep()
  }

  /** Merges the staged rows after `afterLine` in steps; the tally of what they did. */
  async function merge(
    id: number,
    afterLine: number,
    hooks: Pick<ImportHooks, 'created'>,
    lease: Lease,
  ): Promise<ImportTally> {
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
          afterLine: after,
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
        // Refused (and rolled back) when another process merged from here meanwhile.
        if (!(await cardImportJobs.merged(tx, id, s, now))) {
          throw new LeaseLost(`import ${id}: merged by another process`)
        }
        await cardImportJobs.unstageUpTo(tx, id, s.throughLine)
        return s
      })
      if (!step) return tally
      after = step.throughLine
      tally.created += step.created
      tally.updated += step.updated
      tally.unchanged += step.unchanged
      tally.pointsIgnored += step.pointsIgnored
      await between('merging', lease)
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

  /**
   * Reads a file kept on disk into staging rows, then merges it or refuses it whole (the
   * background part of an import, under the job's lease). Never throws: a failure while
   * reading fails the job with its reason; one while merging leaves the job `merging` for
   * `recover` to finish (forward). The file is removed and the lease given back at the end.
   */
  async function readFile(id: number, actor: AuditActor, spool: Spool, lease: Lease) {
    let bytesRead = 0
    let rowsRead = 0
    async function* counted(): AsyncGenerator<Uint8Array> {
      for await (const chunk of createReadStream(spool.path) as AsyncIterable<Buffer>) {
        bytesRead += chunk.byteLength
        yield chunk
      }
    }
    const write: ImportWriter = async (_db, _now, rows: ImportRows, hooks) => {
      for await (const chunkRows of rows) {
        // A chunk of the file can be large: staged a step at a time.
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
          await between('reading', lease)
        }
      }
      if (!hooks.accept()) return undefined
      await spool.remove() // read to its end: the staged rows are all that is needed now
      await db.transaction((tx) =>
        cardImportJobs.merging(tx, { id, bytesRead, rowsRead, now: clock.now() }),
      )
      return merge(id, 0, hooks, lease)
    }
    try {
      const result = await importCards(
        db,
        pinKey,
        Readable.from(counted()),
        clock.now(),
        stats,
        write,
      )
      if (result.errors.length > 0) {
        await spool.remove()
        await unstage(id)
        await finish(id, actor, 'failed', result.rows, result.errors)
      } else {
        await finish(id, actor, 'done', result.rows, [])
      }
    } catch (err) {
      logger?.error('card import failed', { id, error: (err as Error).message.slice(0, 300) })
      await spool.remove().catch(() => {})
      // Not merged yet: the file is refused whole. (A failure while merging leaves the job
      // `merging`: `recover` finishes it.) Another process that took the job over owns it.
      if (!(err instanceof LeaseLost)) {
        await failIfReading(id, actor, rowsRead, 'The file could not be read to its end.').catch(
          (e: unknown) =>
            logger?.error('card import: failing it failed', {
              id,
              error: (e as Error).message.slice(0, 300),
            }),
        )
      }
    } finally {
      await spool.remove().catch(() => {})
      await lease.release()
    }
  }

  /** Refuses a job still reading its file: its staging rows removed, `failed` with `message`. */
  async function failIfReading(id: number, actor: AuditActor, rows: number, message: string) {
    const job = await cardImportJobs.get(db, id)
    if (job?.status !== 'reading') return false
    await unstage(id)
    await finish(id, actor, 'failed', rows, [{ line: 0, message }])
    return true
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
     * Takes the job's file from `body` (streamed to a private file on disk; at most
     * `maxBytes`) and resolves with the job (`reading`) as soon as all of it is on disk; the
     * file is then read, checked and merged in the background (`GET` the job for its
     * progress). An upload that breaks off or is too large fails the job with its reason
     * (`ImportUploadBroken`, `ImportFileTooLarge`); nothing of it is kept.
     */
    async receive(
      id: number,
      actor: AuditActor,
      body: AsyncIterable<Uint8Array>,
      bytesTotal: number | null,
    ): Promise<ImportJob> {
      if (bytesTotal !== null && bytesTotal > maxBytes) throw new ImportFileTooLarge(maxBytes)
      // Held from before the job leaves `waiting`, so `recover` never takes an upload under way.
      const lease = leaseOn(id)
      if (!(await lease.take())) {
        throw new AlreadyExists('This import has received its file already: start a new one.')
      }
      let handedOver = false
      try {
        const started = await db.transaction((tx) =>
          cardImportJobs.start(tx, id, bytesTotal, clock.now()),
        )
        if (!started) {
          await this.get(id)
          throw new AlreadyExists('This import has received its file already: start a new one.')
        }
        let spool: Spool
        try {
          spool = await spoolUpload(body, { root: spoolRoot, maxBytes, onChunk: lease.keep })
        } catch (err) {
          if (err instanceof LeaseLost) throw err
          const tooLarge = err instanceof ImportFileTooLarge
          const reason = tooLarge ? err.message : 'The upload broke off before its end.'
          await failIfReading(id, actor, 0, reason)
          throw tooLarge ? err : new ImportUploadBroken()
        }
        const job = await this.get(id).catch(async (err: unknown) => {
          await spool.remove()
          throw err
        })
        handedOver = true
        void readFile(id, actor, spool, lease)
        return job
      } finally {
        if (!handedOver) await lease.release()
      }
    },

    /**
     * Finishes the imports whose process stopped (their lease ran out): one left `merging` is
     * merged to its end from its resume line (every row was read and checked before the
     * first was merged, so finishing forward keeps the file all-or-nothing); one left
     * `reading` (its file went with its process) is refused whole with `READ_INTERRUPTED`.
     * Run at start and every minute; safe on several instances at once. The jobs finished.
     */
    async recover(): Promise<number> {
      let finished = 0
      for (const id of await cardImportJobs.unfinished(db)) {
        const lease = leaseOn(id)
        if (!(await lease.take())) continue // its process is alive (or another recovers it)
        try {
          const job = await cardImportJobs.get(db, id)
          if (!job) continue
          const actor: AuditActor = { actor: job.actor, address: null }
          const rows = Number(job.rowsRead)
          if (job.status === 'reading') {
            if (await failIfReading(id, actor, rows, READ_INTERRUPTED)) finished++
          } else if (job.status === 'merging') {
            const now = clock.now()
            await merge(
              id,
              Number(job.mergedThroughLine),
              {
                created: (tx, cards, points) => stats.cardsCreated(tx, cards, points, now),
              },
              lease,
            )
            await finish(id, actor, 'done', rows, [])
            finished++
          }
        } catch (err) {
          logger?.error('card import: recovery failed', {
            id,
            error: (err as Error).message.slice(0, 300),
          })
        } finally {
          await lease.release()
        }
      }
      return finished
    },
  }
}

export type CardImportJobs = ReturnType<typeof createCardImportJobs>
