import type { Readable } from 'node:stream'
import { cardNumberProblem, normalizeCardNumber, RANKS } from '@membercard/shared'
import { parse } from 'csv-parse'
import type { Database } from '../db/seam.ts'
import {
  emptyTally,
  type ImportHooks,
  type ImportRow,
  type ImportRows,
  type ImportTally,
  importCardRows,
} from '../repositories/card-import.ts'
import type { DailyStats } from './daily-stats.ts'
import { hashPin } from './pin.ts'
import { createUtf8Guard } from './utf8-guard.ts'

/** One bad row of an import, by its line number in the file. */
export interface ImportRowError {
  line: number
  message: string
}

/** What an import did (nothing at all when `errors` is not empty). */
export interface ImportResult extends ImportTally {
  rows: number
  errors: ImportRowError[]
}

/**
 * The longest record accepted, in bytes: a real one (16 digits, a PIN, a 100-character name,
 * points, rank, date) is far shorter. A longer one is refused with its line as soon as the
 * parser has read this much of it, so a file without line breaks is never buffered whole.
 */
export const MAX_RECORD_BYTES = 4096

/**
 * Writes the valid rows of a file: by default in one transaction (`importCardRows`, the
 * command line's path); the console's import stages them and merges in short transactions
 * (services/card-import-job.ts).
 */
export type ImportWriter = (
  db: Database,
  now: number,
  rows: ImportRows,
  hooks: ImportHooks,
) => Promise<ImportTally | undefined>

const REQUIRED = ['card_number', 'pin', 'name', 'points'] as const
const OPTIONAL = ['rank', 'birth_date'] as const
const MAX_ERRORS = 50

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** A real calendar date `YYYY-MM-DD` (with leap years), checked by arithmetic: no Date per row. */
function validDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false
  const year = Number(s.slice(0, 4))
  const month = Number(s.slice(5, 7))
  const day = Number(s.slice(8, 10))
  if (month < 1 || month > 12 || day < 1) return false
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0))
}

/**
 * Imports point cards from a CSV stream (see the contract for the format), streaming, in one
 * transaction: a bad row is reported with its line number and nothing of the file is kept.
 * Idempotent: a card already present is updated only where its PIN, name, rank or birth date
 * differ; its points are never overwritten (see docs/decisions/003-import-points.md). A rank
 * or birth date the file does not give (no such column, or an empty cell) leaves the card's
 * own; a new card then gets `regular` and no birth date.
 *
 * The import holds locks until its commit (SQLite: the database's write lock from its first
 * row; PostgreSQL: an import lock, and the cards it updates from the merge on): run it from
 * the command line (`pnpm cards:import`), not inside a serving process.
 */
