import { expect, onTestFinished } from 'vitest'
import { type ApiSession, createApi } from '../lib/api.ts'
import type { LiffSession } from '../lib/liff-session.ts'
import { setServices } from '../lib/services.ts'

type Handler = (req: Request) => Response | Promise<Response>

/** A JSON answer. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })
}

/** The API's error answer. */
export function apiError(code: string, status: number, headers: Record<string, string> = {}) {
  return json({ error: { code, message: code } }, status, headers)
}

/**
 * A fetch that answers only the routes a test declares (`'GET /api/me'`). Any other call is
 * recorded and fails the test when it finishes, even if the app swallowed the error.
 */
export function fakeFetch(routes: Record<string, Handler | Handler[]>) {
  const calls: Request[] = []
  const unexpected: string[] = []
  const queues = new Map(
    Object.entries(routes).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v] as const),
  )
  onTestFinished(() => {
    expect(unexpected, 'unexpected API calls').toEqual([])
  })
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(new URL(String(input), 'http://app.test'), init)
    calls.push(req)
    const key = `${req.method} ${new URL(req.url).pathname}`
    const entry = queues.get(key)
    const handler = Array.isArray(entry) ? (entry.length > 1 ? entry.shift() : entry[0]) : entry
    if (!handler) {
      unexpected.push(key)
      throw new Error(`unexpected API call: ${key}`)
    }
    return handler(req)
  }) as typeof fetch
  return { fetch: fetchImpl, calls, unexpected }
}

/** A base64url JWT-shaped token whose payload has `sub` (never verified on the client). */
export function fakeToken(sub = 'Utest', n = 0): string {
  const enc = (o: object) =>
    btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(o))))
      .replace(/=+$/, '')
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
  return `${enc({ alg: 'none' })}.${enc({ sub, name: 'テスト 太郎', n })}.sig`
}

/** Wires the stores to a fake fetch and a fake LIFF session. */
export function fakeServices(
  fetchImpl: typeof fetch,
  opts: {
    token?: string
    recover?: () => Promise<boolean>
    session?: Partial<ApiSession>
    liff?: Partial<LiffSession>
  } = {},
) {
  let token = opts.token ?? fakeToken()
  const liff: LiffSession = {
    kind: 'liff',
    idToken: () => token,
    displayName: () => 'テスト 太郎',
    recover: opts.recover ?? (async () => false),
    signInAgain: async () => undefined,
    signOut: async () => undefined,
    ...opts.liff,
  }
  const api = createApi(
    {
      idToken: () => token,
      recover: () => liff.recover(),
      signInRequired: () => undefined,
      ...opts.session,
    },
    fetchImpl,
  )
  const config = {
    mode: 'demo' as const,
    liffId: 'demo',
    storeName: 'テスト店',
    bonusPoints: 200,
    consentVersion: 'v1',
    privacyPolicyUrl: '/privacy',
    qrTtlSeconds: 60,
    oaBasicId: null,
  }
  setServices({ config, api, liff })
  return {
    config,
    api,
    setToken: (t: string) => {
      token = t
    },
  }
}
