import {
  type AdminKpis,
  type AdminMemberDetail,
  type AdminMemberHit,
  type AdminSession,
  type AdminStaff,
  type AdminStore,
  API_KEY_SCOPES,
  type ApiKeyCreated,
  type ApiKeyItem,
  type AuditItem,
  type ClientConfig,
  type Coupon,
  type CouponDetail,
  type CouponRedeemResult,
  type CouponReverseResult,
  couponRewardSchema,
  type HistoryItem,
  LEDGER_TYPES,
  lineMessageSchema,
  type MeMember,
  type MemberCoupon,
  memberSchema,
  messagingSettingsSchema,
  type RecoveryCodeStatus,
  type RecoveryCodes,
  SEGMENT_MAX_ITEMS,
  type Segment,
  STAFF_ROLES,
  segmentConditionSchema,
  type TillCouponUse,
  type TillResult,
  type TillRules,
  type TillTransaction,
  type TotpEnrollment,
  WEBHOOK_EVENT_TYPES,
  type WebhookDeliveryItem,
  type WebhookEndpointCreated,
  type WebhookEndpointItem,
} from '@membercard/shared'
import { z } from 'zod'
import type { Automation, RunItem } from '../services/automations.ts'
import type { Campaign } from '../services/campaigns.ts'
import type { ImportJob } from '../services/card-import-job.ts'
import type { Kpis } from '../services/kpis.ts'
import type { Quota } from '../services/quota.ts'

/**
 * The answers' shapes, for the OpenAPI document. The server does not validate its answers;
 * each schema `satisfies` the TypeScript type the route answers with (shared/src), so the
 * typecheck fails when the two drift apart, and the OpenAPI test checks real answers against
 * them.
 */

const iso = z.string().describe('ISO-8601 time')
const day = z.string().describe('YYYY-MM-DD (Asia/Tokyo)')
const cursor = z.string().nullable().describe('The next page’s `cursor`, or null on the last')

export const member = memberSchema.describe(
  'A member: the card number masked but its last 4 digits',
)

export const meMember = member.extend({
  pointsExpireAt: iso.nullable(),
  rankMultiplier: z.number(),
  nextRank: z
    .object({ rank: z.string(), threshold: z.number(), earned: z.number(), multiplier: z.number() })
    .nullable(),
}) satisfies z.ZodType<MeMember>

export const me = z.union([
  z.object({ linked: z.literal(false) }),
  z.object({ linked: z.literal(true), member: meMember }),
])

export const linked = z.object({ member, bonusPoints: z.number().int().min(0) })

export const issuedCard = z.object({
  member,
  bonusPoints: z.number().int().min(0),
  pin: z.string().nullable().describe('The new card’s PIN, shown once (null on a repeat)'),
  cardNumber: z.string().nullable().describe('The full card number, shown once'),
})

export const bonus = z.object({ eligible: z.boolean(), points: z.number().int().min(0) })

export const qr = z.object({ token: z.string(), expiresAt: iso })

export const deviceKey = z.object({
  linkId: z.number().int(),
  secret: z.string(),
  digits: z.number().int(),
  period: z.number().int(),
  qrPrefix: z.string(),
  issuedAt: iso,
})

const ratio = z.object({ num: z.number().int(), den: z.number().int() })

export const historyItem = z.object({
  id: z.string(),
  type: z.enum(LEDGER_TYPES),
  points: z.number().int(),
  balance: z.number().int(),
  createdAt: iso,
  storeCode: z.string().nullable(),
  storeName: z.string().nullable(),
}) satisfies z.ZodType<HistoryItem>

export const history = z.object({
  items: z.array(historyItem),
  nextCursor: cursor,
  expiring: z.object({ points: z.number().int(), expiresAt: iso }).nullable(),
})

export const preferences = z.object({ promotions: z.boolean() })

export const clientConfig = z.object({
  mode: z.enum(['demo', 'line']),
  liffId: z.string().nullable(),
  storeName: z.string(),
  bonusPoints: z.number().int(),
  consentVersion: z.string(),
  privacyPolicyUrl: z.string(),
  qrTtlSeconds: z.number().int(),
  oaBasicId: z.string().nullable(),
}) satisfies z.ZodType<ClientConfig>

export const staffSignedIn = z.object({
  token: z.string(),
  expiresAt: iso,
  role: z.enum(STAFF_ROLES),
  totpEnrolled: z.boolean(),
})

