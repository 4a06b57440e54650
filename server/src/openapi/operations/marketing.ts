import type { Operations } from '../describe.ts'
import * as s from '../schemas.ts'

const SEGMENT = {
  all: [
    { field: 'rank', op: 'in', value: ['silver', 'gold'] },
    { field: 'lastVisitDaysAgo', op: '>=', value: 60 },
  ],
}
const MESSAGES = [{ type: 'text', text: 'お久しぶりです！今週はポイント2倍です。' }]
const CAMPAIGN = {
  id: 7,
  name: '休眠会員 12月',
  status: 'sending',
  recipients: 198,
  sent: 120,
  failed: 0,
  excluded: 42,
  excludedBy: { optedOut: 30, blocked: 8, frequencyCap: 4 },
  segment: SEGMENT,
  messages: MESSAGES,
  scheduledAt: null,
  createdAt: '2026-11-30T01:00:00.000Z',
  startedAt: '2026-11-30T01:00:00.000Z',
  finishedAt: null,
  aggregationUnit: 'campaign_3f9a1c2b7d4e5f60',
}
const RUN = {
  id: 31,
  kind: 'birthday',
  runDate: '2026-11-30',
  startedAt: '2026-11-30T01:00:00.000Z',
  finishedAt: '2026-11-30T01:00:02.000Z',
  targeted: 25,
  sent: 22,
  excluded: 3,
  failed: 0,
}
const RECIPIENT = { lineUserId: 'U4af4980629a0b1c2d3e4f5a6b7c8d9e0', label: '本部 佐藤' }
const SETTINGS = { frequencyCap: { messages: 4, days: 30 }, automationHour: 10 }

