import type { Operations } from '../describe.ts'
import * as s from '../schemas.ts'

const MEMBER = { cardNumber: '************0011', name: '山田 花子', points: 1250, rank: 'silver' }

/** The member's own routes (the LIFF app). */
export const customerOperations = {
  'GET /api/me': {
    summary: 'Whether this LINE user has a linked card, and the member',
    tag: 'Customer',
    auth: 'customer',
    ok: {
      status: 200,
      description: '`linked: false`, or the member with when the balance expires and the rank.',
      schema: s.me,
      example: {
        linked: true,
        member: {
          ...MEMBER,
          pointsExpireAt: '2027-11-30T03:00:00.000Z',
          rankMultiplier: 1.5,
          nextRank: { rank: 'gold', threshold: 5000, earned: 3200, multiplier: 2 },
        },
      },
    },
  },
  'GET /api/me/preferences': {
    summary: 'The member’s promotions preference',
    tag: 'Customer',
    auth: 'customer',
    ok: {
      status: 200,
      description: 'True until turned off.',
      schema: s.preferences,
      example: { promotions: true },
    },
  },
  'PUT /api/me/preferences': {
    summary: 'Turn promotional messages on or off',
    description: 'Campaigns and automations never reach a member with `promotions: false`.',
    tag: 'Customer',
    auth: 'customer',
    requestExample: { promotions: false },
    ok: {
      status: 200,
      description: 'The preference now.',
      schema: s.preferences,
      example: { promotions: false },
    },
  },
  'POST /api/link': {
    summary: 'Link a point card to this LINE user (ID連携)',
    description:
      'Checks the card number and PIN and links the card with the member’s consent. The ' +
      'link bonus is granted once per card and once per LINE user, ever. Wrong PINs are ' +
      'counted per card and per user: too many get 429 with `Retry-After`.',
    tag: 'Customer',
    auth: 'customer',
    requestExample: {
      cardNumber: '4900000000000011',
      pin: '1234',
      consent: { version: '2026-04', accepted: true },
    },
    ok: {
      status: 201,
      description: 'Linked; `bonusPoints` is 0 when no bonus was due.',
      schema: s.linked,
      example: { member: { ...MEMBER, points: 1450 }, bonusPoints: 200 },
    },
    errors: [
      'CARD_NUMBER_INVALID',
      'CONSENT_REQUIRED',
      'CONSENT_OUTDATED',
      'CARD_OR_PIN_WRONG',
      'CARD_ALREADY_LINKED',
      'ALREADY_LINKED',
      'TOO_MANY_ATTEMPTS',
    ],
  },
  'DELETE /api/link': {
    summary: 'Unlink the card from this LINE user',
    description: 'The card and its points stay; a relink later brings no second bonus.',
    tag: 'Customer',
    auth: 'customer',
    ok: { status: 204, description: 'Unlinked.' },
    errors: ['NOT_LINKED'],
  },
  'POST /api/cards': {
    summary: 'Issue a new digital card and link it',
    description:
      'For a member with no plastic card. Idempotent per LINE user and `Idempotency-Key`: a ' +
      'repeat answers the same card without its PIN.',
    tag: 'Customer',
    auth: 'customer',
    headers: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: true,
        description: 'A new random value per card asked for (8–128 of `A-Z a-z 0-9 _ . : -`).',
        schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{8,128}$' },
      },
    ],
    requestExample: { name: '山田 花子', consent: { version: '2026-04', accepted: true } },
    ok: {
      status: 201,
      description: 'The new card, linked. The full number and PIN are shown this once.',
      schema: s.issuedCard,
      example: {
        member: { ...MEMBER, cardNumber: '************4242', points: 200, rank: 'regular' },
        bonusPoints: 200,
        pin: '8351',
        cardNumber: '2900000000004242',
      },
    },
    errors: ['IDEMPOTENCY_KEY_MISSING', 'CONSENT_REQUIRED', 'CONSENT_OUTDATED', 'ALREADY_LINKED'],
  },
  'GET /api/link/bonus': {
    summary: 'Whether linking can still bring this LINE user the bonus',
    tag: 'Customer',
    auth: 'customer',
    ok: {
      status: 200,
      description: 'Eligibility and the points.',
      schema: s.bonus,
      example: { eligible: true, points: 200 },
    },
  },
  'GET /api/card/qr': {
    summary: 'A short-lived signed token for the member QR code',
    description: 'Valid for `CARD_TOKEN_TTL_SECONDS` (60 by default); the till scans it.',
    tag: 'Customer',
    auth: 'customer',
    ok: {
      status: 200,
      description: 'The token to show as a QR code.',
      schema: s.qr,
      example: {
        token: 'UJZDEGXDNCF32EPF3DHODZDOCIS2JHTLGMXG',
        expiresAt: '2026-11-30T03:01:00.000Z',
      },
    },
    errors: ['NOT_LINKED'],
  },
  'POST /api/card/device-key': {
    summary: 'A key for offline card codes on this phone',
    description: 'A TOTP-style key the app uses to show a code when it is offline (decision 067).',
    tag: 'Customer',
    auth: 'customer',
    ok: {
      status: 200,
      description: 'The key; shown once.',
      schema: s.deviceKey,
      example: {
        linkId: 42,
        secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
        digits: 8,
        period: 30,
        qrPrefix: 'MCO1',
        issuedAt: '2026-11-30T03:00:00.000Z',
      },
    },
    errors: ['NOT_LINKED'],
  },
  'GET /api/points/history': {
    summary: 'The linked card’s points history, newest first',
    tag: 'Customer',
    auth: 'customer',
    ok: {
      status: 200,
      description: 'One page; pass `nextCursor` as `cursor` for the next.',
      schema: s.history,
      example: {
        items: [
          {
            id: '981',
            type: 'award',
            points: 120,
            balance: 1250,
            createdAt: '2026-11-30T03:00:00.000Z',
            storeCode: 'S001',
            storeName: '渋谷店',
          },
        ],
        nextCursor: null,
        expiring: { points: 1250, expiresAt: '2027-11-30T03:00:00.000Z' },
      },
    },
  },
  'DELETE /api/session': {
    summary: 'Sign this browser out of its web session (LINE Login on the web)',
    description:
      'Revokes the session on every instance and clears its cookies; 204 whether or not there ' +
      'was one. Must come from this app’s origin when a session cookie is sent.',
    tag: 'Customer',
    auth: 'none',
    ok: { status: 204, description: 'Signed out.' },
    errors: ['FORBIDDEN'],
  },
} satisfies Operations
