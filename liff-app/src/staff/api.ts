import type { Member, TillResult, TillTransaction } from '@membercard/shared'
import type { ErrorCode } from '@membercard/shared/errors'
import type { TillRules } from '@membercard/shared/points'

/** A failed till call: the contract's error code, or `NETWORK` when no answer came. */
export class TillApiError extends Error {
  constructor(
    readonly code: ErrorCode | 'NETWORK',
    readonly status: number,
    readonly serverMessage: string | null = null,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(code)
    this.name = 'TillApiError'
  }
}

/** The signed-in staff member, with the rules the till previews awards with. */
export interface StaffMe {
  staffId: string
  storeCode: string
  storeName: string
  role: 'clerk' | 'manager'
  rules: TillRules
}

const TOKEN_KEY = 'membercard.staff.token'

/** The staff token lives in sessionStorage: it ends with the browser tab (and the shift). */
export const staffToken = {
  get(): string | null {
    try {
      return sessionStorage.getItem(TOKEN_KEY)
    } catch {
      return null
    }
  },
  set(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token)
  },
  clear(): void {
    try {
      sessionStorage.removeItem(TOKEN_KEY)
    } catch {
      // nothing stored
    }
  },
}

type Listener = () => void
const signedOutListeners = new Set<Listener>()

/** Called when the server refuses the staff token (expired shift, signed out elsewhere). */
export function onSignedOut(listener: Listener): () => void {
  signedOutListeners.add(listener)
  return () => signedOutListeners.delete(listener)
}

/** A new idempotency key: one per intended transaction. */
export function newIdempotencyKey(): string {
  // randomUUID needs a secure context; a shop tablet on plain http over the LAN has none.
  if (typeof crypto.randomUUID === 'function' && globalThis.isSecureContext) {
    return crypto.randomUUID()
  }
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

async function request<T>(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  fetchImpl: typeof fetch = fetch,
): Promise<T> {
  const token = staffToken.get()
  let res: Response
  try {
    res = await fetchImpl(`/api/staff${path}`, {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
    })
  } catch {
    throw new TillApiError('NETWORK', 0)
  }
  if (res.status === 204) return undefined as T
  const json = (await res.json().catch(() => null)) as {
    error?: { code?: ErrorCode; message?: string }
  } | null
  if (!res.ok) {
    const code = json?.error?.code ?? (res.status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_FAILED')
    const retry = Number(res.headers.get('Retry-After'))
    if (code === 'STAFF_AUTH_REQUIRED' && token) {
      staffToken.clear()
      for (const l of signedOutListeners) l()
    }
    throw new TillApiError(
      code,
      res.status,
      json?.error?.message ?? null,
      Number.isFinite(retry) && retry > 0 ? retry : null,
    )
  }
  return json as T
}

/** Answers worth retrying with the SAME key: the first attempt may or may not have counted. */
const RETRYABLE = new Set(['NETWORK', 'IDEMPOTENCY_KEY_IN_USE', 'SERVICE_UNAVAILABLE'])

/**
 * A mutating till call with one idempotency key: a lost answer or a busy key is retried with
 * the same key (so it can never count twice), a few times with a growing pause.
 */
export async function mutate<T>(
  path: string,
  body: unknown,
  idempotencyKey: string,
  opts: { attempts?: number; baseDelayMs?: number } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 4
  const base = opts.baseDelayMs ?? 400
  for (let i = 1; ; i++) {
    try {
      return await request<T>('POST', path, body, { 'Idempotency-Key': idempotencyKey })
    } catch (err) {
      if (!(err instanceof TillApiError) || !RETRYABLE.has(err.code) || i >= attempts) throw err
      await new Promise((r) => setTimeout(r, base * 2 ** (i - 1)))
    }
  }
}

/** Body of `POST /api/staff/points`. */
export type PointsBody =
  | { qrToken: string; type: 'award'; purchaseAmount: number }
  | { qrToken: string; type: 'redeem'; points: number }

/** The till's API calls. */
export const tillApi = {
  async login(staffId: string, password: string): Promise<void> {
    const r = await request<{ token: string; expiresAt: string }>('POST', '/login', {
      staffId,
      password,
    })
    staffToken.set(r.token)
  },
  me: () => request<StaffMe>('GET', '/me'),
  async logout(): Promise<void> {
    try {
      await request('POST', '/logout')
    } finally {
      staffToken.clear()
    }
  },
  scan: (qrToken: string) =>
    request<{ member: Member; expiresAt: string }>('POST', '/scan', { qrToken }),
  points: (body: PointsBody, key: string) => mutate<TillResult>('/points', body, key),
  adjust: (body: { qrToken: string; points: number; reason: string }, key: string) =>
    mutate<TillResult>('/adjust', body, key),
  void: (transactionId: string, key: string) =>
    mutate<TillResult>(`/transactions/${encodeURIComponent(transactionId)}/void`, {}, key),
  today: (mine: boolean, before?: string) => {
    const q = new URLSearchParams()
    if (mine) q.set('mine', '1')
    if (before) q.set('before', before)
    const qs = q.toString()
    return request<{ items: TillTransaction[]; nextCursor: string | null }>(
      'GET',
      `/transactions${qs ? `?${qs}` : ''}`,
    )
  },
}