export const staffMe = z.object({
  staffId: z.string(),
  storeCode: z.string(),
  storeName: z.string(),
  role: z.enum(STAFF_ROLES),
  rules: z.object({
    rate: ratio,
    rankMultipliers: z.record(z.string(), ratio),
    voidWindowMinutes: z.number().int(),
  }) satisfies z.ZodType<TillRules>,
})

export const tillResult = z.object({
  transactionId: z.string(),
  points: z.number().int().describe('The signed change of the balance'),
  balance: z.number().int().min(0),
}) satisfies z.ZodType<TillResult>

export const tillTransaction = z.object({
  id: z.string(),
  type: z.enum(LEDGER_TYPES),
  points: z.number().int(),
  balance: z.number().int(),
  createdAt: iso,
  staffId: z.string().nullable(),
  cardNumber: z.string(),
  memberName: z.string(),
  purchaseAmount: z.number().int().nullable(),
  note: z.string().nullable(),
  voidsId: z.string().nullable(),
  voidedBy: z.string().nullable(),
  voidable: z.boolean(),
  refundsId: z.string().nullable(),
  refundedAmount: z.number().int().nullable(),
  refundable: z.boolean(),
}) satisfies z.ZodType<TillTransaction>

export const tillTransactions = z.object({ items: z.array(tillTransaction), nextCursor: cursor })

export const adminSession = z.object({
  staffId: z.string(),
  role: z.enum(STAFF_ROLES),
  storeCode: z.string().nullable(),
  totpEnrolled: z.boolean(),
  csrfToken: z.string(),
}) satisfies z.ZodType<AdminSession>

export const totpEnrollment = z.object({
  secret: z.string(),
  otpauthUrl: z.string(),
}) satisfies z.ZodType<TotpEnrollment>

export const auditPage = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      at: iso,
      actor: z.string(),
      action: z.string(),
      target: z.string().nullable(),
      address: z.string().nullable(),
      detail: z.record(z.string(), z.unknown()),
    }) satisfies z.ZodType<AuditItem>,
  ),
  nextCursor: cursor,
})

export const adminStore = z.object({
  code: z.string(),
  name: z.string(),
  active: z.boolean(),
}) satisfies z.ZodType<AdminStore>

export const adminStaff = z.object({
  staffId: z.string(),
  role: z.enum(STAFF_ROLES),
  storeCode: z.string().nullable(),
  disabled: z.boolean(),
  totpEnrolled: z.boolean(),
  lastSignInAt: iso.nullable(),
}) satisfies z.ZodType<AdminStaff>

export const stores = z.object({ items: z.array(adminStore) })

export const staffList = z.object({ items: z.array(adminStaff) })

const groupFigures = z.object({
  members: z.number().int(),
  visitsPerMemberPerMonth: z.number().nullable(),
  averagePurchaseYen: z.number().nullable(),
})

const periodFigures = z.object({
  period: z.object({ from: day, to: day }),
  friends: z.number().int(),
  linkedMembers: z.number().int(),
  linkRate: z.number().nullable(),
  newLinks: z.number().int(),
  bonusPointsGranted: z.number().int(),
  pointsAwarded: z.number().int(),
  pointsRedeemed: z.number().int(),
  pointsExpired: z.number().int(),
  outstandingPoints: z.number().int(),
  activeMembers30: z.number().int(),
  activeMembers90: z.number().int(),
  linkedVsUnlinked: z.object({ linked: groupFigures, unlinked: groupFigures }),
})

export const kpis = periodFigures.extend({
  byStore: z.array(
    z.object({
      storeCode: z.string(),
      scans: z.number().int(),
      awards: z.number().int(),
      redeems: z.number().int(),
    }),
  ),
  daily: z.array(
    z.object({
      date: day,
      newLinks: z.number().int(),
      pointsAwarded: z.number().int(),
      pointsRedeemed: z.number().int(),
    }),
  ),
  previous: periodFigures,
  couponsIssued: z.number().int().describe('Coupon copies issued in the period'),
  couponsUsed: z.number().int().describe('Coupon uses in the period (reversed ones not counted)'),
}) satisfies z.ZodType<AdminKpis & Kpis>

const memberHit = z.object({
  cardId: z.string(),
  cardNumber: z.string(),
  name: z.string(),
  rank: z.string(),
  points: z.number().int(),
  linked: z.boolean(),
}) satisfies z.ZodType<AdminMemberHit>

