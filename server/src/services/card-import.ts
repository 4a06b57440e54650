import type { Readable } from 'node:stream'
import { cardNumberProblem, normalizeCardNumber, RANKS } from '@membercard/shared'
import { parse } from 'csv-parse'
import type { Db } from '../db/client.ts'
import { hashPin } from './pin.ts'

/** One bad row of an import, by its line number in the file. */
export interface ImportRowError {
  line: number
  message: string
}

/** What an import did (nothing at all when `errors` is not empty). */
export interface ImportResult {
  rows: number
  created: number
  updated: number
  unchanged: number
  /** Existing cards whose `points` in the file differ: the ledger owns balances once imported. */
  pointsIgnored: number
  errors: ImportRowError[]
}

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
 * Idempotent: a card already present is updated only where its name, rank, birth date or PIN
 * differ; its points are never overwritten (see docs/decisions/003-import-points.md).
 */
export async function importCards(
  db: Db,
  pinKey: Buffer,
  input: Readable,
  now: number,
): Promise<ImportResult> {
  const sqlite = db.$client
  const insertCard = sqlite.prepare(
    `INSERT INTO point_cards (card_number, pin_hash, name, rank, birth_date, points, source, last_activity_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'import', ?, ?, ?) ON CONFLICT(card_number) DO NOTHING`,
  )
  // The opening balance of every card this import created, in one pass at the end (card order,
  // same transaction): a million single-row inserts would cost a round trip into SQLite each.
  const insertOpeningBalances = sqlite.prepare(
    `INSERT INTO ledger (card_id, type, points, balance_after, note, created_at)
     SELECT id, 'import', points, points, 'import', ? FROM point_cards
      WHERE id > ? AND points > 0 ORDER BY id`,
  )
  const findCard = sqlite.prepare<
    [string],
    {
      id: number
      pin_hash: string | null
      name: string
      rank: string
      birth_date: string | null
      points: number
      source: string
    }
  >(
    'SELECT id, pin_hash, name, rank, birth_date, points, source FROM point_cards WHERE card_number = ?',
  )
  const updateCard = sqlite.prepare(
    'UPDATE point_cards SET pin_hash = ?, name = ?, rank = ?, birth_date = ?, updated_at = ? WHERE id = ?',
  )

  const result: ImportResult = {
    rows: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    pointsIgnored: 0,
    errors: [],
  }
  const maxId = sqlite.prepare<[], { m: number }>(
    'SELECT coalesce(max(id), 0) AS m FROM point_cards',
  )
  // Cards with a higher id were created by this import (read inside the write transaction, so
  // no card the server creates meanwhile can count): meeting one again is a duplicate row.
  let maxIdBefore = 0
  let header: Map<string, number> | undefined
  /** Column positions, from the header (-1: absent). */
  let col = { card_number: -1, pin: -1, name: -1, points: -1, rank: -1, birth_date: -1 }
  let stopped = false

  /** Handles one record; synchronous, so the whole file runs in one SQLite transaction. */
  function handle(cells: string[], line: number): void {
    if (!header) {
      header = new Map(cells.map((name, i) => [name.trim().toLowerCase(), i]))
      const missing = REQUIRED.filter((c) => !header?.has(c))
      const unknown = [...header.keys()].filter(
        (c) =>
          !(REQUIRED as readonly string[]).includes(c) &&
          !(OPTIONAL as readonly string[]).includes(c),
      )
      if (missing.length || unknown.length) {
        result.errors.push({
          line,
          message: [
            missing.length ? `missing column(s): ${missing.join(', ')}` : '',
            unknown.length ? `unknown column(s): ${unknown.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; '),
        })
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
      return
    }
    result.rows++
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
    const pointsText = get(col.points)
    const points = /^\d{1,9}$/.test(pointsText) ? Number(pointsText) : Number.NaN
    if (Number.isNaN(points)) problems.push('points must be a non-negative integer')
    const rank = get(col.rank) || 'regular'
    if (!(RANKS as readonly string[]).includes(rank)) {
      problems.push(`rank must be one of ${RANKS.join(', ')}`)
    }
    const birthDate = get(col.birth_date) || null
    if (birthDate !== null && !validDate(birthDate)) {
      problems.push('birth_date must be a date YYYY-MM-DD')
    }
    if (problems.length === 0) {
      const pinHash = hashPin(pinKey, cardNumber, pin)
      const info = insertCard.run(cardNumber, pinHash, name, rank, birthDate, points, now, now, now)
      if (info.changes === 1) {
        result.created++
        return
      }
      const existing = findCard.get(cardNumber)
      if (!existing) throw new Error('card vanished during import')
      if (existing.id > maxIdBefore) {
        problems.push('card_number appears twice in this file')
      } else {
        if (
          existing.pin_hash !== pinHash ||
          existing.name !== name ||
          existing.rank !== rank ||
          existing.birth_date !== birthDate
        ) {
          updateCard.run(pinHash, name, rank, birthDate, now, existing.id)
          result.updated++
        } else {
          result.unchanged++
        }
        if (existing.points !== points) result.pointsIgnored++
        return
      }
    }
    result.errors.push({ line, message: problems.join('; ') })
    if (result.errors.length >= MAX_ERRORS) stopped = true
  }

  // A bigger page cache for the duration: index inserts of a large file stay in memory.
  const cacheBefore = sqlite.pragma('cache_size', { simple: true })
  sqlite.pragma('cache_size = -65536')
  sqlite.exec('BEGIN IMMEDIATE')
  try {
    maxIdBefore = maxId.get()?.m ?? 0
    await new Promise<void>((resolveDone, rejectDone) => {
      // Without `info: true`: building an info object per record cost ~10 % of an import.
      // The line number is read from the parser's live `info` instead, in a 'data' handler:
      // a Transform stream in flowing mode hands each record over as it is pushed, while the
      // parser still stands at the record's last line. Checked: its record count must match.
      const parser = parse({ bom: true, skip_empty_lines: true })
      let seen = 0
      parser.on('data', (record: string[]) => {
        if (stopped) return
        seen++
        try {
          if (parser.info.records !== seen) {
            throw new Error('CSV records arrived late: their line numbers are unknown')
          }
          handle(record, parser.info.lines)
        } catch (err) {
          stopped = true
          parser.destroy()
          input.destroy()
          rejectDone(err)
        }
      })
      parser.on('end', () => resolveDone())
      parser.on('error', (err: Error & { code?: string; lines?: number }) => {
        if (typeof err.code === 'string' && err.code.startsWith('CSV_')) {
          result.errors.push({ line: err.lines ?? 0, message: `CSV: ${err.message}` })
          resolveDone()
        } else {
          rejectDone(err)
        }
      })
      input.on('error', (err) => rejectDone(err))
      input.pipe(parser)
    })
    if (!header && result.errors.length === 0) {
      result.errors.push({ line: 1, message: 'the file is empty (a header row is required)' })
    }
    if (result.errors.length === 0) {
      insertOpeningBalances.run(now, maxIdBefore)
      sqlite.exec('COMMIT')
    }
  } finally {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK')
    sqlite.pragma(`cache_size = ${Number(cacheBefore)}`)
  }
  if (result.errors.length) {
    return { ...result, created: 0, updated: 0, unchanged: 0, pointsIgnored: 0 }
  }
  return result
}
