import type { ClientConfig } from '@membercard/shared'
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { LiffSession } from '../lib/liff-session.ts'
import { services } from '../lib/services.ts'
import { webLoginUrl } from '../lib/web-session.ts'

/** The signed-in session: the server's client settings and whether the user must sign in again. */
export const useSessionStore = defineStore('session', () => {
  const config = ref<ClientConfig | null>(null)
  /** True when the ID token was refused even after recovering: show "sign in again". */
  const signInRequired = ref(false)
  const signingIn = ref(false)
  /** A one-time notice shown at the top of the next screen (e.g. the linking bonus). */
  const flashMessage = ref<string | null>(null)
  /** How the customer is signed in: LIFF, a web session, or not at all (a plain browser). */
  const kind = ref<LiffSession['kind']>('liff')
  /** Whether LINE can add the card to the home screen here (LIFF in LINE). */
  const canShortcut = ref(false)

  function start(cfg: ClientConfig) {
    config.value = cfg
  }

  /**
   * Reads the server's settings again: after `CONSENT_OUTDATED` the consent shown must be the
   * server's current version, not the one this page started with.
   */
  async function refreshConfig(): Promise<ClientConfig> {
    const fresh = await services().api.config()
    config.value = fresh
    return fresh
  }

  function flash(message: string | null) {
    flashMessage.value = message
  }

  function requireSignIn() {
    signInRequired.value = true
  }

  /** Start-up: how the customer is signed in; nobody → the "LINEでログイン" screen at once. */
  function signedInWith(k: LiffSession['kind'], can: { shortcut?: boolean } = {}) {
    kind.value = k
    canShortcut.value = can.shortcut === true
    if (k === 'none') signInRequired.value = true
  }

  /**
   * The user's "sign in again": a fresh token, then a fresh start of the page. Outside LIFF,
   * LINE Login on the web, back to this screen.
   */
  async function signInAgain() {
    if (kind.value !== 'liff') {
      signingIn.value = true
      location.assign(webLoginUrl())
      return
    }
    signingIn.value = true
    try {
      await services().liff.signInAgain()
      signInRequired.value = false
      location.assign('/')
    } finally {
      signingIn.value = false
    }
  }

  /** Ends the web session, then starts afresh (signed out: "LINEでログイン"). */
  async function signOut() {
    signingIn.value = true
    try {
      await services().liff.signOut()
      location.assign('/')
    } finally {
      signingIn.value = false
    }
  }

  return {
    config,
    kind,
    canShortcut,
    signedInWith,
    signOut,
    signInRequired,
    signingIn,
    flashMessage,
    start,
    refreshConfig,
    flash,
    requireSignIn,
    signInAgain,
  }
})
