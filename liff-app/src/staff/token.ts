const TOKEN_KEY = 'membercard.staff.token'

/**
 * The staff token is bound to this device: it lives in localStorage, so the clerk stays
 * signed in when the window is closed and opened again. The server ends it after 12 hours
 * without use (and 7 days after sign-in at most); signing out removes it (decision 055).
 */
export const staffToken = {
  get(): string | null {
    try {
      return localStorage.getItem(TOKEN_KEY)
    } catch {
      return null
    }
  },
  set(token: string): void {
    localStorage.setItem(TOKEN_KEY, token)
  },
  clear(): void {
    try {
      localStorage.removeItem(TOKEN_KEY)
      // A token kept by an older till (per window) is dropped as well.
      sessionStorage.removeItem(TOKEN_KEY)
    } catch {
      // nothing stored
    }
  },
}
