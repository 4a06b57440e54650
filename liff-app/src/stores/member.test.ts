import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { apiError, fakeFetch, fakeServices, fakeToken, json } from '../test/fake-api.ts'
import { useMemberStore } from './member.ts'

const member = { cardNumber: '************0011', name: '山田 花子', points: 1400, rank: 'gold' }

describe('the member store', () => {
  beforeEach(() => {
    localStorage.clear()
    sessionStorage.clear()
    setActivePinia(createPinia())
  })

  it('asks the server on a first visit', async () => {
    const f = fakeFetch({ 'GET /api/me': () => json({ linked: false }) })
    fakeServices(f.fetch)
    const store = useMemberStore()
    await store.ensureLoaded()
    expect(store.linked).toBe(false)
    expect(store.member).toBeNull()
  })

  it('shows a returning user the cached card at once and refreshes it in the background', async () => {
    let answer: (r: Response) => void = () => undefined
    const f = fakeFetch({
      'GET /api/me': () => new Promise<Response>((r) => (answer = r)),
    })
    fakeServices(f.fetch, { token: fakeToken('Ureturning') })
    localStorage.setItem('membercard.member:Ureturning', JSON.stringify(member))
    const store = useMemberStore()
    await store.ensureLoaded()
    expect(store.linked).toBe(true)
    expect(store.member?.points).toBe(1400)
    expect(store.stale).toBe(true)
    answer(json({ linked: true, member: { ...member, points: 1500 } }))
    await expect.poll(() => store.member?.points).toBe(1500)
    expect(store.stale).toBe(false)
    expect(JSON.parse(localStorage.getItem('membercard.member:Ureturning') ?? '{}').points).toBe(
      1500,
    )
  })

  it('remembers when the server sent the card, for the "last updated" time', async () => {
    const at = Date.parse('2026-05-12T14:03:00+09:00')
    vi.useFakeTimers({ now: at, toFake: ['Date'] })
    try {
      const f = fakeFetch({ 'GET /api/me': () => json({ linked: true, member }) })
      fakeServices(f.fetch, { token: fakeToken('Uwhen') })
      const store = useMemberStore()
      await store.ensureLoaded()
      expect(store.fetchedAt).toBe(at)
      // The next visit, offline: the cached card with the time it was fetched.
      vi.setSystemTime(at + 3_600_000)
      setActivePinia(createPinia())
      fakeServices(
        fakeFetch({ 'GET /api/me': () => Promise.reject(new TypeError('offline')) }).fetch,
        { token: fakeToken('Uwhen') },
      )
      const next = useMemberStore()
      await next.ensureLoaded()
      expect(next.member).toEqual(member)
      expect(next.fetchedAt).toBe(at)
      expect(next.stale).toBe(true)
    } finally {
      vi.useRealTimers()
    }
  })

  it('forgets the kept QR token with the card when unlinked', async () => {
    const f = fakeFetch({
      'GET /api/me': () => json({ linked: true, member }),
      'DELETE /api/link': () => new Response(null, { status: 204 }),
    })
    fakeServices(f.fetch, { token: fakeToken('Ugone') })
    localStorage.setItem('membercard.member:Ugone', JSON.stringify(member))
    localStorage.setItem('membercard.qr:Ugone', JSON.stringify({ token: 'x', until: 1 }))
    localStorage.setItem('membercard.qr:Uother', JSON.stringify({ token: 'y', until: 1 }))
    const store = useMemberStore()
    await store.ensureLoaded()
    await store.unlink()
    expect(localStorage.getItem('membercard.qr:Ugone')).toBeNull()
    expect(localStorage.getItem('membercard.qr:Uother')).not.toBeNull()
  })

  it('does not show another LINE user the cached card', async () => {
    localStorage.setItem('membercard.member:Uother', JSON.stringify(member))
    const f = fakeFetch({ 'GET /api/me': () => json({ linked: false }) })
    fakeServices(f.fetch, { token: fakeToken('Ume') })
    const store = useMemberStore()
    await store.ensureLoaded()
    expect(store.linked).toBe(false)
  })

  it('links, returning the bonus, and unlinks, forgetting the cached card', async () => {
    const f = fakeFetch({
      'POST /api/link': () => json({ member, bonusPoints: 200 }, 201),
      'DELETE /api/link': () => new Response(null, { status: 204 }),
    })
    fakeServices(f.fetch, { token: fakeToken('Ulink') })
    const store = useMemberStore()
    const bonus = await store.link({
      cardNumber: '4900000000000011',
      pin: '1234',
      consent: { version: 'v1', accepted: true },
    })
    expect(bonus).toBe(200)
    expect(store.linked).toBe(true)
    expect(localStorage.getItem('membercard.member:Ulink')).not.toBeNull()
    await store.unlink()
    expect(store.linked).toBe(false)
    expect(localStorage.getItem('membercard.member:Ulink')).toBeNull()
  })

  it('reuses one Idempotency-Key when issuing a card is retried after a failure', async () => {
    const f = fakeFetch({
      'POST /api/cards': [
        () => apiError('SERVICE_UNAVAILABLE', 503),
        () => json({ member, bonusPoints: 200, pin: '0042', cardNumber: '9000000000000001' }, 201),
      ],
    })
    fakeServices(f.fetch)
    const store = useMemberStore()
    await expect(store.issue('新規 花子', 'v1')).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    })
    const res = await store.issue('新規 花子', 'v1')
    expect(res.pin).toBe('0042')
    const keys = f.calls.map((c) => c.headers.get('idempotency-key'))
    expect(keys[0]).toBeTruthy()
    expect(keys[1]).toBe(keys[0])
    expect(sessionStorage.getItem('membercard.issueKey')).toBeNull()
  })
})
