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
}
