import type { ClientConfig } from '@membercard/shared'
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { services } from '../lib/services.ts'

/** The signed-in session: the server's client settings and whether the user must sign in again. */
export const useSessionStore = defineStore('session', () => {
  const config = ref<ClientConfig | null>(null)
  /** True when the ID token was refused even after recovering: show "sign in again". */
  const signInRequired = ref(false)
  const signingIn = ref(false)
  /** A one-time notice shown at the top of the next screen (e.g. the linking bonus). */
  const flashMessage = ref<string | null>(null)

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

  /** The user's "sign in again": a fresh token, then a fresh start of the page. */
  async function signInAgain() {
    signingIn.value = true
    try {
      await services().liff.signInAgain()
      signInRequired.value = false
      location.assign('/')
    } finally {
      signingIn.value = false
    }
  }

  return {
    config,
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
