import { getCurrentScope, onScopeDispose, ref } from 'vue'
import type { DeviceKey, OfflineCode } from '../lib/offline-code.ts'

export interface OfflineCodeOptions {
  /** Where (localStorage) this user's device key is kept; null: no one is signed in. */
  storageKey: string | null
  /** `POST /api/card/device-key`: a new key for this phone (needs a connection). */
  issue: () => Promise<Omit<DeviceKey, 'issuedAt'> & { issuedAt: string }>
  now?: () => number
}

/** A kept key older than this is replaced on the next visit with a connection (decision 067). */
const ROTATE_MS = 24 * 3_600_000

/**
 * The offline card code (docs/decisions/067): the device key is fetched while online and
 * kept; the TOTP code is computed on the phone every period, signal or not. The code module
 * is loaded after the card shows (it is not in the first JavaScript).
 */
export function useOfflineCode(opts: OfflineCodeOptions) {
  const now = opts.now ?? (() => Date.now())
  const code = ref<OfflineCode | null>(null)
  let timer: ReturnType<typeof setTimeout> | undefined
  let disposed = false

  async function start(): Promise<void> {
    const { storageKey } = opts
    if (!storageKey) return
    const lib = await import('../lib/offline-code.ts')
    let key = lib.readDeviceKey(storageKey)
    const old = !key || !(now() - (key.issuedAt ?? 0) < ROTATE_MS)
    if (old) {
      try {
        const issued = await opts.issue()
        key = { ...issued, issuedAt: Date.parse(issued.issuedAt) }
        lib.keepDeviceKey(storageKey, key)
      } catch {
        // no connection (or not linked): keep using the kept key, if any
      }
    }
    if (!key || disposed) return
    const kept = key
    const tick = () => {
      if (disposed) return
      code.value = lib.offlineCode(kept, now())
      timer = setTimeout(tick, Math.max(250, code.value.nextAt - now()))
    }
    tick()
  }

  void start().catch(() => {
    // the code module could not load (no connection on a first visit): online codes only
  })
  if (getCurrentScope()) {
    onScopeDispose(() => {
      disposed = true
      clearTimeout(timer)
    })
  }
  return { code }
}
