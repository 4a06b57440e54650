import type { ClientConfig } from '@membercard/shared'
import { hasWebSession, PLAIN_BROWSER_KEY, signedOutSession, webSession } from './web-session.ts'

/**
 * What the app needs from LIFF. Two implementations: the real SDK (`liff-line.ts`) and demo
 * mode's mock (`liff-demo.ts`), each loaded on demand so a build carries only the one it runs.
 */
export interface LiffSession {
  /**
   * `liff`: LIFF (in LINE, or a LIFF login in a browser; the demo's mock); `web`: a web
   * session of LINE Login on the web (a cookie, no token in the page); `none`: nobody is
   * signed in (a plain browser): the app offers "LINEでログイン".
   */
  readonly kind: 'liff' | 'web' | 'none'
  /** The current ID token, or null when there is none (not signed in). */
  idToken(): string | null
  /** The signed-in user's LINE display name, when the token carries it. */
  displayName(): string | null
  /**
   * Recovers from a rejected (expired) ID token: clears LIFF's cached token and initialises
   * again or logs in again. Resolves true when a fresh token is ready in this page; false
   * when the page is navigating away to log in (the retry happens after the reload).
   */
  recover(): Promise<boolean>
  /** The user's explicit "sign in again": logs out and in again. */
  signInAgain(): Promise<void>
  /** Ends a web session (`DELETE /api/session`); nothing for LIFF. */
  signOut(): Promise<void>
  /**
   * LIFF only: whether the user is a friend of the Official Account (`liff.getFriendship()`).
   * The SDK module loads on first use, not with the card.
   */
  friendship?(): Promise<boolean>
  /**
   * LIFF only: the LINE display name when the app needs it. A LINE MINI App with consent
   * simplification may have granted only `openid`: then the profile permission is asked for
   * (`liff.permission.requestAll()`) here, not at start-up.
   */
  profileName?(): Promise<string | null>
  /** LIFF in LINE only: adds a shortcut to the card on the home screen. */
  createShortcut?(): Promise<void>
}

/** LIFF keeps its cached tokens in localStorage under keys with this prefix. */
export const LIFF_STORE_PREFIX = 'LIFF_STORE:'

/** Removes LIFF's cached tokens (the known stale-token problem), leaving the app's own keys. */
export function clearLiffCache(storage: Storage = localStorage): void {
  const keys: string[] = []
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i)
    if (key?.startsWith(LIFF_STORE_PREFIX)) keys.push(key)
  }
  for (const key of keys) storage.removeItem(key)
}

/** Decodes a JWT's payload for display (never as proof: the server verifies the token). */
export function decodeJwtPayload(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1]
  if (!part) return null
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/')
    const bin = atob(b64.padEnd(b64.length + ((4 - (b64.length % 4)) % 4), '='))
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0))
    const json = JSON.parse(new TextDecoder().decode(bytes)) as unknown
    return typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/**
 * A deep link (`https://liff.line.me/{liffId}/history`) arrives at the endpoint as
 * `?liff.state=%2Fhistory`. The real SDK moves there during `liff.init`; in demo mode the app
 * does it, before the router reads the URL.
 */
export function applyLiffState(loc: Location = location, hist: History = history): void {
  const params = new URLSearchParams(loc.search)
  const state = params.get('liff.state')
  if (!state?.startsWith('/') || state.startsWith('//')) return
  // The deep link keeps its path and query; parameters LINE put beside `liff.state` stay too.
  const target = new URL(state, 'https://app.invalid')
  for (const [key, value] of params) {
    if (!key.startsWith('liff.') && !target.searchParams.has(key))
      target.searchParams.append(key, value)
  }
  hist.replaceState(null, '', target.pathname + target.search + target.hash)
}

const loadDemo = () => import('./liff-demo.ts')
const loadLine = () => import('./liff-line.ts')

/**
 * Starts downloading a LIFF mode's code before the settings have arrived (a returning user's
 * last known mode), so it is not one more round trip after `/api/config`. Harmless if wrong.
 */
export function preloadLiff(mode: ClientConfig['mode']): void {
  ;(mode === 'demo' ? loadDemo() : loadLine()).catch(() => {
    // initLiff reports a failed load
  })
}

/**
 * Initialises LIFF once, in the mode the server announced, before the router runs. A browser
 * with a web session (LINE Login on the web) uses it and loads no LIFF at all. In demo mode,
 * a browser that has used one plays a plain browser from then on: signed out, it is offered
 * "LINEでログイン" rather than the mock's automatic sign-in.
 */
export async function initLiff(config: ClientConfig): Promise<LiffSession> {
  if (hasWebSession()) return webSession()
  if (config.mode === 'demo') {
    if (safeGet(PLAIN_BROWSER_KEY)) {
      applyLiffState()
      return signedOutSession()
    }
    const { initDemoLiff } = await loadDemo()
    return initDemoLiff(config)
  }
  const { initLineLiff } = await loadLine()
  return initLineLiff(config)
}

function safeGet(key: string): string | null {
  try {
    return localStorage.getItem(key)
  } catch {
    return null
  }
}
