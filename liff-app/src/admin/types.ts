/**
 * The admin API's answers, as agreed for issue 14 (`ADMIN-API.md`; the contract's "Operators"
 * part). The client (`api.ts`) returns these.
 */

import type {
  AdminKpis,
  AdminMemberHit,
  AdminSession,
  AdminStaff,
  AdminStore,
  AuditItem,
  KpiPeriodFigures,
  StaffRole,
} from '@membercard/shared'
import type { AdminApi } from './api.ts'

export type { RecoveryCodeStatus, TotpEnrollment } from '@membercard/shared'

/** Staff roles; the console opens for `operator` and `admin`. */
export type Role = StaffRole
/** `GET /api/admin/session` and `POST /api/admin/session`. */
export type SessionInfo = AdminSession
export type Store = AdminStore
export type StaffAccount = AdminStaff
/** One entry of `GET /api/admin/audit`. */
export type AuditEntry = AuditItem

/** `GET /api/admin/kpis`: the period's figures, and the period before's. */
export type Kpis = AdminKpis
/** The flow figures a period has (compared with the period before). */
export type PeriodFigures = Pick<
  KpiPeriodFigures,
  'newLinks' | 'bonusPointsGranted' | 'pointsAwarded' | 'pointsRedeemed' | 'pointsExpired'
>

/** One row of `GET /api/admin/members`. */
export type MemberRow = AdminMemberHit

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

/** `GET /api/admin/members/{cardId}`, as the typed client infers it from the route. */
export type MemberDetail = Awaited<ReturnType<AdminApi['member']>>

/** One entry of a member's history: the customer's history item. */
export type { HistoryItem } from '@membercard/shared'

/** `POST /api/admin/members/{cardId}/adjust`. */
export interface AdjustResult {
  transactionId: string
  points: number
  balance: number
}

export interface AuditFilter {
  actor?: string
  action?: string
  from?: string
  to?: string
}

/** An import of point cards, as `GET /api/admin/imports/{id}` answers. */
export interface ImportJob {
  id: number
  status: 'waiting' | 'reading' | 'merging' | 'done' | 'failed'
  bytesTotal: number | null
  bytesRead: number
  rowsRead: number
  rowsStaged: number
  rowsMerged: number
  created: number
  updated: number
  unchanged: number
  pointsIgnored: number
  errors: { line: number; message: string }[]
  createdAt: string
}
