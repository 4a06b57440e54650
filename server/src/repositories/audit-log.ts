import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** One entry to append. `detail` is JSON text. */
export interface AuditInsert {
  at: number
  actor: string
  action: string
  target: string | null
  address: string | null
  detail: string
}

/** One entry as stored. */
export interface AuditRow extends AuditInsert {
  id: number
}

/** Filters of a page of the trail; null leaves a filter out. */
export interface AuditFilter {
  actor: string | null
  action: string | null
  /** Entries at or after this time (Unix ms). */
  from: number | null
  /** Entries before this time (Unix ms). */
  until: number | null
  /** Entries with a smaller id (the cursor). */
  before: number | null
  limit: number
}

const insert = query<AuditInsert>(
  (p) => sql`INSERT INTO audit_log (at, actor, action, target, address, detail)
    VALUES (${p.at}, ${p.actor}, ${p.action}, ${p.target}, ${p.address}, ${p.detail})`,
)
// A filter left out is a NULL parameter; `CAST(… AS …)` gives PostgreSQL its type.
const page = query<AuditFilter, AuditRow>(
  (p) => sql`SELECT id, at, actor, action, target, address, detail FROM audit_log
    WHERE (CAST(${p.actor} AS TEXT) IS NULL OR actor = ${p.actor})
      AND (CAST(${p.action} AS TEXT) IS NULL OR action = ${p.action})
      AND (CAST(${p.from} AS BIGINT) IS NULL OR at >= ${p.from})
      AND (CAST(${p.until} AS BIGINT) IS NULL OR at < ${p.until})
      AND (CAST(${p.before} AS BIGINT) IS NULL OR id < ${p.before})
    ORDER BY id DESC LIMIT ${p.limit}`,
)

/**
 * The audit trail. Append-only: this module has no statement that changes or removes an
 * entry, and the database's triggers refuse one (migrations `*_audit_append_only.sql`).
 */
export const auditLog = {
  insert: (db: Executor, e: AuditInsert) => db.run(insert, e),
  /** A page of entries, newest first. */
  page: (db: Executor, f: AuditFilter) => db.all(page, f),
}
