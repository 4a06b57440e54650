import type { AppType } from '@membercard/server'
import type { ApiKeyScope, WebhookEventType } from '@membercard/shared'
import { isErrorBody } from '@membercard/shared/errors'
import { hc } from 'hono/client'
import { ApiFailure } from '../lib/api.ts'
import { readFailure } from '../lib/failure.ts'
import type { AuditFilter, ImportJob, Role } from './types.ts'

/** What the client needs from the console's session. */
export interface AdminSession {
  /** The CSRF token of the cookie session, sent with every write. */
  csrfToken(): string | null
  /** Told when the server no longer knows the session (401 on a signed-in call). */
  signedOut(): void
}

async function failureOf(res: Response): Promise<ApiFailure> {
  const { body, retryAfterSeconds } = await readFailure(res)
  const code = isErrorBody(body)
    ? body.error.code
    : res.status >= 500
      ? 'INTERNAL_ERROR'
      : res.status === 403
        ? 'FORBIDDEN'
        : res.status === 404
          ? 'NOT_FOUND'
          : 'VALIDATION_FAILED'
  return new ApiFailure(code, res.status, retryAfterSeconds)
}

/**
 * The console's API client: the typed `hc<AppType>` client, as the customer app's
 * (`lib/api.ts`). It is signed in by the cookie session (`/api/admin/session`: an `HttpOnly`
 * cookie no script can read) and sends the session's CSRF token as `X-CSRF-Token` (the
 * server wants it on writes). Failures are `ApiFailure`s carrying the contract's code; a 401
 * on a signed-in call tells the session it has ended.
 */
