import type { Operations } from '../describe.ts'
import * as s from '../schemas.ts'

const SESSION = {
  staffId: 'hq-sato',
  role: 'operator',
  storeCode: null,
  totpEnrolled: true,
  csrfToken: 'pW3v0Zk…',
}
const STORE = { code: 'S001', name: '渋谷店', active: true }
const STAFF = {
  staffId: 'clerk01',
  role: 'clerk',
  storeCode: 'S001',
  disabled: false,
  totpEnrolled: false,
  lastSignInAt: '2026-11-30T00:55:00.000Z',
}
const HIT = {
  cardId: '17',
  cardNumber: '************0011',
  name: '山田 花子',
  rank: 'silver',
  points: 1250,
  linked: true,
}
const FIGURES = {
  period: { from: '2026-11-01', to: '2026-11-30' },
  friends: 1200,
  linkedMembers: 800,
  linkRate: 0.61,
  newLinks: 95,
  bonusPointsGranted: 19000,
  pointsAwarded: 230000,
  pointsRedeemed: 120000,
  pointsExpired: 3000,
  outstandingPoints: 910000,
  activeMembers30: 540,
  activeMembers90: 700,
  linkedVsUnlinked: {
    linked: { members: 800, visitsPerMemberPerMonth: 2.4, averagePurchaseYen: 3100 },
    unlinked: { members: 2100, visitsPerMemberPerMonth: 1.1, averagePurchaseYen: 2600 },
  },
}
const JOB = {
  id: 3,
  status: 'waiting',
  bytesTotal: 52000000,
  bytesRead: 0,
  rowsRead: 0,
  rowsStaged: 0,
  rowsMerged: 0,
  created: 0,
  updated: 0,
  unchanged: 0,
  pointsIgnored: 0,
  errors: [],
  createdAt: '2026-11-30T01:00:00.000Z',
}

