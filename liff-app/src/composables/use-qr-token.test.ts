import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'
import { ApiFailure } from '../lib/api.ts'
import { prefetchQr as prefetchFrom, takePrefetchedQr } from '../lib/qr-prefetch.ts'
import { useQrToken } from './use-qr-token.ts'

describe('the QR token', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  function start(
    fetchQr: () => Promise<{ token: string; expiresAt: string; sentAt?: number }>,
    ttlSeconds = 60,
  ) {
    const scope = effectScope()
    const qr = scope.run(() => useQrToken({ fetchQr, ttlSeconds }))!
    return { qr, stop: () => scope.stop() }
  }

  it('is replaced before it expires, never leaving the screen empty', async () => {
    let n = 0
    const fetchQr = vi.fn(async () => ({ token: `t${++n}`, expiresAt: '' }))
    const { qr, stop } = start(fetchQr)
    await vi.advanceTimersByTimeAsync(0)
    expect(qr.token.value).toBe('t1')
    // 60 s lifetime, refreshed 10 s before its end (less the 1 s of rounding).
    await vi.advanceTimersByTimeAsync(48_900)
    expect(fetchQr).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(200)
    expect(fetchQr).toHaveBeenCalledTimes(2)
    expect(qr.token.value).toBe('t2')
    expect(qr.expired.value).toBe(false)
    stop()
  })

  it("counts a prefetched token's life from when its request was sent", async () => {
    prefetchFrom(async () => ({ token: 'early', expiresAt: '' }))
    await vi.advanceTimersByTimeAsync(2_000) // the card screen opens 2 s later
    let n = 0
    const fetchQr = vi.fn(async () => ({ token: `t${++n}`, expiresAt: '' }))
    const { qr, stop } = start(() => takePrefetchedQr() ?? fetchQr())
    await vi.advanceTimersByTimeAsync(0)
    expect(qr.token.value).toBe('early')
    expect(fetchQr).not.toHaveBeenCalled()
    expect(qr.expiresAt.value).toBe(1_000_000 + 59_000)
    expect(takePrefetchedQr()).toBeNull() // used once
    stop()
  })

  it('ignores a prefetched token that is too old', async () => {
    prefetchFrom(async () => ({ token: 'old', expiresAt: '' }))
    await vi.advanceTimersByTimeAsync(6_000)
    expect(takePrefetchedQr()).toBeNull()
  })

  it('keeps the last token while offline until it expires, then says so', async () => {
    let online = true
    const fetchQr = vi.fn(async () => {
      if (!online) throw new ApiFailure('NETWORK', 0)
      return { token: 'only', expiresAt: '' }
    })
    const { qr, stop } = start(fetchQr, 20)
    await vi.advanceTimersByTimeAsync(0)
    online = false
    await vi.advanceTimersByTimeAsync(15_500)
    expect(qr.offline.value).toBe(true)
    expect(qr.token.value).toBe('only')
    await vi.advanceTimersByTimeAsync(4_000)
    expect(qr.token.value).toBeNull()
    expect(qr.expired.value).toBe(true)
    // Back online: a fresh token at once.
    online = true
    window.dispatchEvent(new Event('online'))
    await vi.advanceTimersByTimeAsync(0)
    expect(qr.token.value).toBe('only')
    expect(qr.offline.value).toBe(false)
    stop()
  })

  it('a card reopened without a connection shows the kept token while it is valid, then none', async () => {
    localStorage.clear()
    let online = true
    const fetchQr = vi.fn(async () => {
      if (!online) throw new ApiFailure('NETWORK', 0)
      return { token: 'kept', expiresAt: '' }
    })
    const open = () => {
      const scope = effectScope()
      const qr = scope.run(() => useQrToken({ fetchQr, ttlSeconds: 60, storageKey: 'qr:U1' }))!
      return { qr, stop: () => scope.stop() }
    }
    const first = open()
    await vi.advanceTimersByTimeAsync(0)
    expect(first.qr.token.value).toBe('kept')
    first.stop()
    // Reopened 20 s later with no connection: the same token, valid 39 s more.
    online = false
    await vi.advanceTimersByTimeAsync(20_000)
    const second = open()
    await vi.advanceTimersByTimeAsync(0)
    expect(second.qr.token.value).toBe('kept')
    expect(second.qr.offline.value).toBe(true)
    expect(second.qr.expiresAt.value).toBe(1_000_000 + 59_000)
    await vi.advanceTimersByTimeAsync(39_000)
    expect(second.qr.token.value).toBeNull()
    expect(second.qr.expired.value).toBe(true)
    expect(localStorage.getItem('qr:U1')).toBeNull()
    second.stop()
    // Reopened after that: nothing to show, and it says so (failed) instead of waiting.
    const third = open()
    await vi.advanceTimersByTimeAsync(0)
    expect(third.qr.token.value).toBeNull()
    expect(third.qr.failed.value).toBe(true)
    third.stop()
  })

  it('"try again" asks at once, whatever the back-off had planned', async () => {
    let online = false
    let n = 0
    const fetchQr = vi.fn(async () => {
      if (!online) throw new ApiFailure('NETWORK', 0)
      return { token: `t${++n}`, expiresAt: '' }
    })
    const { qr, stop } = start(fetchQr)
    // Four failures: the next automatic try is 15 s away.
    await vi.advanceTimersByTimeAsync(2_000 + 4_000 + 8_000)
    expect(fetchQr).toHaveBeenCalledTimes(4)
    expect(qr.failed.value).toBe(true)
    online = true
    await qr.retry()
    expect(fetchQr).toHaveBeenCalledTimes(5)
    expect(qr.token.value).toBe('t1')
    expect(qr.failed.value).toBe(false)
    stop()
  })

  it('forgets the kept token when the user is no longer linked', async () => {
    localStorage.setItem('qr:U2', JSON.stringify({ token: 'old', until: 1_000_000 + 30_000 }))
    const scope = effectScope()
    scope.run(() =>
      useQrToken({
        fetchQr: async () => {
          throw new ApiFailure('NOT_LINKED', 404)
        },
        ttlSeconds: 60,
        storageKey: 'qr:U2',
      }),
    )
    await vi.advanceTimersByTimeAsync(0)
    expect(localStorage.getItem('qr:U2')).toBeNull()
    scope.stop()
  })

  it('tells the screen when the user is no longer linked, and stops', async () => {
    const onNotLinked = vi.fn()
    const fetchQr = vi.fn(async () => {
      throw new ApiFailure('NOT_LINKED', 404)
    })
    const scope = effectScope()
    scope.run(() => useQrToken({ fetchQr, ttlSeconds: 60, onNotLinked }))
    await vi.advanceTimersByTimeAsync(60_000)
    expect(onNotLinked).toHaveBeenCalledTimes(1)
    expect(fetchQr).toHaveBeenCalledTimes(1)
    scope.stop()
  })
})
