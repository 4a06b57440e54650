import type { AuditItem } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database, Executor } from '../db/seam.ts'
import { auditLog } from '../repositories/audit-log.ts'
import { startOfDay } from './points.ts'

const DAY_MS = 24 * 60 * 60_000

/** The date after `date` (`YYYY-MM-DD`). */
function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10)
}

/** The start (Unix ms) of the calendar day `date` (`YYYY-MM-DD`) in `timeZone`. */
export function dayStartIn(date: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const noonUtc = Date.UTC(y, m - 1, d, 12)
  const name = new Intl.DateTimeFormat('en-CA', { timeZone })
  // Noon UTC is on the same date in every zone from UTC-12 to UTC+11; the two neighbours cover
  // the rest.
  for (const t of [noonUtc, noonUtc - DAY_MS, noonUtc + DAY_MS]) {
    const start = startOfDay(t, timeZone)
    if (name.format(start) === date) return start
  }
  return startOfDay(noonUtc, timeZone)
}

/**
 * What the audit trail records: who (a staff ID), did what (a dotted action name such as
 * `member.adjust`), to which record, from which client address, and the particulars. Never put
 * a password, PIN, token, TOTP code or full card number in `detail`.
 */
export interface AuditEntry {
  actor: string
  action: string
  /** `card:123`, `staff:tanaka`, `store:S001`, ...; null when the action has no one target. */
  target?: string | null
  /** The trusted client address (http/client-address.ts). */
  address?: string | null
  detail?: Record<string, unknown>
}

/** Who acts and from where: what a route hands to a service that records its actions. */
export interface AuditActor {
  actor: string
  address: string | null
}

/** The longest `detail` kept (JSON characters); more is cut and marked. */
const MAX_DETAIL = 4000

function detailJson(detail: Record<string, unknown> | undefined): string {
  const json = JSON.stringify(detail ?? {})
  return json.length <= MAX_DETAIL ? json : JSON.stringify({ truncated: true })
}

/**
 * Appends an entry in the caller's transaction, so it commits (or rolls back) with the change
 * it records. `at` is the clock's now.
 */
export function recordAudit(tx: Executor, clock: Clock, e: AuditEntry): Promise<number> {
  return auditLog.insert(tx, {
    at: clock.now(),
    actor: e.actor,
    action: e.action,
    target: e.target ?? null,
    address: e.address ?? null,
    detail: detailJson(e.detail),
  })
}

/** A page of the trail: filters, and the cursor of the page before. */
export interface AuditQuery {
  actor?: string | undefined
  action?: string | undefined
  /** First day (`YYYY-MM-DD`, the till's time zone), included. */
  from?: string | undefined
  /** Last day (`YYYY-MM-DD`, the till's time zone), included. */
  to?: string | undefined
  cursor?: string | undefined
  limit?: number
}

/** The audit trail: `record` inside the transaction of each change; `page` to read it. */
export function createAuditService({
  db,
  clock,
  timeZone,
}: {
  db: Database
  clock: Clock
  /** The till's time zone: the days of `from` and `to`. */
  timeZone: string
}) {
  return {
    /** Appends an entry in `tx` (see `recordAudit`). */
    record: (tx: Executor, e: AuditEntry) => recordAudit(tx, clock, e),

    /** Entries newest first, filtered; `nextCursor` is null on the last page. */
    async page(q: AuditQuery): Promise<{ items: AuditItem[]; nextCursor: string | null }> {
      const limit = Math.min(Math.max(q.limit ?? 50, 1), 200)
      const rows = await auditLog.page(db, {
        actor: q.actor ?? null,
        action: q.action ?? null,
        from: q.from === undefined ? null : dayStartIn(q.from, timeZone),
        until: q.to === undefined ? null : dayStartIn(nextDate(q.to), timeZone),
        before: q.cursor === undefined ? null : Number(q.cursor),
        limit: limit + 1,
      })
      const items = rows.slice(0, limit).map(
        (r): AuditItem => ({
          id: String(r.id),
          at: new Date(r.at).toISOString(),
          actor: r.actor,
          action: r.action,
          target: r.target,
          address: r.address,
          detail: JSON.parse(r.detail) as Record<string, unknown>,
        }),
      )
      const last = items.at(-1)
      return { items, nextCursor: rows.length > limit && last ? last.id : null }
    },
  }
}

export type AuditService = ReturnType<typeof createAuditService>

/** The actor of changes made with a command on the server (`pnpm staff:disable`, ...). */
export const CLI_ACTOR: AuditActor = { actor: 'cli', address: null }
