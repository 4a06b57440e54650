/**
 * The admin API's answers, as agreed for issue 14 (`ADMIN-API.md`; the contract's "Operators"
 * part). The client (`api.ts`) returns these.
 */

import type { AdminSession, AdminStaff, AdminStore, AuditItem, StaffRole } from '@membercard/shared'

export type { TotpEnrollment } from '@membercard/shared'

/** Staff roles; the console opens for `operator` and `admin`. */
export type Role = StaffRole
/** `GET /api/admin/session` and `POST /api/admin/session`. */
export type SessionInfo = AdminSession
export type Store = AdminStore
export type StaffAccount = AdminStaff
/** One entry of `GET /api/admin/audit`. */
export type AuditEntry = AuditItem

/** The numbers a period has, and the period before it has too. */
export interface PeriodFigures {
  newLinks: number
  bonusPointsGranted: number
  pointsAwarded: number
  pointsRedeemed: number
  pointsExpired: number
}

export interface GroupFigures {
  members: number
  visitsPerMemberPerMonth: number | null
  averagePurchaseYen: number | null
}

/** `GET /api/admin/kpis`. */
export interface Kpis extends PeriodFigures {
  period: { from: string; to: string }
  friends: number
  linkedMembers: number
  linkRate: number | null
  outstandingPoints: number
  activeMembers30: number
  activeMembers90: number
  previous: Partial<PeriodFigures> & Record<string, unknown>
  linkedVsUnlinked: { linked: GroupFigures; unlinked: GroupFigures }
  byStore: { storeCode: string; scans: number; awards: number; redeems: number }[]
  daily: { date: string; newLinks: number; pointsAwarded: number; pointsRedeemed: number }[]
}

/** One row of `GET /api/admin/members`. */
export interface MemberRow {
  cardId: string
  cardNumber: string
  name: string | null
  rank: string
  points: number
  linked: boolean
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

/** `GET /api/admin/members/{cardId}`. */
export interface MemberDetail {
  cardId: string
  cardNumber: string
  name: string | null
  rank: string
  points: number
  birthDate: string | null
  linked: boolean
  linkedAt: string | null
  friend: boolean | null
  locked: { until: string } | null
  consents: { version: string; acceptedAt: string }[]
  messages: { at: string; kind: string; status: string }[]
}

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
