import type { AppType } from '@membercard/server'
import type { IssueCardRequest, LinkRequest } from '@membercard/shared'
import type { ErrorCode } from '@membercard/shared/errors'
import { hc } from 'hono/client'
import { readFailure } from './failure.ts'

/** A failed call: the contract's error code, or `NETWORK` when no answer came. */
export class ApiFailure extends Error {
  constructor(
    readonly code: ErrorCode | 'NETWORK',
    readonly status: number,
    /** From `Retry-After`, when the server sent one. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(code)
    this.name = 'ApiFailure'
  }
}

/** What the client needs from the signed-in session. */
export interface ApiSession {
  /** The current LINE ID token. */
  idToken(): string | null
  /** Gets a fresh token after `ID_TOKEN_EXPIRED`; false when it cannot (the user must act). */
  recover(): Promise<boolean>
  /** Told when the token is refused even after recovering: the app shows "sign in again". */
  signInRequired(): void
}

const AUTH_CODES: ReadonlySet<string> = new Set(['ID_TOKEN_EXPIRED', 'INVALID_ID_TOKEN'])

async function failureOf(res: Response): Promise<ApiFailure> {
  const f = await readFailure(res)
  const code = f.code ?? (res.status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_FAILED')
  return new ApiFailure(code, res.status, f.retryAfterSeconds)
}

/**
 * The one typed API client (`hc<AppType>`): every call carries the ID token; on
 * `ID_TOKEN_EXPIRED` it recovers a fresh token and retries once.
 */
export function createApi(session: ApiSession, fetchImpl: typeof fetch = (...a) => fetch(...a)) {
  const client = hc<AppType>('/', {
    fetch: fetchImpl,
    headers: (): Record<string, string> => {
      const token = session.idToken()
      return token ? { Authorization: `Bearer ${token}` } : {}
    },
  })

  async function send<R extends Response>(call: () => Promise<R>): Promise<R> {
    let recovered = false
    for (;;) {
      let res: R
      try {
        res = await call()
      } catch {
        throw new ApiFailure('NETWORK', 0)
      }
      if (res.ok) return res
      const failure = await failureOf(res)
      if (failure.code === 'ID_TOKEN_EXPIRED' && !recovered) {
        recovered = true
        if (await session.recover()) continue
      }
      if (AUTH_CODES.has(failure.code)) session.signInRequired()
      throw failure
    }
  }

  /** `send` only returns successful answers, so the error shape is not a possible body. */
  async function ok<R extends { json(): Promise<unknown> }>(res: Promise<R>) {
    return (await (await res).json()) as Exclude<Awaited<ReturnType<R['json']>>, { error: unknown }>
  }

  return {
    /** The server's client settings now (`GET /api/config`), e.g. after `CONSENT_OUTDATED`. */
    config: () => ok(send(() => client.api.config.$get())),
    me: () => ok(send(() => client.api.me.$get())),
    link: (body: LinkRequest) => ok(send(() => client.api.link.$post({ json: body }))),
    /** Whether linking can still bring this user the bonus (`GET /api/link/bonus`). */
    linkBonus: () => ok(send(() => client.api.link.bonus.$get())),
    unlink: async () => {
      await send(() => client.api.link.$delete())
    },
    issueCard: (body: IssueCardRequest, idempotencyKey: string) =>
      ok(
        send(() =>
          client.api.cards.$post(
            { json: body },
            { headers: { 'Idempotency-Key': idempotencyKey } },
          ),
        ),
      ),
    qr: () => ok(send(() => client.api.card.qr.$get())),
    /** A new device key for offline codes (`POST /api/card/device-key`, decision 067). */
    deviceKey: () => ok(send(() => client.api.card['device-key'].$post())),
    /** The member's promotions preference (`GET /api/me/preferences`). */
    preferences: () => ok(send(() => client.api.me.preferences.$get())),
    setPreferences: (body: { promotions: boolean }) =>
      ok(send(() => client.api.me.preferences.$put({ json: body }))),
    history: (cursor?: string) =>
      ok(send(() => client.api.points.history.$get({ query: cursor ? { cursor } : {} }))),
    /**
     * A call for a screen loaded later, whose routes live in its own chunk (the coupons'), with
     * this client's token and recovery: `T` is the answer's type.
     */
    call: async <T>(route: (c: typeof client) => Promise<Response>): Promise<T> =>
      (await send(() => route(client))).json() as Promise<T>,
  }
}

/** The client's type. */
export type Api = ReturnType<typeof createApi>