/** Messaging in the console: segments, campaigns, automations, quota (operator or admin). */
export const marketingOperations = {
  'POST /api/admin/segments/sample': {
    summary: 'Up to 10 members a segment matches',
    description: 'Lowest card ID first, card numbers masked, each marked reachable or not.',
    tag: 'Console',
    auth: 'admin',
    body: s.segmentBody,
    requestExample: { segment: SEGMENT },
    ok: {
      status: 200,
      description: 'A sample of the matched members.',
      schema: s.segmentSample,
      example: {
        items: [
          {
            cardId: 41,
            cardNumber: '************0016',
            name: '山田 花子',
            rank: 'silver',
            points: 1250,
            reachable: true,
          },
        ],
      },
    },
  },
  'GET /api/admin/segments': {
    summary: 'Saved segments',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The saved segments.',
      schema: s.savedSegments,
      example: {
        items: [{ id: 3, name: '休眠シルバー', segment: SEGMENT, createdAt: CAMPAIGN.createdAt }],
      },
    },
  },
  'POST /api/admin/segments': {
    summary: 'Save a segment under a name',
    tag: 'Console',
    auth: 'admin',
    body: s.savedSegmentBody,
    requestExample: { name: '休眠シルバー', segment: SEGMENT },
    ok: {
      status: 201,
      description: 'Saved.',
      schema: s.savedSegment,
      example: { id: 3, name: '休眠シルバー', segment: SEGMENT, createdAt: CAMPAIGN.createdAt },
    },
  },
  'DELETE /api/admin/segments/{id}': {
    summary: 'Remove a saved segment',
    tag: 'Console',
    auth: 'admin',
    ok: { status: 204, description: 'Removed.' },
    errors: ['NOT_FOUND'],
  },
  'POST /api/admin/campaigns': {
    summary: 'Send a campaign to a segment, now or later',
    description: [
      'Queues the messages to every reachable member of the segment (friends with promotions',
      'on, within the frequency cap), now or at `scheduledAt`. Refused with 422',
      '`QUOTA_EXCEEDED` when the members it would reach outnumber the messages left this',
      'month. Takes an `Idempotency-Key`: a retry gets the first answer.',
    ].join('\n'),
    tag: 'Console',
    auth: 'admin',
    body: s.campaignBody,
    requestExample: { name: CAMPAIGN.name, segment: SEGMENT, messages: MESSAGES },
    ok: {
      status: 201,
      description: 'Created: sending, or scheduled.',
      schema: s.campaign,
      example: { ...CAMPAIGN, sent: 0 },
    },
    errors: ['QUOTA_EXCEEDED', 'SERVICE_UNAVAILABLE'],
  },
  'GET /api/admin/campaigns': {
    summary: 'Campaigns, newest first (50 a page)',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'A page of campaigns.',
      schema: s.campaigns,
      example: { items: [CAMPAIGN], nextCursor: null },
    },
  },
  'POST /api/admin/campaigns/test': {
    summary: 'Send messages to the test recipients',
    description: 'A push to each test recipient; not a promotion (the frequency cap is untouched).',
    tag: 'Console',
    auth: 'admin',
    requestExample: { messages: MESSAGES },
    ok: {
      status: 200,
      description: 'Queued to this many test recipients.',
      schema: s.testSent,
      example: { sentTo: 2 },
    },
  },
  'GET /api/admin/campaigns/{id}': {
    summary: 'One campaign with its counts',
    tag: 'Console',
    auth: 'admin',
    ok: { status: 200, description: 'The campaign.', schema: s.campaign, example: CAMPAIGN },
    errors: ['NOT_FOUND'],
  },
  'POST /api/admin/campaigns/{id}/cancel': {
    summary: 'Cancel a scheduled or sending campaign',
    description: 'Batches not yet sent are given up at once; a batch being sent finishes.',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The campaign, cancelled.',
      schema: s.campaign,
      example: { ...CAMPAIGN, status: 'cancelled', finishedAt: '2026-11-30T01:05:00.000Z' },
    },
    errors: ['NOT_FOUND', 'CAMPAIGN_ALREADY_FINISHED'],
  },
  'GET /api/admin/campaigns/{id}/insight': {
    summary: 'LINE’s statistics of a campaign (unique impressions and clicks)',
    description: 'LINE reports the figures only once at least 20 people opened or tapped (null).',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The unit statistics.',
      schema: s.campaignInsight,
      example: {
        aggregationUnit: CAMPAIGN.aggregationUnit,
        uniqueImpression: 143,
        uniqueClick: 37,
        note: "LINE's unit statistics (unique people), from the first day of sending for up to 30 days.",
      },
    },
    errors: ['NOT_FOUND', 'SERVICE_UNAVAILABLE'],
  },
  'POST /api/admin/messages/validate': {
    summary: 'Check message objects with LINE’s validation endpoint',
    tag: 'Console',
    auth: 'admin',
    requestExample: { messages: MESSAGES },
    ok: {
      status: 200,
      description: 'LINE accepts them (refused: 400 `VALIDATION_FAILED` with LINE’s reason).',
      schema: s.messagesValid,
      example: { valid: true },
    },
    errors: ['SERVICE_UNAVAILABLE'],
  },
  'GET /api/admin/test-recipients': {
    summary: 'The test recipients',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The LINE users test sends go to.',
      schema: s.testRecipients,
      example: { items: [RECIPIENT] },
    },
  },
  'POST /api/admin/test-recipients': {
    summary: 'Add (or rename) a test recipient',
    tag: 'Console',
    auth: 'admin',
    requestExample: RECIPIENT,
    ok: { status: 201, description: 'Added.', schema: s.testRecipient, example: RECIPIENT },
  },
  'DELETE /api/admin/test-recipients/{lineUserId}': {
    summary: 'Remove a test recipient',
    tag: 'Console',
    auth: 'admin',
    ok: { status: 204, description: 'Removed.' },
    errors: ['NOT_FOUND'],
  },
  'GET /api/admin/quota': {
    summary: 'This month’s LINE message quota and use',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The quota (`none`: no limit, or no channel access token).',
      schema: s.quota,
      example: { type: 'limited', limit: 5000, used: 1210, remaining: 3790 },
    },
    errors: ['SERVICE_UNAVAILABLE'],
  },
  'GET /api/admin/messaging-settings': {
    summary: 'The frequency cap and the automations’ hour',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'The settings.',
      schema: s.messagingSettings,
      example: SETTINGS,
    },
  },
  'PUT /api/admin/messaging-settings': {
    summary: 'Change the frequency cap and the automations’ hour',
    tag: 'Console',
    auth: 'admin',
    requestExample: SETTINGS,
    ok: { status: 200, description: 'Saved.', schema: s.messagingSettings, example: SETTINGS },
  },
  'GET /api/admin/automations': {
    summary: 'The automated messages (birthday, pointsExpiring, winBack, …)',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'Each kind with its configuration and last run.',
      schema: s.automations,
      example: {
        items: [
          {
            kind: 'birthday',
            enabled: true,
            messages: [{ type: 'text', text: 'お誕生日おめでとうございます！' }],
            params: { couponId: null },
            lastRun: RUN,
          },
        ],
      },
    },
  },
  'GET /api/admin/automations/runs': {
    summary: 'The automations’ daily runs, newest first (50 a page)',
    tag: 'Console',
    auth: 'admin',
    ok: {
      status: 200,
      description: 'A page of runs.',
      schema: s.automationRuns,
      example: { items: [RUN], nextCursor: null },
    },
  },
  'PUT /api/admin/automations/{kind}': {
    summary: 'Configure an automated message',
    description:
      '`params` are checked per kind (`pointsExpiring`: `{daysBefore}`, `winBack`: `{daysWithoutVisit}`; each may name a `couponId` to give); an enabled kind needs 1 to 5 ' +
      'messages. Runs daily at the automations’ hour (Asia/Tokyo).',
    tag: 'Console',
    auth: 'admin',
    requestExample: {
      enabled: true,
      messages: [{ type: 'text', text: 'お誕生日おめでとうございます！' }],
      params: { couponId: null },
    },
    ok: {
      status: 200,
      description: 'The kind as configured.',
      schema: s.automation,
      example: {
        kind: 'birthday',
        enabled: true,
        messages: [{ type: 'text', text: 'お誕生日おめでとうございます！' }],
        params: { couponId: null },
        lastRun: null,
      },
    },
    errors: ['NOT_FOUND'],
  },
} satisfies Operations
