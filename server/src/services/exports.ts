import type { Readable } from 'node:stream'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { exportRows } from '../repositories/exports.ts'
import { type AuditActor, dayStartIn, recordAudit } from './audit.ts'
import { type CsvCell, csvStream } from './csv-export.ts'

/** Rows read per statement: an export holds about one page in memory. */
export const EXPORT_PAGE_ROWS = 1000

const DAY_MS = 24 * 60 * 60_000

const MEMBER_COLUMNS = [
  'card_number',
  'name',
  'rank',
  'points',
  'birth_date',
  'source',
  'linked',
  'linked_at',
  'created_at',
  'last_activity_at',
]

const LEDGER_COLUMNS = [
  'entry_id',
  'created_at',
  'card_number',
  'type',
  'points',
  'balance_after',
  'store_code',
  'staff_id',
  'purchase_amount',
  'voids_entry_id',
  'note',
]

/**
 * The exports of head office (admin only): members and the ledger as CSV, streamed page by page
 * from the database, each one recorded in the audit trail before its first byte. Full card
 * numbers: exports exist to reconcile with the retailer's own systems, and only admins may
 * take one (docs/decisions/062-csv-exports.md). Times are local to the till's time zone,
 * `YYYY-MM-DD HH:mm:ss`, which spreadsheets read as dates.
 */
export function createExports({
  db,
  clock,
  timeZone,
  pageRows = EXPORT_PAGE_ROWS,
}: {
  db: Database
  clock: Clock
  timeZone: string
  pageRows?: number
}) {
  const local = new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  })
  const time = (ms: number | null): CsvCell => (ms === null ? null : local.format(Number(ms)))

  async function* members(): AsyncGenerator<CsvCell[]> {
    let after = 0
    for (;;) {
      const page = await exportRows.membersPage(db, after, pageRows)
      for (const m of page) {
        yield [
          m.cardNumber,
          m.name,
          m.rank,
          Number(m.points),
          m.birthDate,
          m.source,
          m.linkedAt === null ? 'no' : 'yes',
          time(m.linkedAt),
          time(m.createdAt),
          time(m.lastActivityAt),
        ]
      }
      const last = page.at(-1)
      if (!last || page.length < pageRows) return
      after = Number(last.id)
    }
  }

  async function* ledger(from: number, until: number): AsyncGenerator<CsvCell[]> {
    let after = 0
    for (;;) {
      const page = await exportRows.ledgerPage(db, { from, until, afterId: after, limit: pageRows })
      for (const e of page) {
        yield [
          Number(e.id),
          time(e.createdAt),
          e.cardNumber,
          e.type,
          Number(e.points),
          Number(e.balanceAfter),
          e.storeCode,
          e.staffId,
          e.purchaseAmount === null ? null : Number(e.purchaseAmount),
          e.voidsEntryId === null ? null : Number(e.voidsEntryId),
          e.note,
        ]
      }
      const last = page.at(-1)
      if (!last || page.length < pageRows) return
      after = Number(last.id)
    }
  }

  return {
    /** Every member, oldest card first. */
    async members(actor: AuditActor): Promise<Readable> {
      await db.transaction((tx) =>
        recordAudit(tx, clock, { ...actor, action: 'export.members', detail: {} }),
      )
      return csvStream(MEMBER_COLUMNS, members())
    },

    /** The ledger entries of the days `from`..`to` (`YYYY-MM-DD`, the till's time zone). */
    async ledger(actor: AuditActor, period: { from: string; to: string }): Promise<Readable> {
      const start = dayStartIn(period.from, timeZone)
      const nextDay = new Date(Date.parse(`${period.to}T00:00:00Z`) + DAY_MS)
      const until = dayStartIn(nextDay.toISOString().slice(0, 10), timeZone)
      await db.transaction((tx) =>
        recordAudit(tx, clock, { ...actor, action: 'export.ledger', detail: { ...period } }),
      )
      return csvStream(LEDGER_COLUMNS, ledger(start, until))
    },

    /** Today in the till's time zone (`YYYY-MM-DD`), and the day `days` before it. */
    defaultPeriod(days = 30): { from: string; to: string } {
      const now = clock.now()
      const day = new Intl.DateTimeFormat('en-CA', { timeZone })
      return { from: day.format(now - (days - 1) * DAY_MS), to: day.format(now) }
    },
  }
}

export type Exports = ReturnType<typeof createExports>
