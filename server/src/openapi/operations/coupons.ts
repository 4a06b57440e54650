import type { Operations } from '../describe.ts'
import * as s from '../schemas.ts'

const REWARD = { type: 'discountYen', amount: 300 }
const COUPON = {
  id: 3,
  title: '冬のご褒美 300円引き',
  description: '¥3,000以上のお買い上げで使えます。',
  imageUrl: null,
  reward: REWARD,
  validFrom: '2026-12-01',
  validUntil: '2026-12-31',
  validDaysAfterIssue: null,
  perMemberLimit: 1,
  totalLimit: null,
  minPurchaseYen: 3000,
  storeCodes: null,
  followUpCouponId: null,
  status: 'active',
  issued: 240,
  used: 31,
  createdAt: '2026-11-30T01:00:00.000Z',
}
const MEMBER_COUPON = {
  id: 12,
  couponId: 3,
  title: COUPON.title,
  description: COUPON.description,
  imageUrl: null,
  reward: REWARD,
  validFrom: '2026-11-30T15:00:00.000Z',
  validUntil: '2026-12-31T14:59:59.999Z',
  minPurchaseYen: 3000,
  storeCodes: null,
  status: 'available',
  usedAt: null,
  usesLeft: 1,
}
const QR = 'UJZDEGXDNCF32EPF3DHODZDOCIS2JHTLGMXG'