export const memberHits = z.object({ items: z.array(memberHit), nextCursor: cursor })

export const memberDetail = memberHit.extend({
  birthDate: day.nullable(),
  linkedAt: iso.nullable(),
  friend: z.boolean().nullable(),
  locked: z.object({ until: iso }).nullable(),
  erasedAt: iso.nullable(),
  consents: z.array(z.object({ version: z.string(), acceptedAt: iso })),
  messages: z.array(
    z.object({ at: iso, kind: z.string(), status: z.enum(['sent', 'failed', 'pending']) }),
  ),
}) satisfies z.ZodType<AdminMemberDetail>

export const memberHistory = z.object({
  items: z.array(historyItem),
  nextCursor: cursor,
})

export const importJob = z.object({
  id: z.number().int(),
  status: z.enum(['waiting', 'reading', 'merging', 'done', 'failed']),
  bytesTotal: z.number().int().nullable(),
  bytesRead: z.number().int(),
  rowsRead: z.number().int(),
  rowsStaged: z.number().int(),
  rowsMerged: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  pointsIgnored: z.number().int(),
  errors: z.array(z.object({ line: z.number().int(), message: z.string() })),
  createdAt: iso,
}) satisfies z.ZodType<ImportJob>

export const segmentCount = z.object({ matched: z.number().int(), reachable: z.number().int() })

/**
 * A segment as the document shows it. The server checks segments with a hand-made parser
 * (shared/src/segments.ts: exact error paths, a depth limit), which JSON Schema cannot be read
 * from; this says the same in JSON Schema: a group of groups and conditions.
 */
export const segment: z.ZodType = z
  .lazy(() => {
    const items = z.array(z.union([segment, segmentConditionSchema])).max(SEGMENT_MAX_ITEMS)
    return z.union([z.strictObject({ all: items }), z.strictObject({ any: items })])
  })
  .meta({ id: 'Segment', description: 'A group: all (and) or any (or) of segments and conditions' })

/** `POST /api/admin/segments/count` body, as the document shows it. */
export const segmentBody = z.strictObject({ segment })

/** A POS API key as listed (never the key itself). */
export const apiKey = z.object({
  id: z.number().int(),
  prefix: z.string().describe('The key’s visible start, e.g. `mck_1a2b3c4d`'),
  storeCode: z.string(),
  storeName: z.string().nullable(),
  name: z.string(),
  scopes: z.array(z.enum(API_KEY_SCOPES)),
  createdBy: z.string(),
  createdAt: iso,
  lastUsedAt: iso.nullable(),
  revokedAt: iso.nullable(),
}) satisfies z.ZodType<ApiKeyItem>

export const apiKeyCreated = apiKey.extend({
  key: z.string().describe('The key itself: shown this once, stored only as a hash'),
}) satisfies z.ZodType<ApiKeyCreated>

export const apiKeys = z.object({ items: z.array(apiKey) })