export function createAdminApi(
  session: AdminSession,
  fetchImpl: typeof fetch = (...a) => fetch(...a),
) {
  const client = hc<AppType>('/', {
    fetch: fetchImpl,
    init: { credentials: 'same-origin' },
    headers: (): Record<string, string> => {
      const csrf = session.csrfToken()
      return csrf ? { 'X-CSRF-Token': csrf } : {}
    },
  })
  const admin = client.api.admin

  async function send<R extends Response>(
    call: () => Promise<R>,
    opts: { signIn?: boolean } = {},
  ): Promise<R> {
    let res: R
    try {
      res = await call()
    } catch {
      throw new ApiFailure('NETWORK', 0)
    }
    if (res.ok) return res
    const failure = await failureOf(res)
    if (res.status === 401 && !opts.signIn) session.signedOut()
    throw failure
  }
  /** `send` only returns successful answers, so the error shape is not a possible body. */
  async function ok<R extends { json(): Promise<unknown> }>(res: Promise<R>) {
    return (await (await res).json()) as Exclude<Awaited<ReturnType<R['json']>>, { error: unknown }>
  }
  async function done(res: Promise<unknown>): Promise<void> {
    await res
  }

  const card = (cardId: string) => ({ param: { cardId } })
  const members = admin.members[':cardId{[0-9]{1,15}}']

  return {
    /**
     * A call for routes the server's types do not list yet (`coupons-api.ts`), with this
     * client's session, CSRF token and failures: `T` is the answer's type.
     */
    call: async <T>(route: (c: typeof client) => Promise<Response>): Promise<T> =>
      (await send(() => route(client))).json() as Promise<T>,
    /** The current session, or null when signed out. */
    session: async () => {
      try {
        return await ok(send(() => admin.session.$get(), { signIn: true }))
      } catch (err) {
        if (err instanceof ApiFailure && err.status === 401) return null
        throw err
      }
    },
    signIn: (json: { staffId: string; password: string; totp?: string; recoveryCode?: string }) =>
      ok(send(() => admin.session.$post({ json }), { signIn: true })),
    signOut: () => done(send(() => admin.session.$delete())),
    signOutEverywhere: () => done(send(() => admin.session['revoke-all'].$post())),
    enrollTotp: () => ok(send(() => admin.totp.enroll.$post())),
    /** Answers the recovery codes, shown this once (decision 093). */
    confirmTotp: (code: string) => ok(send(() => admin.totp.confirm.$post({ json: { code } }))),
    recoveryCodeStatus: () => ok(send(() => admin.totp['recovery-codes'].$get())),
    regenerateRecoveryCodes: (code: string) =>
      ok(send(() => admin.totp['recovery-codes'].$post({ json: { code } }))),

    kpis: (from: string, to: string) => ok(send(() => admin.kpis.$get({ query: { from, to } }))),

    members: (q: string, cursor?: string) =>
      ok(send(() => admin.members.$get({ query: cursor ? { q, cursor } : { q } }))),
    member: (cardId: string) => ok(send(() => members.$get(card(cardId)))),
    history: (cardId: string, cursor?: string) =>
      ok(send(() => members.history.$get({ ...card(cardId), query: cursor ? { cursor } : {} }))),
    adjust: (cardId: string, json: { points: number; reason: string }, idempotencyKey: string) =>
      ok(
        send(() =>
          members.adjust.$post(
            { ...card(cardId), json },
            { headers: { 'Idempotency-Key': idempotencyKey } },
          ),
        ),
      ),
    unlink: (cardId: string) => done(send(() => members.unlink.$post(card(cardId)))),
    clearLock: (cardId: string) => done(send(() => members['clear-lock'].$post(card(cardId)))),
    erase: (cardId: string, reason: string) =>
      done(send(() => members.erase.$post({ ...card(cardId), json: { reason } }))),

    stores: () => ok(send(() => admin.stores.$get())),
    addStore: (json: { code: string; name: string }) =>
      ok(send(() => admin.stores.$post({ json }))),
    updateStore: (code: string, json: { name?: string; active?: boolean }) =>
      ok(send(() => admin.stores[':code'].$patch({ param: { code }, json }))),
    staff: () => ok(send(() => admin.staff.$get())),
    addStaff: (json: { staffId: string; role: Role; storeCode?: string; password: string }) =>
      ok(send(() => admin.staff.$post({ json }))),
    updateStaff: (
      staffId: string,
      json: { role?: Role; storeCode?: string | null; disabled?: boolean },
    ) => ok(send(() => admin.staff[':staffId'].$patch({ param: { staffId }, json }))),
    resetPassword: (staffId: string, password: string) =>
      done(
        send(() =>
          admin.staff[':staffId'].password.$post({ param: { staffId }, json: { password } }),
        ),
      ),
    resetSecondFactor: (staffId: string) =>
      done(send(() => admin.staff[':staffId'].totp.$delete({ param: { staffId } }))),
    removeStaff: (staffId: string) =>
      done(send(() => admin.staff[':staffId'].$delete({ param: { staffId } }))),

    openImport: (size: number) => ok(send(() => admin.imports.$post({ json: { size } }))),
    importJob: (id: number) =>
      ok(send(() => admin.imports[':id'].$get({ param: { id: String(id) } }))),
    /** Sends the file as the import's body (the browser streams it from disk). */
    uploadImport: async (id: number, file: Blob) => {
      const headers: Record<string, string> = { 'Content-Type': 'text/csv' }
      const csrf = session.csrfToken()
      if (csrf) headers['X-CSRF-Token'] = csrf
      const res = await send(() =>
        fetchImpl(`/api/admin/imports/${id}/file`, {
          method: 'PUT',
          headers,
          credentials: 'same-origin',
          body: file,
        }),
      )
      return (await res.json()) as ImportJob
    },
    audit: (filter: AuditFilter, cursor?: string) =>
      ok(
        send(() =>
          admin.audit.$get({
            query: Object.fromEntries(
              Object.entries({ ...filter, cursor }).filter(([, v]) => v !== undefined && v !== ''),
            ),
          }),
        ),
      ),

    // POS integration (admin only): API keys and outbound webhooks.
    apiKeys: () => ok(send(() => admin['api-keys'].$get())),
    createApiKey: (json: { storeCode: string; name: string; scopes: ApiKeyScope[] }) =>
      ok(send(() => admin['api-keys'].$post({ json }))),
    revokeApiKey: (id: number) =>
      ok(send(() => admin['api-keys'][':id'].revoke.$post({ param: { id: String(id) } }))),
    webhooks: () => ok(send(() => admin.webhooks.$get())),
    createWebhook: (json: { url: string; events: WebhookEventType[] }) =>
      ok(send(() => admin.webhooks.$post({ json }))),
    removeWebhook: (id: number) =>
      done(send(() => admin.webhooks[':id'].$delete({ param: { id: String(id) } }))),
    webhookDeliveries: (id: number) =>
      ok(send(() => admin.webhooks[':id'].deliveries.$get({ param: { id: String(id) } }))),
    testWebhook: (id: number) =>
      ok(send(() => admin.webhooks[':id'].test.$post({ param: { id: String(id) } }))),
  }
}

/** The console's client. */
export type AdminApi = ReturnType<typeof createAdminApi>
