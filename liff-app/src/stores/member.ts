import type { LinkRequest, MeMember, Member } from '@membercard/shared'
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { decodeJwtPayload } from '../lib/liff-session.ts'
import { services } from '../lib/services.ts'

const CACHE_PREFIX = 'membercard.member:'
/** The card's last QR token (composables/use-qr-token.ts), kept per user like the card. */
export const QR_PREFIX = 'membercard.qr:'
/** The card's offline device key (composables/use-offline-code.ts), per user; gone on unlink. */
export const DEVICE_KEY_PREFIX = 'membercard.devkey:'
const ISSUE_KEY = 'membercard.issueKey'

/** `prefix` + the signed-in LINE user, or null when no one is signed in. */
export function userKey(prefix: string): string | null {
  const token = services().liff.idToken()
  const sub = token ? decodeJwtPayload(token)?.sub : null
  return typeof sub === 'string' ? prefix + sub : null
}

/** The member as the card shows it: `/api/me` adds the expiry and the rank's benefits. */
export type CardMember = Member & Partial<Omit<MeMember, keyof Member>>

/** A cached member card, with when the server last sent it (ms, device clock). */
type Cached = CardMember & { fetchedAt?: number }

/** The signed-in user's member card from the last visit, if any (needs the services set). */
export function readCache(): Cached | null {
  try {
    const key = userKey(CACHE_PREFIX)
    const raw = key ? localStorage.getItem(key) : null
    return raw ? (JSON.parse(raw) as Cached) : null
  } catch {
    return null
  }
}

function writeCache(member: CardMember | null, fetchedAt: number) {
  try {
    const key = userKey(CACHE_PREFIX)
    if (!key) return
    if (member) localStorage.setItem(key, JSON.stringify({ ...member, fetchedAt }))
    else {
      localStorage.removeItem(key)
      localStorage.removeItem(QR_PREFIX + key.slice(CACHE_PREFIX.length))
      localStorage.removeItem(DEVICE_KEY_PREFIX + key.slice(CACHE_PREFIX.length))
    }
  } catch {
    // storage full or disabled: the card still works, only without the instant start
  }
}

/**
 * The linked member. A returning user's name and balance come from the last visit's copy at
 * once, and are refreshed in the background.
 */
export const useMemberStore = defineStore('member', () => {
  /** null until known. */
  const linked = ref<boolean | null>(null)
  const member = ref<CardMember | null>(null)
  /** True while the shown member is the cached copy, not yet confirmed by the server. */
  const stale = ref(false)
  /** When the server last sent the member shown (ms, device clock); null when not known. */
  const fetchedAt = ref<number | null>(null)
  let inflight: Promise<void> | null = null

  /** The member as the server has just sent it. */
  function set(next: CardMember | null) {
    member.value = next
    linked.value = next !== null
    fetchedAt.value = Date.now()
    writeCache(next, fetchedAt.value)
  }

  /** Asks the server who the user is. */
  function refresh(): Promise<void> {
    inflight ??= services()
      .api.me()
      .then((me) => {
        set(me.linked ? me.member : null)
        stale.value = false
      })
      .finally(() => {
        inflight = null
      })
    return inflight
  }

  /** Resolves once it is known whether the user is linked: at once from the cache. */
  async function ensureLoaded(): Promise<void> {
    if (linked.value !== null) return
    const cached = readCache()
    if (cached) {
      const { fetchedAt: at, ...card } = cached
      member.value = card
      fetchedAt.value = at ?? null
      linked.value = true
      stale.value = true
      refresh().catch(() => {
        // offline: keep showing the cached card
      })
      return
    }
    await refresh()
  }

  /** Links a card; resolves with the bonus granted (0 when none is due). */
  async function link(body: LinkRequest): Promise<number> {
    const res = await services().api.link(body)
    set(res.member)
    return res.bonusPoints
  }

  /** Issues a new digital card; the request key makes a retried tap safe. */
  async function issue(name: string, consentVersion: string) {
    let key = sessionStorage.getItem(ISSUE_KEY)
    if (!key) {
      // getRandomValues also works on plain http (a demo opened by LAN address), randomUUID not.
      key = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
        b.toString(16).padStart(2, '0'),
      ).join('')
      sessionStorage.setItem(ISSUE_KEY, key)
    }
    const res = await services().api.issueCard(
      { name, consent: { version: consentVersion, accepted: true } },
      key,
    )
    sessionStorage.removeItem(ISSUE_KEY)
    set(res.member)
    return res
  }

  async function unlink() {
    await services().api.unlink()
    set(null)
  }

  /** Updates the balance shown (e.g. from the history's newest row). */
  function setPoints(points: number) {
    if (member.value && member.value.points !== points) set({ ...member.value, points })
  }

  return {
    linked,
    member,
    stale,
    fetchedAt,
    refresh,
    ensureLoaded,
    link,
    issue,
    unlink,
    setPoints,
  }
})