/** An outbound webhook endpoint as listed (never its secret). */
export const webhookEndpoint = z.object({
  id: z.number().int(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  createdBy: z.string(),
  createdAt: iso,
  pending: z.number().int(),
  failed: z.number().int(),
  lastDeliveredAt: iso.nullable(),
}) satisfies z.ZodType<WebhookEndpointItem>

export const webhookEndpointCreated = webhookEndpoint.extend({
  secret: z.string().describe('The signing secret: shown this once'),
}) satisfies z.ZodType<WebhookEndpointCreated>

export const webhookEndpoints = z.object({ items: z.array(webhookEndpoint) })

export const webhookDeliveries = z.object({
  items: z.array(
    z.object({
      id: z.number().int(),
      eventId: z.string(),
      eventType: z.string(),
      status: z.enum(['pending', 'delivered', 'failed']),
      attempts: z.number().int(),
      lastStatus: z.number().int().nullable(),
      lastError: z.string().nullable(),
      createdAt: iso,
      deliveredAt: iso.nullable(),
      failedAt: iso.nullable(),
      nextAttemptAt: iso.nullable(),
    }) satisfies z.ZodType<WebhookDeliveryItem>,
  ),
})

export const webhookTestSent = z.object({ eventId: z.string() })

/** A segment as an answer carries it (the same JSON Schema as `Segment`). */
const segmentOut = segment as z.ZodType<Segment>

/** `POST /api/admin/segments` body, as the document shows it. */
export const savedSegmentBody = z.strictObject({
  name: z.string().min(1).max(100),
  segment,
})

/** `POST /api/admin/coupons/{id}/issue` body, as the document shows it. */
export const couponIssueBody = z.strictObject({
  segment,
  notify: z.boolean().optional().describe('Also send the members a LINE notice (promotion)'),
  message: z.string().min(1).max(500).optional().describe('The notice’s text'),
})

export const savedSegment = z.object({
  id: z.number().int(),
  name: z.string(),
  segment: segmentOut,
  createdAt: iso,
})

export const savedSegments = z.object({ items: z.array(savedSegment) })

export const segmentSample = z.object({
  items: z.array(
    z.object({
      cardId: z.number().int(),
      cardNumber: z.string().describe('Masked but its last 4 digits'),
      name: z.string(),
      rank: z.string(),
      points: z.number().int(),
      reachable: z.boolean().describe('A friend of the account with promotions on'),
    }),
  ),
})

/** The message objects of a campaign or automation (text, image, flex). */
export const lineMessage = lineMessageSchema.meta({ id: 'LineMessage' })

export const campaign = z.object({
  id: z.number().int(),
  name: z.string(),
  status: z.enum(['scheduled', 'sending', 'sent', 'cancelled', 'failed']),
  recipients: z.number().int().describe('Members it was queued for'),
  sent: z.number().int(),
  failed: z.number().int(),
  excluded: z.number().int(),
  excludedBy: z.object({
    optedOut: z.number().int(),
    blocked: z.number().int(),
    frequencyCap: z.number().int(),
  }),
  segment: segmentOut,
  messages: z.array(lineMessage),
  scheduledAt: iso.nullable(),
  createdAt: iso,
  startedAt: iso.nullable(),
  finishedAt: iso.nullable(),
  aggregationUnit: z.string().describe('LINE’s unit of its statistics'),
}) satisfies z.ZodType<Campaign>

export const campaigns = z.object({ items: z.array(campaign), nextCursor: cursor })

/** `POST /api/admin/campaigns` body, as the document shows it. */
export const campaignBody = z.strictObject({
  name: z.string().min(1).max(100),
  segment,
  messages: z.array(lineMessage).min(1).max(5),
  scheduledAt: iso.optional().describe('Send later (ISO-8601 with offset); absent: now'),
})

export const campaignInsight = z.object({
  aggregationUnit: z.string(),
  uniqueImpression: z.number().int().nullable(),
  uniqueClick: z.number().int().nullable(),
  note: z.string(),
})

export const messagesValid = z.object({ valid: z.literal(true) })

export const testSent = z.object({ sentTo: z.number().int() })

export const testRecipient = z.object({ lineUserId: z.string(), label: z.string() })

export const testRecipients = z.object({ items: z.array(testRecipient) })

export const quota = z.object({
  type: z.enum(['limited', 'none']),
  limit: z.number().int().nullable(),
  used: z.number().int(),
  remaining: z.number().int().nullable(),
}) satisfies z.ZodType<Quota>

export const messagingSettings = messagingSettingsSchema

export const automationRun = z.object({
  id: z.number().int(),
  kind: z.string(),
  runDate: day,
  startedAt: iso,
  finishedAt: iso.nullable(),
  targeted: z.number().int(),
  sent: z.number().int(),
  excluded: z.number().int(),
  failed: z.number().int(),
}) satisfies z.ZodType<RunItem>

export const automation = z.object({
  kind: z.string(),
  enabled: z.boolean(),
  messages: z.array(lineMessage),
  params: z.record(z.string(), z.unknown()),
  lastRun: automationRun.nullable(),
}) satisfies z.ZodType<Automation>

export const automations = z.object({ items: z.array(automation) })

export const automationRuns = z.object({ items: z.array(automationRun), nextCursor: cursor })

export const couponReward = couponRewardSchema.meta({ id: 'CouponReward' })

export const coupon = z.object({
  id: z.number().int(),
  title: z.string(),
  description: z.string().nullable(),
  imageUrl: z.string().nullable(),
  reward: couponReward,
  validFrom: z.string().describe('As given: YYYY-MM-DD or ISO-8601'),
  validUntil: z.string().describe('As given: YYYY-MM-DD or ISO-8601'),
  validDaysAfterIssue: z.number().int().nullable(),
  perMemberLimit: z.number().int(),
  totalLimit: z.number().int().nullable(),
  minPurchaseYen: z.number().int().nullable(),
  storeCodes: z.array(z.string()).nullable().describe('null: every store'),
  followUpCouponId: z.number().int().nullable(),
  status: z.enum(['active', 'ended']),
  issued: z.number().int(),
  used: z.number().int(),
  createdAt: iso,
}) satisfies z.ZodType<Coupon>

export const coupons = z.object({ items: z.array(coupon), nextCursor: cursor })

export const couponDetail = coupon.extend({
  usageRate: z.number().nullable().describe('used ÷ issued (null when none issued)'),
  byStore: z.array(z.object({ storeCode: z.string(), used: z.number().int() })),
  byDay: z.array(z.object({ date: day, issued: z.number().int(), used: z.number().int() })),
}) satisfies z.ZodType<CouponDetail>

export const couponIssued = z.object({
  issued: z.number().int(),
  skipped: z.number().int().describe('Matched members who hold a copy already'),
})

export const memberCoupon = z.object({
  id: z.number().int().describe('The member coupon (this copy)'),
  couponId: z.number().int(),
  title: z.string(),
  description: z.string().nullable(),
  imageUrl: z.string().nullable(),
  reward: couponReward,
  validFrom: iso,
  validUntil: iso.describe('The last moment this copy can be used'),
  minPurchaseYen: z.number().int().nullable(),
  storeCodes: z.array(z.string()).nullable(),
  status: z.enum(['available', 'used', 'expired', 'ended']),
  usedAt: iso.nullable(),
  usesLeft: z.number().int().min(0),
}) satisfies z.ZodType<MemberCoupon>

export const memberCoupons = z.object({ items: z.array(memberCoupon) })

export const scanned = z.object({
  member,
  expiresAt: iso.describe('When the scanned QR token expires'),
  coupons: z.array(memberCoupon).describe('The member’s coupons usable at this store now'),
})

export const couponRedeemed = z.object({
  redemptionId: z.number().int(),
  memberCouponId: z.number().int(),
  balance: z.number().int().min(0),
  couponTitle: z.string(),
  pointsAwarded: z.number().int().min(0),
}) satisfies z.ZodType<CouponRedeemResult>

export const couponReversed = z.object({
  redemptionId: z.number().int(),
  memberCouponId: z.number().int(),
  balance: z.number().int().min(0),
}) satisfies z.ZodType<CouponReverseResult>

export const tillCouponUse = z.object({
  redemptionId: z.number().int(),
  memberCouponId: z.number().int(),
  couponId: z.number().int(),
  couponTitle: z.string(),
  createdAt: iso,
  staffId: z.string(),
  cardNumber: z.string().describe('Masked'),
  memberName: z.string(),
  purchaseAmount: z.number().int().nullable(),
  pointsAwarded: z.number().int().min(0),
  followUpTitle: z.string().nullable().describe('The follow-up coupon the use issued'),
  reversedAt: iso.nullable(),
  reversedBy: z.string().nullable(),
  reversible: z.boolean(),
}) satisfies z.ZodType<TillCouponUse>

export const tillCouponUses = z.object({ items: z.array(tillCouponUse), nextCursor: cursor })

/** The coupon till bodies, as the document shows them (ids: a number or its digits). */
const bodyId = z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]{0,14}$/)])

export const couponRedeemBody = z.strictObject({
  qrToken: z.string().min(1).max(256),
  memberCouponId: bodyId,
  purchaseAmount: z.number().int().min(0).optional().describe('Yen, for `minPurchaseYen`'),
})

export const couponReverseBody = z.strictObject({ redemptionId: bodyId })

/** A card found by its number at the till (`POST /api/staff/card/lookup`). */
export const cardLookedUp = z.object({
  member,
  linked: z.boolean().describe('Whether the card is linked to a LINE account'),
})

/** TOTP recovery codes, shown once. */
export const recoveryCodes = z.object({
  recoveryCodes: z.array(z.string()).describe('10 single-use codes, shown this once'),
}) satisfies z.ZodType<RecoveryCodes>

export const recoveryCodeStatus = z.object({
  remaining: z.number().int().min(0),
  generatedAt: iso.nullable(),
}) satisfies z.ZodType<RecoveryCodeStatus>
