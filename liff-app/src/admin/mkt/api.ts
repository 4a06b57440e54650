import type { Segment } from '@membercard/shared'
import { ApiFailure } from '../../lib/api.ts'
import { readFailure } from '../../lib/failure.ts'
import type { AdminSession } from '../api.ts'
import type { LineMessage } from './flex-card.ts'
import type {
  Automation,
  AutomationKind,
  AutomationRun,
  Campaign,
  CampaignInsight,
  MessagingSettings,
  Page,
  Quota,
  SampleMember,
  SavedSegment,
  SegmentCount,
  TestRecipient,
} from './types.ts'

/**
 * A failure of a marketing route that keeps the server's message: LINE's explanation of an
 * invalid message, and how many members a campaign over the quota can still reach.
 */
export class MktFailure extends ApiFailure {
  constructor(
    code: ApiFailure['code'],
    status: number,
    readonly detail: string,
  ) {
    super(code, status)
  }
}

async function failureOf(res: Response): Promise<MktFailure> {
  const f = await readFailure(res)
  const code =
    f.code ??
    (res.status >= 500 ? 'INTERNAL_ERROR' : res.status === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED')
  return new MktFailure(code, res.status, f.message)
}

/**
 * The console's client of the segment, campaign and automation routes. Plain `fetch` with
 * the session's CSRF token, like the typed client (`../api.ts`), because these routes are
 * built on another branch at the same time (docs/decisions/080); the shapes are
 * `WAVE3-API.md`'s.
 */
export function createMktApi(
  session: AdminSession,
  fetchImpl: typeof fetch = (...a) => fetch(...a),
) {
  async function call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const h: Record<string, string> = { ...headers }
    if (body !== undefined) h['Content-Type'] = 'application/json'
    const csrf = session.csrfToken()
    if (csrf && method !== 'GET') h['X-CSRF-Token'] = csrf
    let res: Response
    try {
      res = await fetchImpl(path, {
        method,
        headers: h,
        credentials: 'same-origin',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      })
    } catch {
      throw new MktFailure('NETWORK', 0, '')
    }
    if (!res.ok) {
      const failure = await failureOf(res)
      if (res.status === 401) session.signedOut()
      throw failure
    }
    return (res.status === 204 ? undefined : await res.json()) as T
  }
  const q = (cursor?: string) => (cursor ? `?cursor=${encodeURIComponent(cursor)}` : '')
  const seg = '/api/admin/segments'
  const camp = '/api/admin/campaigns'
  return {
    clientConfig: () => call<{ liffId: string | null; storeName: string }>('GET', '/api/config'),
    count: (segment: Segment) => call<SegmentCount>('POST', `${seg}/count`, { segment }),
    sample: (segment: Segment) =>
      call<{ items: SampleMember[] }>('POST', `${seg}/sample`, { segment }),
    segments: () => call<{ items: SavedSegment[] }>('GET', seg),
    saveSegment: (name: string, segment: Segment) =>
      call<SavedSegment>('POST', seg, { name, segment }),
    deleteSegment: (id: number) => call<void>('DELETE', `${seg}/${id}`),

    campaigns: (cursor?: string) => call<Page<Campaign>>('GET', `${camp}${q(cursor)}`),
    campaign: (id: number) => call<Campaign>('GET', `${camp}/${id}`),
    createCampaign: (
      body: { name: string; segment: Segment; messages: LineMessage[]; scheduledAt?: string },
      idempotencyKey: string,
    ) =>
      call<{ id: number; status: string; recipients: number }>('POST', camp, body, {
        'Idempotency-Key': idempotencyKey,
      }),
    cancelCampaign: (id: number) => call<Campaign>('POST', `${camp}/${id}/cancel`),
    insight: (id: number) => call<CampaignInsight>('GET', `${camp}/${id}/insight`),
    validate: (messages: LineMessage[]) =>
      call<{ valid: true }>('POST', '/api/admin/messages/validate', { messages }),
    sendTest: (messages: LineMessage[]) =>
      call<{ sentTo: number }>('POST', `${camp}/test`, { messages }),

    testRecipients: () => call<{ items: TestRecipient[] }>('GET', '/api/admin/test-recipients'),
    addTestRecipient: (r: TestRecipient) =>
      call<TestRecipient>('POST', '/api/admin/test-recipients', r),
    removeTestRecipient: (lineUserId: string) =>
      call<void>('DELETE', `/api/admin/test-recipients/${encodeURIComponent(lineUserId)}`),

    quota: () => call<Quota>('GET', '/api/admin/quota'),
    messagingSettings: () => call<MessagingSettings>('GET', '/api/admin/messaging-settings'),
    saveMessagingSettings: (s: MessagingSettings) =>
      call<MessagingSettings>('PUT', '/api/admin/messaging-settings', s),

    automations: () => call<{ items: Automation[] }>('GET', '/api/admin/automations'),
    saveAutomation: (
      kind: AutomationKind,
      body: { enabled: boolean; messages: LineMessage[]; params: Automation['params'] },
    ) => call<Automation>('PUT', `/api/admin/automations/${kind}`, body),
    automationRuns: (cursor?: string) =>
      call<Page<AutomationRun>>('GET', `/api/admin/automations/runs${q(cursor)}`),
  }
}
export type MktApi = ReturnType<typeof createMktApi>

let current: MktApi | null = null
/** Installs the client (main.ts; tests install one over a fake fetch). */
export function setMktApi(api: MktApi): void {
  current = api
}
export function mktApi(): MktApi {
  if (!current) throw new Error('the marketing API is not set up (setMktApi)')
  return current
}
