import type { LiffSession } from './liff-session.ts'

/**
 * The server sets this readable cookie beside the HttpOnly session cookie of LINE Login on
 * the web (server/src/http/web-cookies.ts): it says only "this browser has a web session".
 */
const SIGNED_IN_HINT = 'mc_signed_in=1'
/**
 * Demo only: this browser signed in on the web once, so it plays a plain browser (not LINE):
 * after signing out it offers "LINEでログイン" instead of the LIFF mock's automatic sign-in.
 */
export const PLAIN_BROWSER_KEY = 'membercard.plainBrowser'

/** True when the server said this browser has a web session. */
export function hasWebSession(cookies: string = document.cookie): boolean {
  return cookies.split(';').some((c) => c.trim() === SIGNED_IN_HINT)
}

/** LINE Login on the web, coming back to `path` (the current page by default). */
export function webLoginUrl(path = `${location.pathname}${location.search}`): string {
  return `/login/line?next=${encodeURIComponent(path)}`
}

function remember(key: string): void {
  try {
    localStorage.setItem(key, '1')
  } catch {
    // storage disabled: the demo signs in as usual next time
  }
}

/**
 * The customer signed in with LINE Login on the web: no LIFF and no token in the page; the
 * API calls carry the HttpOnly session cookie. A session that has ended cannot be renewed
 * silently: the app offers "LINEでログイン" (back to the same screen).
 */
export function webSession(): LiffSession {
  remember(PLAIN_BROWSER_KEY)
  return {
    kind: 'web',
    idToken: () => null,
    displayName: () => null,
    recover: () => Promise.resolve(false),
    async signInAgain() {
      location.assign(webLoginUrl())
    },
    async signOut() {
      const res = await fetch('/api/session', { method: 'DELETE' })
      if (!res.ok && res.status !== 401) throw new Error(`sign-out failed: ${res.status}`)
    },
  }
}

/** Nobody signed in, outside LINE: the app offers "LINEでログイン". */
export function signedOutSession(): LiffSession {
  return {
    kind: 'none',
    idToken: () => null,
    displayName: () => null,
    recover: () => Promise.resolve(false),
    async signInAgain() {
      location.assign(webLoginUrl())
    },
    async signOut() {
      // not signed in
    },
  }
}
