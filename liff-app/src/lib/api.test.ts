import { describe, expect, it, vi } from 'vitest'
import { apiError, fakeFetch, json } from '../test/fake-api.ts'
import { ApiFailure, createApi } from './api.ts'

const member = { cardNumber: '************0011', name: '山田 花子', points: 1400, rank: 'gold' }

describe('the API client', () => {
  it('sends the ID token with every call', async () => {
    const f = fakeFetch({ 'GET /api/me': () => json({ linked: true, member }) })
    const api = createApi(
      { idToken: () => 'tok-1', recover: async () => false, signInRequired: vi.fn() },
      f.fetch,
    )
    expect(await api.me()).toEqual({ linked: true, member })
    expect(f.calls[0]?.headers.get('authorization')).toBe('Bearer tok-1')
  })

  it('recovers from ID_TOKEN_EXPIRED by itself and retries once with the fresh token', async () => {
    let token = 'stale'
    const f = fakeFetch({
      'GET /api/me': (req) =>
        req.headers.get('authorization') === 'Bearer fresh'
          ? json({ linked: false })
          : apiError('ID_TOKEN_EXPIRED', 401),
    })
    const recover = vi.fn(async () => {
      token = 'fresh'
      return true
    })
    const signInRequired = vi.fn()
    const api = createApi({ idToken: () => token, recover, signInRequired }, f.fetch)
    expect(await api.me()).toEqual({ linked: false })
    expect(recover).toHaveBeenCalledTimes(1)
    expect(f.calls).toHaveLength(2)
    expect(signInRequired).not.toHaveBeenCalled()
  })

  it('asks the user to sign in again when the retried call is refused too', async () => {
    const f = fakeFetch({ 'GET /api/card/qr': () => apiError('ID_TOKEN_EXPIRED', 401) })
    const recover = vi.fn(async () => true)
    const signInRequired = vi.fn()
    const api = createApi({ idToken: () => 't', recover, signInRequired }, f.fetch)
    await expect(api.qr()).rejects.toMatchObject({ code: 'ID_TOKEN_EXPIRED', status: 401 })
    expect(recover).toHaveBeenCalledTimes(1)
    expect(f.calls).toHaveLength(2)
    expect(signInRequired).toHaveBeenCalledTimes(1)
  })

  it('turns an error answer into its code, with Retry-After', async () => {
    const f = fakeFetch({
      'POST /api/link': () => apiError('TOO_MANY_ATTEMPTS', 429, { 'Retry-After': '600' }),
    })
    const api = createApi(
      { idToken: () => 't', recover: async () => false, signInRequired: vi.fn() },
      f.fetch,
    )
    const err = await api
      .link({
        cardNumber: '4900000000000011',
        pin: '1111',
        consent: { version: 'v', accepted: true },
      })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiFailure)
    expect(err).toMatchObject({ code: 'TOO_MANY_ATTEMPTS', status: 429, retryAfterSeconds: 600 })
    expect(await f.calls[0]?.json()).toMatchObject({ cardNumber: '4900000000000011' })
  })

  it('reports a dropped connection as NETWORK', async () => {
    const failing = (async () => {
      throw new TypeError('Failed to fetch')
    }) as typeof fetch
    const api = createApi(
      { idToken: () => 't', recover: async () => false, signInRequired: vi.fn() },
      failing,
    )
    await expect(api.me()).rejects.toMatchObject({ code: 'NETWORK', status: 0 })
  })

  it('sends the Idempotency-Key when issuing a card, and the history cursor', async () => {
    const f = fakeFetch({
      'POST /api/cards': () =>
        json({ member, bonusPoints: 200, pin: '0123', cardNumber: '9000000000000001' }, 201),
      'GET /api/points/history': () => json({ items: [], nextCursor: null }),
    })
    const api = createApi(
      { idToken: () => 't', recover: async () => false, signInRequired: vi.fn() },
      f.fetch,
    )
    await api.issueCard({ name: 'A', consent: { version: 'v', accepted: true } }, 'key-12345678')
    await api.history('abc')
    expect(f.calls[0]?.headers.get('idempotency-key')).toBe('key-12345678')
    expect(new URL(f.calls[1]?.url ?? '').searchParams.get('cursor')).toBe('abc')
  })
})
