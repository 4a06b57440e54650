import type { Operations } from '../describe.ts'
import * as s from '../schemas.ts'

const MEMBER = { cardNumber: '************0011', name: '山田 花子', points: 1250, rank: 'silver' }
const QR = 'UJZDEGXDNCF32EPF3DHODZDOCIS2JHTLGMXG'
const COUPON = {
  id: 12,
  couponId: 3,
  title: '冬のご褒美 300円引き',
  description: '¥3,000以上のお買い上げで使えます。',
  imageUrl: null,
  reward: { type: 'discountYen', amount: 300 },
  validFrom: '2026-12-01T00:00:00.000Z',
  validUntil: '2026-12-31T14:59:59.999Z',
  minPurchaseYen: 3000,
  storeCodes: null,
  status: 'available',
  usedAt: null,
  usesLeft: 1,
}

/** The till: a staff session, or a POS API key of the store where its scopes allow. */
export const staffOperations = {
  'POST /api/staff/login': {
    summary: 'Sign in as staff (till or console account)',
    description:
      'Answers a bearer token for the other staff routes. An account that enrolled TOTP must ' +
      'also send `totp`. Failed sign-ins are limited per account and per address.',
    tag: 'Till & POS',
    auth: 'none',
    requestExample: { staffId: 'clerk01', password: 'correct horse battery' },
    ok: {
      status: 200,
      description: 'Signed in.',
      schema: s.staffSignedIn,
      example: {
        token: 'st_3q2+7w…',
        expiresAt: '2026-11-30T15:00:00.000Z',
        role: 'clerk',
        totpEnrolled: false,
      },
    },
    errors: ['INVALID_CREDENTIALS', 'TOTP_REQUIRED', 'FORBIDDEN', 'TOO_MANY_ATTEMPTS'],
  },
  'GET /api/staff/me': {
    summary: 'The signed-in till: staff, store and the points rules',
    description: 'The till previews an award with `rules` (floor(amount × rate × multiplier)).',
    tag: 'Till & POS',
    auth: { till: null },
    ok: {
      status: 200,
      description: 'Who and where.',
      schema: s.staffMe,
      example: {
        staffId: 'clerk01',
        storeCode: 'S001',
        storeName: '渋谷店',
        role: 'clerk',
        rules: {
          rate: { num: 1, den: 100 },
          rankMultipliers: { regular: { num: 1, den: 1 }, silver: { num: 15, den: 10 } },
          voidWindowMinutes: 30,
        },
      },
    },
    errors: ['FORBIDDEN'],
  },
  'POST /api/staff/logout': {
    summary: 'Sign the till out (ends this token)',
    tag: 'Till & POS',
    auth: 'staff',
    ok: { status: 204, description: 'Signed out.' },
  },
  'POST /api/staff/scan': {
    summary: 'Read a member QR code',
    description:
      'Checks the QR token the member shows and answers the member (card number masked). ' +
      'Scanning does not use the token up; an award or redemption does.',
    tag: 'Till & POS',
    auth: { till: 'scan' },
    requestExample: { qrToken: QR },
    ok: {
      status: 200,
      description: 'The member, when the token expires, and the coupons usable here now.',
      schema: s.scanned,
      example: { member: MEMBER, expiresAt: '2026-11-30T03:01:00.000Z', coupons: [COUPON] },
    },
    errors: ['QR_INVALID', 'QR_EXPIRED', 'QR_ALREADY_USED', 'CARD_NOT_FOUND', 'FORBIDDEN'],
  },
  'POST /api/staff/points': {
    summary: 'Award points for a purchase, redeem points, or refund a purchase',
    description: [
      'One of three bodies, by `type`:',
      '- `award`: `{qrToken, purchaseAmount}` (yen): floor(amount × rate × rank multiplier).',
      '- `redeem`: `{qrToken, points}`: never below a zero balance (422 `INSUFFICIENT_POINTS`).',
      '- `refund`: `{transactionId, refundAmount}` (yen): takes back the points that award',
      '  earned in proportion (rounded down), never more than the award across partial',
      '  refunds (422 `REFUND_EXCEEDS_PURCHASE`); see docs/points-rules.md.',
      '',
      'Send a new `Idempotency-Key` per intended transaction and the same key when retrying:',
      'a retry with the same body gets the first answer (`Idempotent-Replayed: true`) and',
      'changes nothing again.',
    ].join('\n'),
    tag: 'Till & POS',
    auth: { till: 'points' },
    requestExamples: {
      award: {
        summary: 'Award for a purchase of ¥12,000',
        value: { qrToken: QR, type: 'award', purchaseAmount: 12000 },
      },
      redeem: { summary: 'Redeem 500 points', value: { qrToken: QR, type: 'redeem', points: 500 } },
      refund: {
        summary: 'Refund ¥4,000 of award 981',
        value: { type: 'refund', transactionId: '981', refundAmount: 4000 },
      },
    },
    ok: {
      status: 200,
      description: 'The ledger entry: its id, the signed change and the balance after it.',
      schema: s.tillResult,
      example: { transactionId: '981', points: 180, balance: 1430 },
    },
    errors: [
      'QR_INVALID',
      'QR_EXPIRED',
      'QR_ALREADY_USED',
      'CARD_NOT_FOUND',
      'INSUFFICIENT_POINTS',
      'TRANSACTION_NOT_FOUND',
      'ALREADY_VOIDED',
      'REFUND_EXCEEDS_PURCHASE',
      'FORBIDDEN',
    ],
  },
  'POST /api/staff/transactions/{id}/void': {
    summary: 'Void a transaction of this store (manager)',
    description:
      'Reverses an award or redemption within the void window, with an optional reason. A ' +
      'voided award that was partly refunded cannot be voided.',
    tag: 'Till & POS',
    auth: { till: null },
    requestExample: { reason: '金額の打ち間違い' },
    ok: {
      status: 200,
      description: 'The void’s ledger entry.',
      schema: s.tillResult,
      example: { transactionId: '982', points: -180, balance: 1250 },
    },
    errors: [
      'FORBIDDEN',
      'TRANSACTION_NOT_FOUND',
      'ALREADY_VOIDED',
      'NOT_VOIDABLE',
      'VOID_WINDOW_PASSED',
      'INSUFFICIENT_POINTS',
    ],
  },
  'POST /api/staff/adjust': {
    summary: 'Correct a member’s balance with a reason (manager)',
    description: 'Give exactly one of `qrToken` or `cardNumber`; `points` is signed, not 0.',
    tag: 'Till & POS',
    auth: { till: null },
    requestExample: { cardNumber: '4900000000000011', points: -50, reason: '重複付与の訂正' },
    ok: {
      status: 200,
      description: 'The adjustment’s ledger entry.',
      schema: s.tillResult,
      example: { transactionId: '983', points: -50, balance: 1200 },
    },
    errors: [
      'FORBIDDEN',
      'CARD_NUMBER_INVALID',
      'CARD_NOT_FOUND',
      'QR_INVALID',
      'QR_EXPIRED',
      'INSUFFICIENT_POINTS',
    ],
  },
  'GET /api/staff/transactions': {
    summary: 'Today’s transactions of this store, newest first',
    description: '`mine=1` for only the signed-in staff member’s; page with `before`.',
    tag: 'Till & POS',
    auth: { till: null },
    ok: {
      status: 200,
      description: 'One page (100 at most).',
      schema: s.tillTransactions,
      example: {
        items: [
          {
            id: '981',
            type: 'award',
            points: 180,
            balance: 1430,
            createdAt: '2026-11-30T03:00:00.000Z',
            staffId: 'clerk01',
            cardNumber: '************0011',
            memberName: '山田 花子',
            purchaseAmount: 12000,
            note: null,
            voidsId: null,
            voidedBy: null,
            voidable: true,
            refundsId: null,
            refundedAmount: 0,
            refundable: true,
          },
        ],
        nextCursor: null,
      },
    },
  },
  'POST /api/staff/card/lookup': {
    summary: 'Find a member by the plastic card’s number',
    description:
      'For a customer without a phone: the card number typed or read by a barcode scanner ' +
      '(spaces and hyphens ignored). Award only: redeeming and coupons need the member QR. ' +
      'Every look-up counts against the guessing limit (per session and per store).',
    tag: 'Till & POS',
    auth: { till: null },
    requestExample: { cardNumber: '4900 0000 0000 0011' },
    ok: {
      status: 200,
      description: 'The member (card number masked), and whether the card is linked.',
      schema: s.cardLookedUp,
      example: { member: MEMBER, linked: true },
    },
    errors: ['CARD_NUMBER_INVALID', 'CARD_NOT_FOUND', 'TOO_MANY_ATTEMPTS'],
  },
  'POST /api/staff/card/award': {
    summary: 'Award points to a plastic card by its number',
    description:
      'Like an award with the QR, for a card identified by its number: ' +
      'floor(amount × rate × rank multiplier); safe to retry with the same Idempotency-Key.',
    tag: 'Till & POS',
    auth: { till: null },
    requestExample: { cardNumber: '4900000000000011', purchaseAmount: 3000 },
    ok: {
      status: 200,
      description: 'The points awarded and the new balance.',
      schema: s.tillResult,
      example: { transactionId: '8812', points: 30, balance: 1280 },
    },
    errors: ['CARD_NUMBER_INVALID', 'CARD_NOT_FOUND', 'TOO_MANY_ATTEMPTS'],
  },
} satisfies Operations
