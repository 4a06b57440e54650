import type { ClientConfig } from '@membercard/shared'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { loadStaffMessages, startI18n, warmNumberFormat } from './i18n/index.ts'
import { createApi } from './lib/api.ts'
import { initLiff, preloadLiff } from './lib/liff-session.ts'
import { prefetchQr } from './lib/qr-prefetch.ts'
import { setServices } from './lib/services.ts'
import { installRouter, routerFailed, showCardFirst } from './navigation.ts'
import StartFailed from './StartFailed.vue'
import { useSessionStore } from './stores/session.ts'
import './styles.css'

const CONFIG_KEY = 'membercard.config'

/** The settings from the last visit, if any. */
function cachedConfig(): ClientConfig | null {
  try {
    const cached = localStorage.getItem(CONFIG_KEY)
    return cached ? (JSON.parse(cached) as ClientConfig) : null
  } catch {
    return null
  }
}

/** The server's client settings; the last copy when offline, so a returning user's card opens. */
async function fetchConfig(): Promise<ClientConfig> {
  try {
    const res = await fetch('/api/config')
    if (!res.ok) throw new Error(`config: ${res.status}`)
    const config = (await res.json()) as ClientConfig
    try {
      localStorage.setItem(CONFIG_KEY, JSON.stringify(config))
    } catch {
      // storage disabled: no offline start
    }
    return config
  } catch (err) {
    const cached = cachedConfig()
    if (cached) return cached
    throw err
  }
}

/** The member card's paths: the one screen that shows before the router has arrived. */
const CARD_PATH = /^\/(card)?$/

/**
 * Start-up: the server's settings, then LIFF (once, before the router runs, as LIFF requires
 * in a single-page app), then the first screen. The router's code downloads meanwhile and is
 * installed when it is there: the member card shows without waiting for it (navigation.ts).
 */
async function boot() {
  const routerLoading = import('./router.ts')
  routerLoading.catch(() => undefined) // reported below
  // An English phone's messages download beside the settings; the first render waits for them.
  const i18nReady = startI18n()
  // The first number formatted costs a one-off setup: paid now, while the network works.
  void i18nReady.then(warmNumberFormat)
  const pinia = createPinia()
  const session = useSessionStore(pinia)
  const staffOnly = location.pathname.startsWith('/staff')
  // A returning user: the LIFF mode's code downloads while the settings are on their way.
  const lastMode = staffOnly ? undefined : cachedConfig()?.mode
  if (lastMode) preloadLiff(lastMode)
  try {
    const config = await fetchConfig()
    session.start(config)
    if (!staffOnly) {
      const liff = await initLiff(config)
      let recovering: Promise<boolean> | null = null
      const api = createApi({
        idToken: () => liff.idToken(),
        // Calls failing together share one recovery.
        recover: () => {
          recovering ??= liff.recover().finally(() => {
            recovering = null
          })
          return recovering
        },
        signInRequired: () => session.requireSignIn(),
      })
      setServices({ config, liff, api })
      session.signedInWith(liff.kind, { shortcut: liff.createShortcut !== undefined })
      // Opening the card: its QR code is fetched while the rest starts (in parallel with the
      // member look-up). For a customer not linked yet it is one small 404 that nobody waits for.
      if (CARD_PATH.test(location.pathname) && liff.kind !== 'none') prefetchQr(() => api.qr())
    }
  } catch {
    createApp(StartFailed)
      .use(await i18nReady)
      .mount('#app')
    return
  }
  const i18n = await i18nReady
  const app = createApp(App).use(pinia).use(i18n)
  // (After LIFF init: in LINE, a deep link's path is in place by then.)
  // Nobody signed in (a plain browser): the app shows only "LINEでログイン".
  const signedOut = !staffOnly && session.kind === 'none'
  if (!staffOnly && !signedOut && CARD_PATH.test(location.pathname)) void showCardFirst()
  app.mount('#app')
  if (signedOut) return
  let router: typeof import('./router.ts')
  try {
    router = await routerLoading
  } catch (err) {
    // The card shown first keeps working; its tabs load their pages instead.
    routerFailed(err)
    return
  }
  // The other screens' Japanese messages, before the router can show any of those screens.
  i18n.global.mergeLocaleMessage('ja', router.jaScreens)
  const { createAppRouter } = router
  await installRouter(app, createAppRouter({ beforeStaff: () => loadStaffMessages(i18n) }))
}

void boot()