/** Coupons: the console's definitions, the member's wallet, and their use at the till. */
export const couponOperations = {
  'POST /api/admin/coupons': {
    summary: 'Create a coupon',
    description:
      'A definition is never edited afterwards, only ended. `validFrom`/`validUntil` are ' +
      'dates (whole days in the till’s time zone) or ISO-8601 times with an offset.',
    tag: 'Console',
    auth: 'admin',
    requestExample: {
      title: COUPON.title,
      description: COUPON.description,
      reward: REWARD,
      validFrom: COUPON.validFrom,
      validUntil: COUPON.validUntil,
      minPurchaseYen: 3000,
    },
    ok: {
      status: 201,
      description: 'Created.',
      schema: s.coupon,
      example: { ...COUPON, issued: 0, used: 0 },
    },
  },
  'GET /api/admin/coupons': {
    summary: 'Coupons, newest first',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'A page of coupons.',
      schema: s.coupons,
      example: { items: [COUPON], nextCursor: null },
    },
  },
  'GET /api/admin/coupons/{id}': {
    summary: 'A coupon with its usage (rate, per store, per day)',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The coupon and its usage.',
      schema: s.couponDetail,
      example: {
        ...COUPON,
        usageRate: 0.1292,
        byStore: [{ storeCode: 'S001', used: 31 }],
        byDay: [{ date: '2026-12-01', issued: 240, used: 31 }],
      },
    },
    errors: ['COUPON_NOT_FOUND'],
  },
  'POST /api/admin/coupons/{id}/end': {
    summary: 'End a coupon early',
    description: 'No copy of it can be used from now on (the till answers 410 `COUPON_EXPIRED`).',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The coupon, ended.',
      schema: s.coupon,
      example: { ...COUPON, status: 'ended' },
    },
    errors: ['COUPON_NOT_FOUND'],
  },
  'POST /api/admin/coupons/{id}/issue': {
    summary: 'Issue a coupon to every member of a segment',
    description:
      'Each matched member who holds no copy gets one; with `notify`, the reachable ones within ' +
      'the frequency cap also get a LINE notice. Takes an `Idempotency-Key`: a repeat gets the ' +
      'first answer, a retry after a failure issues only what is missing.',
    tag: 'Console',
    auth: 'admin',
    body: s.couponIssueBody,
    requestExample: {
      segment: { all: [{ field: 'rank', op: 'in', value: ['silver', 'gold'] }] },
      notify: true,
      message: '冬のクーポンをお届けしました。',
    },
    ok: {
      status: 200,
      description: 'How many copies were issued, and how many members held one already.',
      schema: s.couponIssued,
      example: { issued: 238, skipped: 2 },
    },
    errors: ['COUPON_NOT_FOUND', 'COUPON_EXPIRED'],
  },
  'GET /api/admin/exports/coupons.csv': {
    summary: 'Coupon uses of a period as CSV (admin only)',
    description: '`from`/`to` (YYYY-MM-DD, the till’s time zone) default to today.',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'A CSV file (UTF-8 with BOM), streamed.',
      contentType: 'text/csv',
    },
  },
  'GET /api/coupons': {
    summary: 'The member’s coupons',
    description:
      'Available first (soonest to expire first), then used, expired and ended ones (most ' +
      'recent first). An unlinked account has none.',
    tag: 'Customer',
    auth: 'customer',
    ok: {
      status: 200,
      description: 'The member’s coupons.',
      schema: s.memberCoupons,
      example: { items: [MEMBER_COUPON] },
    },
  },
  'GET /api/coupons/{id}': {
    summary: 'One of the member’s coupons',
    tag: 'Customer',
    auth: 'customer',
    ok: {
      status: 200,
      description: 'The coupon (`id` is the member coupon’s).',
      schema: s.memberCoupon,
      example: MEMBER_COUPON,
    },
    errors: ['COUPON_NOT_FOUND'],
  },
  'POST /api/staff/coupons/redeem': {
    summary: 'Use a member’s coupon at the till',
    description:
      'The member shows their QR code; `memberCouponId` is one of the `coupons` of the scan. ' +
      'A `bonusPoints` coupon adds its points to the balance. Takes an `Idempotency-Key` ' +
      '(the store’s keys, as the points calls); a POS API key needs the `coupons` scope.',
    tag: 'Till & POS',
    auth: { till: 'coupons' },
    body: s.couponRedeemBody,
    requestExample: { qrToken: QR, memberCouponId: 12, purchaseAmount: 4200 },
    ok: {
      status: 200,
      description: 'Used: the redemption (to reverse it) and the balance.',
      schema: s.couponRedeemed,
      example: {
        redemptionId: 7,
        memberCouponId: 12,
        balance: 1250,
        couponTitle: COUPON.title,
        pointsAwarded: 0,
      },
    },
    errors: [
      'QR_INVALID',
      'QR_EXPIRED',
      'QR_ALREADY_USED',
      'COUPON_NOT_FOUND',
      'COUPON_ALREADY_USED',
      'COUPON_EXPIRED',
      'COUPON_CONDITION_NOT_MET',
      'FORBIDDEN',
    ],
  },
  'POST /api/staff/coupons/reverse': {
    summary: 'Reverse a coupon use (manager, within the void window)',
    description:
      'The copy gets its use back; the bonus points it gave are taken back, and so is the ' +
      'follow-up coupon it issued (409 `COUPON_ALREADY_USED` when that one is used). Takes ' +
      'an `Idempotency-Key`.',
    tag: 'Till & POS',
    auth: { till: null },
    body: s.couponReverseBody,
    requestExample: { redemptionId: 7 },
    ok: {
      status: 200,
      description: 'Reversed: the balance after it.',
      schema: s.couponReversed,
      example: { redemptionId: 7, memberCouponId: 12, balance: 1250 },
    },
    errors: [
      'FORBIDDEN',
      'TRANSACTION_NOT_FOUND',
      'ALREADY_VOIDED',
      'VOID_WINDOW_PASSED',
      'INSUFFICIENT_POINTS',
      'COUPON_ALREADY_USED',
    ],
  },
  'GET /api/staff/coupons/uses': {
    summary: 'Today’s coupon uses of this store, newest first',
    description:
      'What a manager reverses a use from: `reversible` is true for a manager while the use ' +
      'is not reversed and within the void window. `mine=1` for only the signed-in staff ' +
      'member’s; page with `before`.',
    tag: 'Till & POS',
    auth: { till: null },
    ok: {
      status: 200,
      description: 'One page (100 at most).',
      schema: s.tillCouponUses,
      example: {
        items: [
          {
            redemptionId: 7,
            memberCouponId: 12,
            couponId: 3,
            couponTitle: COUPON.title,
            createdAt: '2026-11-30T03:00:00.000Z',
            staffId: 'clerk01',
            cardNumber: '************0011',
            memberName: '山田 花子',
            purchaseAmount: 4200,
            pointsAwarded: 0,
            followUpTitle: null,
            reversedAt: null,
            reversedBy: null,
            reversible: true,
          },
        ],
        nextCursor: null,
      },
    },
  },
} satisfies Operations
