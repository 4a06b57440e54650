import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** One member as exported. */
export interface MemberExportRow {
  id: number
  cardNumber: string
  name: string
  rank: string
  points: number
  birthDate: string | null
  source: string
  createdAt: number
  lastActivityAt: number | null
  /** When the card's current LINE link was made; null when not linked. */
  linkedAt: number | null
}

/** One ledger entry as exported. */
export interface LedgerExportRow {
  id: number
  createdAt: number
  cardNumber: string
  type: string
  points: number
  balanceAfter: number
  storeCode: string | null
  staffId: string | null
  purchaseAmount: number | null
  voidsEntryId: number | null
  note: string | null
}

const membersPage = query<{ afterId: number; limit: number }, MemberExportRow>(
  (p) => sql`SELECT c.id, c.card_number AS "cardNumber", c.name, c.rank, c.points,
      c.birth_date AS "birthDate", c.source, c.created_at AS "createdAt",
      c.last_activity_at AS "lastActivityAt", l.linked_at AS "linkedAt"
    FROM point_cards c
    LEFT JOIN line_links l ON l.card_id = c.id AND l.unlinked_at IS NULL
    WHERE c.id > ${p.afterId} ORDER BY c.id LIMIT ${p.limit}`,
)

const ledgerPage = query<
  { from: number; until: number; afterId: number; limit: number },
  LedgerExportRow
>(
  (p) => sql`SELECT e.id, e.created_at AS "createdAt", c.card_number AS "cardNumber", e.type,
      e.points, e.balance_after AS "balanceAfter", e.store_code AS "storeCode",
      e.staff_id AS "staffId", e.purchase_amount AS "purchaseAmount",
      e.voids_entry_id AS "voidsEntryId", e.note
    FROM ledger e JOIN point_cards c ON c.id = e.card_id
    WHERE e.created_at >= ${p.from} AND e.created_at < ${p.until} AND e.id > ${p.afterId}
    ORDER BY e.id LIMIT ${p.limit}`,
)

/**
 * Exports read page by page, keyed on the id (keyset pagination: each page is one indexed
 * range read, however deep into the table), so an export never holds more than a page.
 */
export const exportRows = {
  membersPage: (db: Executor, afterId: number, limit: number) =>
    db.all(membersPage, { afterId, limit }),
  ledgerPage: (db: Executor, p: { from: number; until: number; afterId: number; limit: number }) =>
    db.all(ledgerPage, p),
}
