import { qrPath } from './qr-svg.ts'

/** A QR token answer, with the device time at which its request was sent. */
export interface PrefetchedQr {
  token: string
  expiresAt: string
  sentAt: number
}

/** A prefetched answer older than this is not used (the card asks again). */
const MAX_AGE_MS = 5_000

let pending: { promise: Promise<PrefetchedQr>; sentAt: number } | null = null

/**
 * Starts the QR token request for a returning customer as soon as LIFF is ready, before the
 * router and the card screen have loaded, so it runs in parallel with them.
 */
export function prefetchQr(fetchQr: () => Promise<{ token: string; expiresAt: string }>): void {
  const sentAt = Date.now()
  const promise = fetchQr().then((res) => {
    // Encoded as soon as it arrives (often before the card's first render, which then finds
    // the drawing ready instead of encoding it in the same task).
    qrPath(res.token)
    return { ...res, sentAt }
  })
  promise.catch(() => {
    // handled by whoever takes it (the card screen)
  })
  pending = { promise, sentAt }
}

/** The prefetched request (once), if there is a recent one. */
export function takePrefetchedQr(): Promise<PrefetchedQr> | null {
  const p = pending
  pending = null
  return p && Date.now() - p.sentAt < MAX_AGE_MS ? p.promise : null
}
