import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { apiError, fakeFetch, json } from '../test/fake-api.ts'
import { createTillApi, onSignedOut, staffToken, TillApiError } from './api.ts'

const TOKEN = 'staff-token-123456789012345'

describe('the till API client (hc<AppType>)', () => {
  beforeEach(() => staffToken.set(TOKEN))
  afterEach(() => {
    staffToken.clear()
  })

  it('retries a lost answer and a busy key with the SAME Idempotency-Key and the token', async () => {
    let first = true
    const f = fakeFetch({
      'POST /api/staff/points': [
        () => {
          if (first) {
            first = false
            throw new TypeError('network')
          }
          return json({})
        },
        () => apiError('IDEMPOTENCY_KEY_IN_USE', 409),
        () => json({ transactionId: '7', points: 39, balance: 1439 }),
      ],
    })
    const api = createTillApi(f.fetch, { baseDelayMs: 1 })
    const res = await api.points(
      { qrToken: 'Q'.repeat(36), type: 'award', purchaseAmount: 1999 },
      'key-1',
    )
    expect(res).toEqual({ transactionId: '7', points: 39, balance: 1439 })
    expect(f.calls).toHaveLength(3)
    expect(f.calls.map((r) => r.headers.get('idempotency-key'))).toEqual([
      'key-1',
      'key-1',
      'key-1',
    ])
    expect(f.calls[0]?.headers.get('authorization')).toBe(`Bearer ${TOKEN}`)
    expect(await f.calls[2]?.json()).toEqual({
      qrToken: 'Q'.repeat(36),
      type: 'award',
      purchaseAmount: 1999,
    })
  })

  it('does not retry a refusal, and gives up after the attempts', async () => {
    const refused = fakeFetch({
      'POST /api/staff/adjust': () => apiError('INSUFFICIENT_POINTS', 422),
    })
    const api = createTillApi(refused.fetch, { baseDelayMs: 1 })
    await expect(
      api.adjust({ qrToken: 'Q'.repeat(36), points: -5, reason: 'x' }, 'k'),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS', status: 422 })
    expect(refused.calls).toHaveLength(1)

    const offline = fakeFetch({
      'POST /api/staff/transactions/42/void': () => {
        throw new TypeError('offline')
      },
    })
    const err: unknown = await createTillApi(offline.fetch, { attempts: 3, baseDelayMs: 1 })
      .void('42', 'k')
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TillApiError)
    expect((err as TillApiError).code).toBe('NETWORK')
    expect(offline.calls).toHaveLength(3)
  })

  it('drops the token and tells the screens when the server refuses it', async () => {
    const signedOut = vi.fn()
    const stop = onSignedOut(signedOut)
    const f = fakeFetch({ 'GET /api/staff/me': () => apiError('STAFF_AUTH_REQUIRED', 401) })
    await expect(createTillApi(f.fetch).me()).rejects.toMatchObject({ code: 'STAFF_AUTH_REQUIRED' })
    expect(staffToken.get()).toBeNull()
    expect(signedOut).toHaveBeenCalledOnce()
    stop()
  })

  it('keeps the token of a sign-in on the device (localStorage) until sign-out', async () => {
    staffToken.clear()
    const f = fakeFetch({
      'POST /api/staff/login': [
        () => json({ token: 'new-token-1234567890123', expiresAt: 'x' }),
        () => apiError('TOO_MANY_ATTEMPTS', 429, { 'Retry-After': '120' }),
      ],
      'POST /api/staff/logout': () => new Response(null, { status: 204 }),
    })
    const api = createTillApi(f.fetch)
    await api.login('demo-clerk', 'pw')
    // localStorage outlives the window; sessionStorage (the old place) would not.
    expect(localStorage.getItem('membercard.staff.token')).toBe('new-token-1234567890123')
    expect(sessionStorage.getItem('membercard.staff.token')).toBeNull()
    await expect(api.login('demo-clerk', 'bad')).rejects.toMatchObject({
      code: 'TOO_MANY_ATTEMPTS',
      retryAfterSeconds: 120,
    })
    await api.logout()
    expect(f.calls.at(-1)?.headers.get('authorization')).toBe('Bearer new-token-1234567890123')
    expect(localStorage.getItem('membercard.staff.token')).toBeNull()
  })

  it("lists today's transactions with the filter and cursor in the query", async () => {
    const f = fakeFetch({
      'GET /api/staff/transactions': () => json({ items: [], nextCursor: null }),
    })
    await createTillApi(f.fetch).today(true, '99')
    const url = new URL(f.calls[0]?.url ?? '')
    expect(Object.fromEntries(url.searchParams)).toEqual({ mine: '1', before: '99' })
  })
})