/** The head office's console API (operator or admin; "admin only" where said). */
export const adminOperations = {
  'POST /api/admin/session': {
    summary: 'Sign in to the console (sets the session cookie)',
    description:
      'For operators and admins. Sets an HttpOnly `SameSite=Strict` cookie and answers the ' +
      '`csrfToken` to send as `X-CSRF-Token` on every cookie-authenticated write.',
    tag: 'Console',
    auth: 'none',
    requestExample: { staffId: 'hq-sato', password: 'correct horse battery', totp: '123456' },
    ok: {
      status: 200,
      description: 'Signed in.',
      schema: s.adminSession,
      example: SESSION,
      headers: {
        'Set-Cookie': { description: 'The console session cookie.', schema: { type: 'string' } },
      },
    },
    errors: ['INVALID_CREDENTIALS', 'TOTP_REQUIRED', 'FORBIDDEN', 'TOO_MANY_ATTEMPTS'],
  },
  'GET /api/admin/session': {
    summary: 'Who is signed in to the console, with the CSRF token',
    description: 'With a bearer token, `csrfToken` is empty (no CSRF token is needed).',
    tag: 'Console',
    auth: 'admin',
    ok: { status: 200, description: 'The session.', schema: s.adminSession, example: SESSION },
  },
  'DELETE /api/admin/session': {
    summary: 'Sign out of the console',
    tag: 'Console',
    auth: 'admin',
    ok: { status: 204, description: 'Signed out; the cookie is cleared.' },
  },
  'POST /api/admin/session/revoke-all': {
    summary: 'Sign this account out everywhere',
    tag: 'Console',
    auth: 'admin',
    ok: { status: 204, description: 'Every session of the account has ended.' },
  },
  'POST /api/admin/totp/enroll': {
    summary: 'Start TOTP enrollment for the signed-in account',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The secret to add to an authenticator app; confirm it with a code.',
      schema: s.totpEnrollment,
      example: {
        secret: 'JBSWY3DPEHPK3PXP',
        otpauthUrl: 'otpauth://totp/Membercard:hq-sato?secret=JBSWY3DPEHPK3PXP&issuer=Membercard',
      },
    },
  },
  'POST /api/admin/totp/confirm': {
    summary: 'Confirm TOTP enrollment with a current code',
    description: 'From then on, signing in needs the code too.',
    tag: 'Console',
    auth: 'admin',
    requestExample: { code: '123456' },
    ok: {
      status: 200,
      description: 'Enrolled; the recovery codes are shown this once.',
      schema: s.recoveryCodes,
      example: { recoveryCodes: ['K7QWM-3XRTP', 'V9HCN-2LDFZ'] },
    },
  },
  'GET /api/admin/totp/recovery-codes': {
    summary: 'How many recovery codes are left',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'Unused codes left, and when they were made.',
      schema: s.recoveryCodeStatus,
      example: { remaining: 9, generatedAt: '2026-11-30T01:00:00.000Z' },
    },
  },
  'POST /api/admin/totp/recovery-codes': {
    summary: 'Replace the recovery codes (needs a current TOTP code)',
    description: 'Every old code stops working; the new ones are shown this once.',
    tag: 'Console',
    auth: 'admin',
    requestExample: { code: '123456' },
    ok: {
      status: 200,
      description: 'The new codes.',
      schema: s.recoveryCodes,
      example: { recoveryCodes: ['K7QWM-3XRTP', 'V9HCN-2LDFZ'] },
    },
  },
  'GET /api/admin/audit': {
    summary: 'The audit trail, newest first',
    description: 'Filter by `actor`, `action` and days `from`–`to` (YYYY-MM-DD, Asia/Tokyo).',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'One page.',
      schema: s.auditPage,
      example: {
        items: [
          {
            id: '51',
            at: '2026-11-30T01:02:03.000Z',
            actor: 'hq-sato',
            action: 'member.adjust',
            target: 'card:17',
            address: '203.0.113.9',
            detail: { points: -50, reason: '重複付与の訂正' },
          },
        ],
        nextCursor: null,
      },
    },
  },
  'GET /api/admin/stores': {
    summary: 'Every store',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The stores.',
      schema: s.stores,
      example: { items: [STORE] },
    },
  },
  'POST /api/admin/stores': {
    summary: 'Create a store (admin only)',
    tag: 'Console',
    auth: 'admin',
    requestExample: { code: 'S001', name: '渋谷店' },
    ok: { status: 201, description: 'Created.', schema: s.adminStore, example: STORE },
    errors: ['ALREADY_EXISTS'],
  },
  'PATCH /api/admin/stores/{code}': {
    summary: 'Rename, close or reopen a store (admin only)',
    tag: 'Console',
    auth: 'admin',
    requestExample: { active: false },
    ok: {
      status: 200,
      description: 'The store now.',
      schema: s.adminStore,
      example: { ...STORE, active: false },
    },
    errors: ['NOT_FOUND'],
  },
  'GET /api/admin/staff': {
    summary: 'Every staff account',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The accounts.',
      schema: s.staffList,
      example: { items: [STAFF] },
    },
  },
  'POST /api/admin/staff': {
    summary: 'Create a staff account (admin only)',
    description: 'Clerks and managers need a `storeCode`; operators and admins may have none.',
    tag: 'Console',
    auth: 'admin',
    requestExample: {
      staffId: 'clerk01',
      role: 'clerk',
      storeCode: 'S001',
      password: 'correct horse battery',
    },
    ok: { status: 201, description: 'Created.', schema: s.adminStaff, example: STAFF },
    errors: ['ALREADY_EXISTS', 'NOT_FOUND'],
  },
  'PATCH /api/admin/staff/{staffId}': {
    summary: 'Change a staff account’s role, store or disabled flag (admin only)',
    tag: 'Console',
    auth: 'admin',
    requestExample: { disabled: true },
    ok: {
      status: 200,
      description: 'The account now.',
      schema: s.adminStaff,
      example: { ...STAFF, disabled: true },
    },
    errors: ['NOT_FOUND', 'LAST_ADMIN'],
  },
  'POST /api/admin/staff/{staffId}/password': {
    summary: 'Set a staff account’s password (admin only)',
    description: 'Ends the account’s other sessions (the caller’s own is kept).',
    tag: 'Console',
    auth: 'admin',
    requestExample: { password: 'a new long passphrase' },
    ok: { status: 204, description: 'Changed.' },
    errors: ['NOT_FOUND'],
  },
  'DELETE /api/admin/staff/{staffId}/totp': {
    summary: 'Reset another account’s second factor (admin only)',
    description:
      'Removes the account’s TOTP secret and recovery codes and ends all its sessions: it signs ' +
      'in next with its password alone and enrolls again. Not one’s own account (400).',
    tag: 'Console',
    auth: 'admin',
    ok: { status: 204, description: 'Reset.' },
    errors: ['NOT_FOUND', 'VALIDATION_FAILED'],
  },
  'DELETE /api/admin/staff/{staffId}': {
    summary: 'Remove a staff account (admin only)',
    tag: 'Console',
    auth: 'admin',
    ok: { status: 204, description: 'Removed.' },
    errors: ['NOT_FOUND', 'LAST_ADMIN'],
  },
  'GET /api/admin/kpis': {
    summary: 'The dashboard’s figures for a period, with the period before',
    description: 'Definitions: docs/kpis.md. Days `from`–`to` (YYYY-MM-DD, Asia/Tokyo).',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The figures.',
      schema: s.kpis,
      example: {
        ...FIGURES,
        byStore: [{ storeCode: 'S001', scans: 410, awards: 380, redeems: 60 }],
        daily: [{ date: '2026-11-30', newLinks: 4, pointsAwarded: 8100, pointsRedeemed: 3000 }],
        previous: { ...FIGURES, period: { from: '2026-10-02', to: '2026-10-31' } },
        couponsIssued: 240,
        couponsUsed: 31,
      },
    },
  },
  'GET /api/admin/members': {
    summary: 'Search members',
    description: '`q` is a full card number, its last 4 digits, or part of a name.',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'One page of matches.',
      schema: s.memberHits,
      example: { items: [HIT], nextCursor: null },
    },
  },
  'GET /api/admin/members/{cardId}': {
    summary: 'A member’s page',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The member, link, consents, lock and recent messages.',
      schema: s.memberDetail,
      example: {
        ...HIT,
        birthDate: '1990-04-12',
        linkedAt: '2026-05-01T02:00:00.000Z',
        friend: true,
        locked: null,
        erasedAt: null,
        consents: [{ version: '2026-04', acceptedAt: '2026-05-01T02:00:00.000Z' }],
        messages: [{ at: '2026-11-30T03:00:05.000Z', kind: 'points', status: 'sent' }],
      },
    },
    errors: ['CARD_NOT_FOUND'],
  },
  'GET /api/admin/members/{cardId}/history': {
    summary: 'A member’s points history, newest first',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'One page.',
      schema: s.memberHistory,
      example: {
        items: [
          {
            id: '981',
            type: 'award',
            points: 180,
            balance: 1430,
            createdAt: '2026-11-30T03:00:00.000Z',
            storeCode: 'S001',
            storeName: '渋谷店',
          },
        ],
        nextCursor: null,
      },
    },
    errors: ['CARD_NOT_FOUND'],
  },
  'POST /api/admin/members/{cardId}/adjust': {
    summary: 'Adjust a member’s points with a reason',
    description: 'Audit-logged. The balance never goes below zero.',
    tag: 'Console',
    auth: 'admin',
    requestExample: { points: 500, reason: 'お詫びポイント' },
    ok: {
      status: 200,
      description: 'The adjustment’s ledger entry.',
      schema: s.tillResult,
      example: { transactionId: '990', points: 500, balance: 1750 },
    },
    errors: ['CARD_NOT_FOUND', 'INSUFFICIENT_POINTS'],
  },
  'POST /api/admin/members/{cardId}/unlink': {
    summary: 'Unlink a member’s card from its LINE user',
    tag: 'Console',
    auth: 'admin',
    ok: { status: 204, description: 'Unlinked.' },
    errors: ['CARD_NOT_FOUND', 'NOT_LINKED'],
  },
  'POST /api/admin/members/{cardId}/clear-lock': {
    summary: 'Clear a card’s PIN lock',
    tag: 'Console',
    auth: 'admin',
    ok: { status: 204, description: 'Cleared.' },
    errors: ['CARD_NOT_FOUND'],
  },
  'POST /api/admin/members/{cardId}/erase': {
    summary: 'Erase a member’s personal data on request (admin only)',
    description: 'Unlinks and removes the name, birth date and LINE user; points history stays.',
    tag: 'Console',
    auth: 'admin',
    requestExample: { reason: '本人からの削除依頼（2026-11-30 受付）' },
    ok: { status: 204, description: 'Erased.' },
    errors: ['CARD_NOT_FOUND'],
  },
  'POST /api/admin/imports': {
    summary: 'Open an import of point cards (CSV)',
    description: 'Then upload the file with `PUT /api/admin/imports/{id}/file` and poll the job.',
    tag: 'Console',
    auth: 'admin',
    requestExample: { size: 52000000 },
    ok: {
      status: 201,
      description: 'The job, waiting for its file.',
      schema: s.importJob,
      example: JOB,
    },
    errors: ['PAYLOAD_TOO_LARGE'],
  },
  'GET /api/admin/imports/{id}': {
    summary: 'An import job’s progress and result',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The job.',
      schema: s.importJob,
      example: { ...JOB, status: 'merging', bytesRead: 52000000, rowsRead: 1000000 },
    },
    errors: ['NOT_FOUND'],
  },
  'PUT /api/admin/imports/{id}/file': {
    summary: 'Upload the CSV file of an import',
    description:
      'The body is the file itself (`Content-Type: text/csv`), streamed: see the point-card CSV ' +
      'format in the contract. Answered once the whole file has arrived (it may take up to 30 ' +
      'minutes to send); it is then read, checked and merged in the background: poll the job ' +
      'until it is `done` or `failed`. Nothing of a file with a bad row is kept.',
    tag: 'Console',
    auth: 'admin',
    headers: [
      {
        name: 'Content-Type',
        in: 'header',
        required: true,
        schema: { type: 'string', enum: ['text/csv'] },
      },
    ],
    ok: {
      status: 202,
      description: 'The job, reading the file received.',
      schema: s.importJob,
      example: { ...JOB, status: 'reading' },
    },
    errors: [
      'NOT_FOUND',
      'ALREADY_EXISTS',
      'UNSUPPORTED_MEDIA_TYPE',
      'PAYLOAD_TOO_LARGE',
      'VALIDATION_FAILED',
    ],
  },
  'GET /api/admin/exports/members.csv': {
    summary: 'Every member as CSV (admin only)',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'A CSV file (UTF-8 with BOM), streamed.',
      contentType: 'text/csv',
    },
  },
  'GET /api/admin/exports/ledger.csv': {
    summary: 'The points ledger of a period as CSV (admin only)',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'A CSV file (UTF-8 with BOM), streamed.',
      contentType: 'text/csv',
    },
  },
  'POST /api/admin/segments/count': {
    summary: 'How many members a segment matches and can reach',
    description: 'Segments: the contract’s table of fields and ops; docs/segments.md.',
    tag: 'Console',
    auth: 'admin',
    body: s.segmentBody,
    requestExample: {
      segment: {
        all: [
          { field: 'rank', op: 'in', value: ['silver', 'gold'] },
          { field: 'lastVisitDaysAgo', op: '>=', value: 60 },
        ],
      },
    },
    ok: {
      status: 200,
      description: 'Matched (linked) members, and those of them reachable by message.',
      schema: s.segmentCount,
      example: { matched: 240, reachable: 198 },
    },
    errors: ['VALIDATION_FAILED'],
  },
} satisfies Operations
