import liff from '@line/liff/core'
import IsInClient from '@line/liff/is-in-client'
import { LiffMockPlugin } from '@line/liff-mock'
import type { ClientConfig } from '@membercard/shared'
import {
  applyLiffState,
  clearLiffCache,
  decodeJwtPayload,
  LIFF_STORE_PREFIX,
  type LiffSession,
} from './liff-session.ts'

/** Demo only: a LINE user ID to sign in as (tests set it to get a fresh user). */
export const DEMO_USER_KEY = 'membercard.demoUser'
/** Demo only: '1' when the demo user is a friend of the Official Account (getFriendship). */
export const DEMO_FRIEND_KEY = 'membercard.demoFriend'
/** Demo only: set when the app asked LINE for a home-screen shortcut (the URL). */
export const DEMO_SHORTCUT_KEY = 'membercard.demoShortcut'

interface MockApi {
  set(data: Record<string, unknown>): void
}

/**
 * Demo mode: `@line/liff-mock` stands in for the LIFF SDK, but `getIDToken()` returns a real
 * ES256 token issued by the server's LINE stand-in, so the server verifies it on the real
 * path. Like LIFF, the token is cached in localStorage between visits (and so can go stale).
 */
export async function initDemoLiff(config: ClientConfig): Promise<LiffSession> {
  const liffId = config.liffId ?? 'demo'
  const cacheKey = `${LIFF_STORE_PREFIX}${liffId}:IDToken`
  liff.use(new IsInClient())
  // liff-mock is typed against the full SDK; the core build has what it uses (isInClient).
  liff.use(new LiffMockPlugin() as never)
  await liff.init({ liffId, mock: true } as Parameters<typeof liff.init>[0])
  const mock = (liff as unknown as { $mock: MockApi }).$mock
  let token: string | null = null

  function apply(t: string | null) {
    token = t
    const payload = t ? decodeJwtPayload(t) : null
    mock.set({
      isLoggedIn: t !== null,
      getIDToken: t,
      getDecodedIDToken: payload,
      getProfile: payload
        ? { userId: payload.sub, displayName: payload.name ?? '' }
        : { userId: '', displayName: '' },
    })
  }

  async function login(): Promise<void> {
    const user = localStorage.getItem(DEMO_USER_KEY)
    const res = await fetch('/__line/demo/id-token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(user ? { sub: user } : {}),
    })
    if (!res.ok) throw new Error(`demo sign-in failed: ${res.status}`)
    const { idToken } = (await res.json()) as { idToken: string }
    localStorage.setItem(cacheKey, idToken)
    apply(idToken)
  }

  const cached = localStorage.getItem(cacheKey)
  if (cached) apply(cached)
  else await login()
  applyLiffState()

  async function recover(): Promise<boolean> {
    clearLiffCache()
    apply(null)
    await login()
    return true
  }

  return {
    kind: 'liff',
    idToken: () => token,
    displayName: () => {
      const name = token ? decodeJwtPayload(token)?.name : null
      return typeof name === 'string' ? name : null
    },
    recover,
    async signInAgain() {
      await recover()
    },
    async signOut() {
      // the mock's demo user stays signed in
    },
    // Stand-ins for liff.getFriendship(), the profile permission and the home-screen
    // shortcut, driven by localStorage so the demo and the browser tests can play both sides.
    async friendship() {
      return localStorage.getItem(DEMO_FRIEND_KEY) === '1'
    },
    async profileName() {
      const name = token ? decodeJwtPayload(token)?.name : null
      return typeof name === 'string' ? name : null
    },
    async createShortcut() {
      localStorage.setItem(DEMO_SHORTCUT_KEY, `https://liff.line.me/${liffId}/card`)
    },
  }
}