export async function importCards(
  db: Database,
  pinKey: Buffer,
  input: Readable,
  now: number,
  /** The dashboard's counters: the new cards and their opening balances are counted. */
  stats: DailyStats,
  write: ImportWriter = importCardRows,
): Promise<ImportResult> {
  const errors: ImportRowError[] = []
  let rows = 0
  let header: Map<string, number> | undefined
  /** Column positions, from the header (-1: absent). */
  let col = { card_number: -1, pin: -1, name: -1, points: -1, rank: -1, birth_date: -1 }
  /** Set once the file cannot be imported and the rest of it need not be read. */
  let stopped = false

  function report(line: number, message: string): void {
    errors.push({ line, message })
    if (errors.length >= MAX_ERRORS) stopped = true
  }

  /** Reads the header row; a missing or unknown column stops the import. */
  function readHeader(cells: string[], line: number): void {
    header = new Map(cells.map((name, i) => [name.trim().toLowerCase(), i]))
    const missing = REQUIRED.filter((c) => !header?.has(c))
    const unknown = [...header.keys()].filter(
      (c) =>
        !(REQUIRED as readonly string[]).includes(c) &&
        !(OPTIONAL as readonly string[]).includes(c),
    )
    if (missing.length || unknown.length) {
      report(
        line,
        [
          missing.length ? `missing column(s): ${missing.join(', ')}` : '',
          unknown.length ? `unknown column(s): ${unknown.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
      )
      stopped = true
    }
    const h = header
    const at = (name: string) => h.get(name) ?? -1
    col = {
      card_number: at('card_number'),
      pin: at('pin'),
      name: at('name'),
      points: at('points'),
      rank: at('rank'),
      birth_date: at('birth_date'),
    }
  }

  /** Checks one data row: the row to write, or undefined when it is bad (reported). */
  function check(cells: string[], line: number): ImportRow | undefined {
    rows++
    const get = (i: number) => (i < 0 ? '' : (cells[i] ?? '').trim())
    const problems: string[] = []
    const cardNumber = normalizeCardNumber(get(col.card_number))
    const cardProblem = cardNumberProblem(cardNumber)
    if (cardProblem === 'format') problems.push('card_number must be 16 digits')
    if (cardProblem === 'checkDigit') problems.push('card_number has a wrong check digit')
    const pin = get(col.pin)
    if (!/^\d{4}$/.test(pin)) problems.push('pin must be 4 digits')
    const name = get(col.name)
    if (name === '' || name.length > 100) problems.push('name must be 1–100 characters')
    else if (name.includes('\0')) problems.push('name must not contain a NUL character')
    const pointsText = get(col.points)
    const points = /^\d{1,9}$/.test(pointsText) ? Number(pointsText) : Number.NaN
    if (Number.isNaN(points)) problems.push('points must be a non-negative integer')
    const rank = get(col.rank) || null
    if (rank !== null && !(RANKS as readonly string[]).includes(rank)) {
      problems.push(`rank must be one of ${RANKS.join(', ')}`)
    }
    const birthDate = get(col.birth_date) || null
    if (birthDate !== null && !validDate(birthDate)) {
      problems.push('birth_date must be a date YYYY-MM-DD')
    }
    if (problems.length === 0) {
      return {
        line,
        cardNumber,
        pinHash: hashPin(pinKey, cardNumber, pin),
        name,
        rank,
        birthDate,
        points,
      }
    }
    report(line, problems.join('; '))
    return undefined
  }

  /**
   * The file's valid rows, a batch per chunk read; bad rows are reported as they are met.
   * Reading stops early (too many errors, a bad header); a CSV error ends the file.
   */
  async function* validRows(): AsyncGenerator<ImportRow[]> {
    // Without `info: true`: building an info object per record cost ~10 % of an import.
    // The line number is read from the parser's live `info` instead, in a 'data' handler:
    // a Transform stream in flowing mode hands each record over as it is pushed, while the
    // parser still stands at the record's last line. Checked: its record count must match.
    const parser = parse({ bom: true, skip_empty_lines: true, max_record_size: MAX_RECORD_BYTES })
    const utf8 = createUtf8Guard()
    /** Refuses the file at the parser's current line: its bytes are not UTF-8. */
    const notUtf8 = () => {
      report(parser.info.lines, 'the file is not valid UTF-8 here (save it as UTF-8)')
      stopped = true
    }
    let batch: ImportRow[] = []
    let seen = 0
    let failure: unknown
    let csvError: ImportRowError | undefined
    parser.on('data', (record: string[]) => {
      if (stopped) return
      seen++
      try {
        if (parser.info.records !== seen) {
          throw new Error('CSV records arrived late: their line numbers are unknown')
        }
        const line = parser.info.lines
        if (!header) {
          readHeader(record, line)
          return
        }
        const row = check(record, line)
        if (row) batch.push(row)
      } catch (err) {
        stopped = true
        failure ??= err
      }
    })
    /** A CSV error of the parser: the file is refused at its line. */
    const onParserError = (err: Error & { code?: string; lines?: number }) => {
      if (csvError || failure) return // reported already (seen on `errored` first)
      if (err.code === 'CSV_MAX_RECORD_SIZE') {
        csvError = {
          line: err.lines ?? 0,
          message: `the record is longer than ${MAX_RECORD_BYTES} bytes`,
        }
      } else if (typeof err.code === 'string' && err.code.startsWith('CSV_')) {
        csvError = { line: err.lines ?? 0, message: `CSV: ${err.message}` }
      } else {
        failure ??= err
      }
      stopped = true
    }
    const ended = new Promise<void>((resolveEnd) => {
      parser.on('end', () => resolveEnd())
      parser.on('error', (err: Error) => {
        onParserError(err)
        resolveEnd()
      })
    })

    let read = false
    try {
      for await (const chunk of input as AsyncIterable<Buffer | string>) {
        if (stopped || parser.destroyed) break
        const bad = typeof chunk === 'string' ? -1 : utf8.check(chunk)
        if (bad >= 0) {
          // The good bytes before it, so that the parser stands at the malformed one's line.
          parser.write((chunk as Buffer).subarray(0, bad))
          if (parser.errored) onParserError(parser.errored)
          else notUtf8()
          break
        }
        // The parser handles every record of the chunk before `write` returns; a CSV error
        // is known at once (`errored`), its event only later: the rest is not read.
        parser.write(chunk)
        if (parser.errored) onParserError(parser.errored)
        if (batch.length > 0) {
          const rowsOfChunk = batch
          batch = []
          yield rowsOfChunk
        }
      }
      read = true
      if (!stopped && !parser.destroyed && utf8.endsInside()) notUtf8()
    } finally {
      // Stopped early (too many errors, a bad header, a failure): the rest is not parsed.
      if (read && !stopped && !parser.destroyed) parser.end()
      else parser.destroy()
    }
    // Not stopped: the parser ends, or reports the CSV error it has just met.
    if (!stopped) await ended
    if (failure) throw failure
    if (batch.length > 0) yield batch
    if (csvError) errors.push(csvError)
    if (!header && errors.length === 0) {
      errors.push({ line: 1, message: 'the file is empty (a header row is required)' })
    }
  }

  const tally = await write(db, now, validRows(), {
    duplicate: (line) => report(line, 'card_number appears twice in this file'),
    accept: () => errors.length === 0,
    created: (tx, cards, points) => stats.cardsCreated(tx, cards, points, now),
  })
  if (errors.length > 0 || !tally) {
    errors.sort((a, b) => a.line - b.line)
    return { rows, ...emptyTally(), errors: errors.slice(0, MAX_ERRORS) }
  }
  return { rows, ...tally, errors }
}
