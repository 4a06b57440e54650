import liff from '@line/liff/core'
import GetDecodedIDToken from '@line/liff/get-decoded-id-token'
import GetIDToken from '@line/liff/get-id-token'
import IsInClient from '@line/liff/is-in-client'
import IsLoggedIn from '@line/liff/is-logged-in'
import Login from '@line/liff/login'
import Logout from '@line/liff/logout'
import type { ClientConfig } from '@membercard/shared'
import { clearLiffCache, type LiffSession } from './liff-session.ts'
import { signedOutSession } from './web-session.ts'

const extras = () => import('./liff-line-extras.ts')

/** Seconds before `exp` at which a cached token is treated as already expired. */
const EXPIRY_MARGIN_S = 30
/** A second recovery this soon after the last one means it did not help: ask the user. */
const RECOVERY_WINDOW_MS = 2 * 60_000
const RECOVERED_AT = 'membercard.recoveredAt'

/**
 * The real LIFF SDK, pluggable core with only the modules this app uses. Outside LINE and not
 * logged in to LIFF, the app offers LINE Login on the web ("LINEでログイン", the server's
 * `/login/line`, which also offers the Official Account as a friend) instead of logging in
 * through LIFF by itself.
 */
export async function initLineLiff(config: ClientConfig): Promise<LiffSession> {
  const liffId = config.liffId
  if (!liffId) throw new Error('LIFF_ID is not set on the server')
  liff.use(new IsInClient())
  liff.use(new IsLoggedIn())
  liff.use(new Login())
  liff.use(new Logout())
  liff.use(new GetIDToken())
  liff.use(new GetDecodedIDToken())
  await liff.init({ liffId, withLoginOnExternalBrowser: false })
  if (!liff.isInClient() && !liff.isLoggedIn()) return signedOutSession()

  function relogin(): Promise<boolean> {
    clearLiffCache()
    if (liff.isInClient()) {
      // Inside LINE, login is automatic: a fresh start of the page re-initialises LIFF.
      location.reload()
    } else {
      if (liff.isLoggedIn()) liff.logout()
      liff.login({ redirectUri: location.href })
    }
    return new Promise<boolean>(() => {
      // the page is navigating away
    })
  }

  // The known LIFF problem: a token cached from an earlier visit may already be expired.
  const decoded = liff.getDecodedIDToken()
  if (decoded?.exp && decoded.exp - EXPIRY_MARGIN_S < Date.now() / 1000) {
    const reloaded = sessionStorage.getItem('membercard.relogin')
    if (!reloaded) {
      sessionStorage.setItem('membercard.relogin', '1')
      await relogin()
    }
  } else {
    sessionStorage.removeItem('membercard.relogin')
  }

  return {
    kind: 'liff',
    idToken: () => liff.getIDToken(),
    displayName: () => liff.getDecodedIDToken()?.name ?? null,
    recover() {
      // Never loop through logins: one automatic recovery, then the "sign in again" button.
      const last = Number(sessionStorage.getItem(RECOVERED_AT))
      if (last && Date.now() - last < RECOVERY_WINDOW_MS) return Promise.resolve(false)
      sessionStorage.setItem(RECOVERED_AT, String(Date.now()))
      return relogin()
    },
    async signInAgain() {
      await relogin()
    },
    async signOut() {
      // LIFF: nothing of ours to end (LINE keeps the login)
    },
    // LINE MINI App features: their code and SDK modules load on first use (liff-line-extras.ts).
    friendship: async () => (await extras()).friendship(),
    profileName: async () => (await extras()).profileName(),
    ...(liff.isInClient()
      ? { createShortcut: async () => (await extras()).createShortcut(liffId) }
      : {}),
  }
}
