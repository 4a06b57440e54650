import { z } from 'zod'

/** Ranks a member can hold. */
export const RANKS = ['regular', 'silver', 'gold'] as const
export type Rank = (typeof RANKS)[number]

/** Ledger entry types. */
export const LEDGER_TYPES = [
  'bonus',
  'award',
  'redeem',
  'expire',
  'void',
  'adjust',
  'import',
  'refund',
  /** Bonus points of a coupon used at the till. */
  'coupon',
] as const
export type LedgerType = (typeof LEDGER_TYPES)[number]

/** A linked member as the API shows it (the card number masked). */
export const memberSchema = z.object({
  cardNumber: z.string(),
  name: z.string(),
  points: z.number().int(),
  rank: z.string(),
})
export type Member = z.infer<typeof memberSchema>

/**
 * The member as `GET /api/me` shows it to the member: the card plus when the balance expires
 * and what the rank brings (the points rules, docs/points-rules.md).
 */
export interface MeMember extends Member {
  /** When the whole balance expires (no activity until then), or null (none, or no expiry). */
  pointsExpireAt: string | null
  /** The rank's earning multiplier (1.5 = 1.5× points). */
  rankMultiplier: number
  /** The next rank up and the progress to it (points earned within 365 days), or null. */
  nextRank: { rank: string; threshold: number; earned: number; multiplier: number } | null
}

/** `POST /api/link` body. */
export const linkRequestSchema = z.strictObject({
  cardNumber: z.string().max(64),
  pin: z.string().max(16),
  consent: z.strictObject({
    version: z.string().min(1).max(64),
    accepted: z.boolean(),
  }),
})
export type LinkRequest = z.infer<typeof linkRequestSchema>

/** `POST /api/cards` body: issue a new digital card and link it. */
export const issueCardRequestSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  consent: z.strictObject({
    version: z.string().min(1).max(64),
    accepted: z.boolean(),
  }),
})
export type IssueCardRequest = z.infer<typeof issueCardRequestSchema>

/** `GET /api/points/history` query. */
export const historyQuerySchema = z.strictObject({
  cursor: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
})

/** One ledger row as the customer sees it. */
export interface HistoryItem {
  id: string
  type: LedgerType
  points: number
  balance: number
  createdAt: string
  storeCode: string | null
  storeName: string | null
}

/** `POST /api/staff/login` body. */
export const staffLoginSchema = z.strictObject({
  staffId: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
  /** The current 6-digit TOTP code; required once the account has enrolled. */
  totp: z.string().max(16).optional(),
  /** One of the account's recovery codes instead of `totp` (each works once). */
  recoveryCode: z.string().max(32).optional(),
})

/** `POST /api/staff/scan` body. */
export const scanRequestSchema = z.strictObject({
  qrToken: z.string().min(1).max(256),
})

/** Public settings the LIFF app needs before it signs in. */
export interface ClientConfig {
  mode: 'demo' | 'line'
  liffId: string | null
  storeName: string
  bonusPoints: number
  consentVersion: string
  privacyPolicyUrl: string
  qrTtlSeconds: number
  /** The Official Account's basic ID (`@123abcde`) for "add friend", or null when not set. */
  oaBasicId: string | null
}

/** Largest purchase amount the till accepts, in yen. */
export const MAX_PURCHASE_YEN = 10_000_000
/** Largest number of points one till transaction may redeem or adjust. */
export const MAX_TILL_POINTS = 1_000_000

/** `POST /api/staff/points` body: award for a purchase, or redeem points. */
export const staffPointsRequestSchema = z.discriminatedUnion('type', [
  z.strictObject({
    qrToken: z.string().min(1).max(256),
    type: z.literal('award'),
    purchaseAmount: z.number().int().min(1).max(MAX_PURCHASE_YEN),
  }),
  z.strictObject({
    qrToken: z.string().min(1).max(256),
    type: z.literal('redeem'),
    points: z.number().int().min(1).max(MAX_TILL_POINTS),
  }),
  z.strictObject({
    type: z.literal('refund'),
    /** The award (its `transactionId`) whose purchase is returned, in whole or in part. */
    transactionId: z.string().regex(/^\d{1,15}$/, 'must be a transactionId'),
    refundAmount: z.number().int().min(1).max(MAX_PURCHASE_YEN),
  }),
])
export type StaffPointsRequest = z.infer<typeof staffPointsRequestSchema>

/** `POST /api/staff/adjust` body (managers): a signed correction with a reason. */
export const staffAdjustRequestSchema = z
  .strictObject({
    qrToken: z.string().min(1).max(256).optional(),
    cardNumber: z.string().min(1).max(64).optional(),
    points: z
      .number()
      .int()
      .min(-MAX_TILL_POINTS)
      .max(MAX_TILL_POINTS)
      .refine((n) => n !== 0, 'must not be 0'),
    reason: z.string().trim().min(1).max(200),
  })
  .refine((b) => (b.qrToken === undefined) !== (b.cardNumber === undefined), {
    message: 'give exactly one of qrToken or cardNumber',
  })
export type StaffAdjustRequest = z.infer<typeof staffAdjustRequestSchema>

/** `POST /api/staff/transactions/:id/void` body (managers). */
export const staffVoidRequestSchema = z.strictObject({
  reason: z.string().trim().min(1).max(200).optional(),
})

/** `GET /api/staff/transactions` query: today's transactions of the store, or only mine. */
export const staffTransactionsQuerySchema = z.strictObject({
  mine: z.enum(['0', '1', 'true', 'false']).optional(),
  /** The `nextCursor` of the previous page. */
  before: z
    .string()
    .regex(/^\d{1,15}$/, 'must be a nextCursor')
    .optional(),
})

/** The answer to a till transaction (award, redeem, void, adjust). */
export interface TillResult {
  transactionId: string
  points: number
  balance: number
}

/** One of today's transactions, as the till lists it. */
export interface TillTransaction {
  id: string
  type: LedgerType
  points: number
  balance: number
  createdAt: string
  staffId: string | null
  cardNumber: string
  memberName: string
  purchaseAmount: number | null
  note: string | null
  voidsId: string | null
  voidedBy: string | null
  /** True when the signed-in staff member may void it now. */
  voidable: boolean
  /** A refund: the award it takes points back from. */
  refundsId: string | null
  /** An award: the yen refunded so far (0 when none); null for other types. */
  refundedAmount: number | null
  /** True when the award can still be refunded (not voided, not wholly refunded). */
  refundable: boolean
}
