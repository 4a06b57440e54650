import { isErrorBody } from '@membercard/shared/errors'
import { ApiFailure } from '../lib/api.ts'
import type {
  AdjustResult,
  AuditEntry,
  AuditFilter,
  HistoryItem,
  Kpis,
  MemberDetail,
  MemberRow,
  Page,
  Role,
  SessionInfo,
  StaffAccount,
  Store,
  TotpEnrollment,
} from './types.ts'

/** What the client needs from the console's session. */
export interface AdminSession {
  /** The CSRF token of the cookie session, sent with every write. */
  csrfToken(): string | null
  /** Told when the server no longer knows the session (401 on a signed-in call). */
  signedOut(): void
}

type Query = Record<string, string | undefined>

async function failureOf(res: Response): Promise<ApiFailure> {
  const body: unknown = await res.json().catch(() => null)
  const retry = Number(res.headers.get('Retry-After'))
  const code = isErrorBody(body)
    ? body.error.code
    : res.status >= 500
      ? 'INTERNAL_ERROR'
      : res.status === 403
        ? 'FORBIDDEN'
        : res.status === 404
          ? 'NOT_FOUND'
          : 'VALIDATION_FAILED'
  return new ApiFailure(code, res.status, Number.isFinite(retry) && retry > 0 ? retry : null)
}

function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, v)
  const s = params.toString()
  return s ? `${path}?${s}` : path
}

/**
 * The console's API client. It signs in with the cookie session (`/api/admin/session`: an
 * `HttpOnly` cookie no script can read) and sends the session's CSRF token on every write.
 * Failures are `ApiFailure`s carrying the contract's code.
 */
export function createAdminApi(
  session: AdminSession,
  fetchImpl: typeof fetch = (...a) => fetch(...a),
) {
  async function call(
    method: string,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string>; signIn?: boolean } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers }
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
    if (method !== 'GET') {
      const csrf = session.csrfToken()
      if (csrf) headers['X-CSRF-Token'] = csrf
    }
    let res: Response
    try {
      res = await fetchImpl(path, {
        method,
        headers,
        credentials: 'same-origin',
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      })
    } catch {
      throw new ApiFailure('NETWORK', 0)
    }
    if (res.ok) return res
    const failure = await failureOf(res)
    // A signed-in call refused for want of a session: the session ended (idle, revoked).
    if (res.status === 401 && !opts.signIn) session.signedOut()
    throw failure
  }
  const get = async <T>(path: string, query?: Query) =>
    (await (await call('GET', withQuery(path, query))).json()) as T
  const send = async <T>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => (await (await call(method, path, { body, headers })).json()) as T
  const act = async (method: string, path: string, body?: unknown) => {
    await call(method, path, { body })
  }
  const member = (cardId: string) => `/api/admin/members/${encodeURIComponent(cardId)}`

  return {
    /** The current session, or null when signed out. */
    session: async (): Promise<SessionInfo | null> => {
      try {
        return (await (
          await call('GET', '/api/admin/session', { signIn: true })
        ).json()) as SessionInfo
      } catch (err) {
        if (err instanceof ApiFailure && err.status === 401) return null
        throw err
      }
    },
    signIn: async (body: { staffId: string; password: string; totp?: string }) =>
      (await (
        await call('POST', '/api/admin/session', { body, signIn: true })
      ).json()) as SessionInfo,
    signOut: () => act('DELETE', '/api/admin/session'),
    signOutEverywhere: () => act('POST', '/api/admin/session/revoke-all'),
    enrollTotp: () => send<TotpEnrollment>('POST', '/api/admin/totp/enroll'),
    confirmTotp: (code: string) => act('POST', '/api/admin/totp/confirm', { code }),

    kpis: (from: string, to: string) => get<Kpis>('/api/admin/kpis', { from, to }),

    members: (q: string, cursor?: string) =>
      get<Page<MemberRow>>('/api/admin/members', { q, cursor }),
    member: (cardId: string) => get<MemberDetail>(member(cardId)),
    history: (cardId: string, cursor?: string) =>
      get<Page<HistoryItem>>(`${member(cardId)}/history`, { cursor }),
    adjust: (cardId: string, body: { points: number; reason: string }, idempotencyKey: string) =>
      send<AdjustResult>('POST', `${member(cardId)}/adjust`, body, {
        'Idempotency-Key': idempotencyKey,
      }),
    unlink: (cardId: string) => act('POST', `${member(cardId)}/unlink`),
    clearLock: (cardId: string) => act('POST', `${member(cardId)}/clear-lock`),
    erase: (cardId: string, reason: string) => act('POST', `${member(cardId)}/erase`, { reason }),

    stores: () => get<{ items: Store[] }>('/api/admin/stores'),
    addStore: (body: { code: string; name: string }) =>
      send<Store>('POST', '/api/admin/stores', body),
    updateStore: (code: string, body: { name?: string; active?: boolean }) =>
      send<Store>('PATCH', `/api/admin/stores/${encodeURIComponent(code)}`, body),
    staff: () => get<{ items: StaffAccount[] }>('/api/admin/staff'),
    addStaff: (body: { staffId: string; role: Role; storeCode?: string; password: string }) =>
      send<StaffAccount>('POST', '/api/admin/staff', body),
    updateStaff: (
      staffId: string,
      body: { role?: Role; storeCode?: string | null; disabled?: boolean },
    ) => send<StaffAccount>('PATCH', `/api/admin/staff/${encodeURIComponent(staffId)}`, body),
    resetPassword: (staffId: string, password: string) =>
      act('POST', `/api/admin/staff/${encodeURIComponent(staffId)}/password`, { password }),
    removeStaff: (staffId: string) =>
      act('DELETE', `/api/admin/staff/${encodeURIComponent(staffId)}`),

    audit: (filter: AuditFilter, cursor?: string) =>
      get<Page<AuditEntry>>('/api/admin/audit', { ...filter, cursor }),
  }
}

/** The console's client. */
export type AdminApi = ReturnType<typeof createAdminApi>
