import { getCurrentScope, onScopeDispose, ref } from 'vue'
import { ApiFailure } from '../lib/api.ts'

export interface QrTokenOptions {
  /** `sentAt`: when the request was sent, if earlier than this call (a prefetched answer). */
  fetchQr: () => Promise<{ token: string; expiresAt: string; sentAt?: number }>
  /** The server's token lifetime (`CARD_TOKEN_TTL_SECONDS`). */
  ttlSeconds: number
  /** Called when the server says the user is no longer linked. */
  onNotLinked?: () => void
  /**
   * Where (localStorage) the last token is kept until it expires, so a card reopened without
   * a connection can still show a code that is valid; null: not kept.
   */
  storageKey?: string | null
  now?: () => number
}

/** A kept token: `until` is its expiry on this device's clock (ms). */
interface Kept {
  token: string
  until: number
}

/**
 * The member QR token: fetched at once, replaced before it expires (the old one stays on
 * screen until the new one is ready, so there is no flash), and kept while offline until it
 * expires, also across a reopening of the card (`storageKey`). Expiry is measured on this
 * device's clock from when the request was sent, so a phone with a wrong clock still
 * refreshes in time. Without a valid token and without an answer, `failed` is true: the
 * screen says the code cannot be shown and offers `retry`.
 */
export function useQrToken(opts: QrTokenOptions) {
  const now = opts.now ?? (() => Date.now())
  const ttlMs = opts.ttlSeconds * 1000
  /** Refresh this long before expiry. */
  const leadMs = Math.min(10_000, Math.max(3_000, ttlMs * 0.2))

  const token = ref<string | null>(null)
  /** Local time (ms) at which the shown token stops being valid. */
  const expiresAt = ref<number | null>(null)
  const offline = ref(typeof navigator !== 'undefined' && navigator.onLine === false)
  const expired = ref(false)
  /** The last request got no token (no connection, or the server failed). */
  const failed = ref(false)
  const loading = ref(false)
  let refreshTimer: ReturnType<typeof setTimeout> | undefined
  let expiryTimer: ReturnType<typeof setTimeout> | undefined
  let failures = 0
  let disposed = false

  function clearTimers() {
    clearTimeout(refreshTimer)
    clearTimeout(expiryTimer)
  }

  function scheduleRefresh(delay: number) {
    clearTimeout(refreshTimer)
    refreshTimer = setTimeout(() => void load(), Math.max(0, delay))
  }

  function keep(kept: Kept | null) {
    try {
      if (!opts.storageKey) return
      if (kept) localStorage.setItem(opts.storageKey, JSON.stringify(kept))
      else localStorage.removeItem(opts.storageKey)
    } catch {
      // storage full or disabled: a reopened card needs a connection for its code
    }
  }

  function show(next: string, until: number) {
    token.value = next
    expiresAt.value = until
    expired.value = false
    clearTimeout(expiryTimer)
    expiryTimer = setTimeout(expire, until - now())
  }

  /** The token kept from an earlier visit, when it is still valid. */
  function kept(): Kept | null {
    try {
      const k = JSON.parse(localStorage.getItem(opts.storageKey ?? '') ?? 'null') as Kept | null
      return k && k.until > now() ? k : null
    } catch {
      return null
    }
  }

  async function load(): Promise<void> {
    if (disposed || loading.value) return
    loading.value = true
    const sentAt = now()
    try {
      const res = await opts.fetchQr()
      if (disposed) return
      failures = 0
      const until = (res.sentAt ?? sentAt) + ttlMs - 1000
      show(res.token, until)
      keep({ token: res.token, until })
      offline.value = false
      failed.value = false
      scheduleRefresh(until - leadMs - now())
    } catch (err) {
      if (disposed) return
      if (err instanceof ApiFailure && err.code === 'NOT_LINKED') {
        keep(null)
        opts.onNotLinked?.()
        return
      }
      failures++
      failed.value = true
      if (err instanceof ApiFailure && err.code === 'NETWORK') offline.value = true
      const earlier = token.value ? null : kept()
      if (earlier) show(earlier.token, earlier.until)
      // Try again soon, backing off, but never later than the shown token's expiry.
      const backoff = Math.min(15_000, 1000 * 2 ** Math.min(failures, 4))
      const untilExpiry = expiresAt.value === null ? backoff : expiresAt.value - now()
      scheduleRefresh(Math.min(backoff, Math.max(1000, untilExpiry)))
    } finally {
      loading.value = false
    }
  }

  function expire() {
    token.value = null
    expiresAt.value = null
    expired.value = true
    keep(null)
  }

  /** The user's "try again": at once, whatever the back-off had planned. */
  function retry(): Promise<void> {
    failures = 0
    return load()
  }

  function onOnline() {
    offline.value = false
    void load()
  }
  function onOffline() {
    offline.value = true
  }
  function onVisible() {
    if (document.visibilityState !== 'visible') return
    if (expiresAt.value === null || expiresAt.value - now() < leadMs) void load()
  }

  if (typeof window !== 'undefined') {
    window.addEventListener('online', onOnline)
    window.addEventListener('offline', onOffline)
    document.addEventListener('visibilitychange', onVisible)
  }
  if (getCurrentScope()) {
    onScopeDispose(() => {
      disposed = true
      clearTimers()
      window.removeEventListener('online', onOnline)
      window.removeEventListener('offline', onOffline)
      document.removeEventListener('visibilitychange', onVisible)
    })
  }

  void load()

  return { token, expiresAt, offline, expired, failed, loading, refresh: load, retry, leadMs }
}
