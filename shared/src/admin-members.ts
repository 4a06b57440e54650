import { z } from 'zod'
import { MAX_TILL_POINTS } from './schemas.ts'

/**
 * The console's dashboard and members API (ADMIN-API.md): query and body schemas, and the
 * answers' shapes, shared by the server and the console.
 */

/** `GET /api/admin/kpis`: dates are `YYYY-MM-DD` in the till's time zone, both included. */
export const adminKpisQuerySchema = z.strictObject({
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
})

/** `GET /api/admin/members`: `q` is a full card number, its last 4 digits, or part of a name. */
export const adminMembersQuerySchema = z.strictObject({
  q: z.string().trim().min(1).max(100),
  cursor: z.string().min(1).max(64).optional(),
})

/** `GET /api/admin/members/{cardId}/history`. */
export const adminHistoryQuerySchema = z.strictObject({
  cursor: z.string().min(1).max(64).optional(),
})

/** `POST /api/admin/members/{cardId}/adjust` (header `Idempotency-Key`). */
export const adminAdjustRequestSchema = z.strictObject({
  points: z
    .number()
    .int()
    .min(-MAX_TILL_POINTS)
    .max(MAX_TILL_POINTS)
    .refine((n) => n !== 0, 'must not be 0'),
  reason: z.string().trim().min(1).max(200),
})
export type AdminAdjustRequest = z.infer<typeof adminAdjustRequestSchema>

/** `POST /api/admin/members/{cardId}/erase` (admin). */
export const adminEraseRequestSchema = z.strictObject({
  reason: z.string().trim().min(1).max(200),
})

/** Linked or unlinked members over a period (docs/kpis.md). */
export interface MemberGroupFigures {
  members: number
  visitsPerMemberPerMonth: number | null
  averagePurchaseYen: number | null
}

/** The figures of one period. */
export interface KpiPeriodFigures {
  period: { from: string; to: string }
  friends: number
  linkedMembers: number
  linkRate: number | null
  newLinks: number
  bonusPointsGranted: number
  pointsAwarded: number
  pointsRedeemed: number
  pointsExpired: number
  outstandingPoints: number
  activeMembers30: number
  activeMembers90: number
  linkedVsUnlinked: { linked: MemberGroupFigures; unlinked: MemberGroupFigures }
}

/** `GET /api/admin/kpis` → 200. */
export interface AdminKpis extends KpiPeriodFigures {
  byStore: { storeCode: string; scans: number; awards: number; redeems: number }[]
  daily: { date: string; newLinks: number; pointsAwarded: number; pointsRedeemed: number }[]
  /** The period of equal length just before: flows in it, states at its end. */
  previous: KpiPeriodFigures
  /** Coupon copies issued in the period. */
  couponsIssued: number
  /** Coupon uses in the period (reversed ones not counted). */
  couponsUsed: number
}

/** A member in `GET /api/admin/members` → 200 `{"items", "nextCursor"}`. */
export interface AdminMemberHit {
  cardId: string
  cardNumber: string
  name: string
  rank: string
  points: number
  linked: boolean
}

/** `GET /api/admin/members/{cardId}` → 200. */
export interface AdminMemberDetail extends AdminMemberHit {
  birthDate: string | null
  linkedAt: string | null
  /** Null when not linked, or when LINE never told us (no follow or unfollow event). */
  friend: boolean | null
  locked: { until: string } | null
  /** Set once the member was erased on request. */
  erasedAt: string | null
  consents: { version: string; acceptedAt: string }[]
  messages: { at: string; kind: string; status: 'sent' | 'failed' | 'pending' }[]
}
