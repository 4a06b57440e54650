import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { apiError, fakeFetch, fakeServices, json } from '../test/fake-api.ts'
import { usePointsStore } from './points.ts'

const row = (id: number, points: number) => ({
  id: String(id),
  type: points > 0 ? 'award' : 'redeem',
  points,
  balance: 1000,
  createdAt: new Date(1_700_000_000_000 + id * 1000).toISOString(),
  storeCode: 'S001',
  storeName: '本店',
})

describe('the points store', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('pages through the history with the server cursor and stops at the end', async () => {
    const f = fakeFetch({
      'GET /api/points/history': (req) => {
        const cursor = new URL(req.url).searchParams.get('cursor')
        return cursor === 'c2'
          ? json({ items: [row(1, 50), row(2, -30)], nextCursor: null })
          : json({ items: [row(3, 100), row(2, -30)], nextCursor: 'c2' })
      },
    })
    fakeServices(f.fetch)
    const store = usePointsStore()
    await store.loadMore()
    expect(store.items.map((i) => i.id)).toEqual(['3', '2'])
    expect(store.done).toBe(false)
    await store.loadMore()
    // A row seen on both pages is shown once.
    expect(store.items.map((i) => i.id)).toEqual(['3', '2', '1'])
    expect(store.done).toBe(true)
    await store.loadMore()
    expect(f.calls).toHaveLength(2)
  })

  it('keeps when the balance expires, from the newest page only', async () => {
    const expiring = { points: 1200, expiresAt: '2027-11-23T00:00:00.000Z' }
    const f = fakeFetch({
      'GET /api/points/history': (req) =>
        new URL(req.url).searchParams.get('cursor') === 'c2'
          ? json({ items: [row(1, 50)], nextCursor: null, expiring: null })
          : json({ items: [row(3, 100)], nextCursor: 'c2', expiring }),
    })
    fakeServices(f.fetch)
    const store = usePointsStore()
    await store.loadMore()
    expect(store.expiring).toEqual(expiring)
    await store.loadMore()
    expect(store.expiring).toEqual(expiring)
  })

  it('keeps what it has and reports the error when a page fails', async () => {
    const f = fakeFetch({ 'GET /api/points/history': () => apiError('SERVICE_UNAVAILABLE', 503) })
    fakeServices(f.fetch)
    const store = usePointsStore()
    await store.loadMore()
    expect(store.error?.code).toBe('SERVICE_UNAVAILABLE')
    expect(store.items).toEqual([])
    expect(store.loading).toBe(false)
  })
})
