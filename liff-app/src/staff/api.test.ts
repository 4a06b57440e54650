import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mutate, onSignedOut, staffToken, TillApiError, tillApi } from './api.ts'

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  })
}

describe('the till API wrapper', () => {
  const fetchMock = vi.fn<typeof fetch>()
  beforeEach(() => {
    vi.stubGlobal('fetch', fetchMock)
    staffToken.set('staff-token-123456789012345')
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    fetchMock.mockReset()
    staffToken.clear()
  })

  it('retries a lost answer and a busy key with the SAME Idempotency-Key', async () => {
    fetchMock
      .mockRejectedValueOnce(new TypeError('network'))
      .mockResolvedValueOnce(
        answer(409, { error: { code: 'IDEMPOTENCY_KEY_IN_USE', message: 'busy' } }),
      )
      .mockResolvedValueOnce(answer(200, { transactionId: '7', points: 39, balance: 1439 }))
    const res = await mutate('/points', { a: 1 }, 'key-1', { baseDelayMs: 1 })
    expect(res).toEqual({ transactionId: '7', points: 39, balance: 1439 })
    expect(fetchMock).toHaveBeenCalledTimes(3)
    const keys = fetchMock.mock.calls.map(
      ([, init]) => ((init?.headers ?? {}) as Record<string, string>)['Idempotency-Key'],
    )
    expect(keys).toEqual(['key-1', 'key-1', 'key-1'])
    expect(
      ((fetchMock.mock.calls[0]?.[1]?.headers ?? {}) as Record<string, string>).Authorization,
    ).toBe('Bearer staff-token-123456789012345')
  })

  it('does not retry a refusal, and gives up after the attempts', async () => {
    fetchMock.mockResolvedValueOnce(
      answer(422, { error: { code: 'INSUFFICIENT_POINTS', message: 'low' } }),
    )
    await expect(mutate('/points', {}, 'k', { baseDelayMs: 1 })).rejects.toMatchObject({
      code: 'INSUFFICIENT_POINTS',
      status: 422,
    })
    expect(fetchMock).toHaveBeenCalledTimes(1)
    fetchMock.mockReset()
    fetchMock.mockRejectedValue(new TypeError('offline'))
    const err: unknown = await mutate('/points', {}, 'k', { attempts: 3, baseDelayMs: 1 }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(TillApiError)
    expect((err as TillApiError).code).toBe('NETWORK')
    expect(fetchMock).toHaveBeenCalledTimes(3)
  })

  it('drops the token and tells the screens when the server refuses it', async () => {
    const signedOut = vi.fn()
    const stop = onSignedOut(signedOut)
    fetchMock.mockResolvedValueOnce(
      answer(401, { error: { code: 'STAFF_AUTH_REQUIRED', message: 'no' } }),
    )
    await expect(tillApi.me()).rejects.toMatchObject({ code: 'STAFF_AUTH_REQUIRED' })
    expect(staffToken.get()).toBeNull()
    expect(signedOut).toHaveBeenCalledOnce()
    stop()
  })

  it('keeps the token from a sign-in in sessionStorage and reads Retry-After on 429', async () => {
    staffToken.clear()
    fetchMock.mockResolvedValueOnce(answer(200, { token: 'new-token', expiresAt: 'x' }))
    await tillApi.login('demo-clerk', 'pw')
    expect(sessionStorage.getItem('membercard.staff.token')).toBe('new-token')
    fetchMock.mockResolvedValueOnce(
      answer(
        429,
        { error: { code: 'TOO_MANY_ATTEMPTS', message: 'wait' } },
        { 'Retry-After': '120' },
      ),
    )
    await expect(tillApi.login('demo-clerk', 'bad')).rejects.toMatchObject({
      code: 'TOO_MANY_ATTEMPTS',
      retryAfterSeconds: 120,
    })
  })
})
