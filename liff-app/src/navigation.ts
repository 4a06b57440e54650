import { type App, computed, shallowRef } from 'vue'
import type { Router } from 'vue-router'
import { useMemberStore } from './stores/member.ts'

/**
 * The router (vue-router) is not in the first bundle: it downloads while the app starts, and
 * is installed on the running app when it arrives (`installRouter`). The member card (`/`,
 * `/card`) can show before that (`showCardFirst`); every other screen waits for the router.
 * This module is what the first bundle needs meanwhile: the guard, the screen shown, and
 * navigation that waits for the router (docs/decisions/019).
 */

/** What a customer route asks of the user (the router's `meta`). */
export interface Access {
  /** Needs a linked card (else the consent screen). */
  linked?: boolean
  /** Only for a user with no linked card (else the member card). */
  guest?: boolean
}

/** Where a guard sends the user instead. */
export type Redirect = { name: 'link' | 'card'; replace: true }

/**
 * The customer screens' guard, used by the router for every navigation and by the card before
 * the router is there: a member's screen sends a user without a card to the consent screen,
 * a guest's screen sends a member to the card. Every customer screen knows whether the user is
 * a member (its tabs, its unlink button) however it was opened: a rich menu's or a permanent
 * link's URL (`/settings`) opens it directly. A returning member is known at once (cache).
 * Should it not be known (no connection on a first visit, or a sign-in LINE refused: App.vue
 * then asks to sign in again), a screen open to all still shows; the navigation to a member's
 * or a guest's screen is cancelled (false), not thrown at the router.
 */
export async function checkAccess(meta: Access): Promise<boolean | Redirect> {
  const member = useMemberStore()
  try {
    await member.ensureLoaded()
  } catch {
    return !meta.linked && !meta.guest
  }
  if (meta.linked && !member.linked) return { name: 'link', replace: true }
  if (meta.guest && member.linked) return { name: 'card', replace: true }
  return true
}

/** The router, once installed and its first navigation has settled; null before. */
export const currentRouter = shallowRef<Router | null>(null)
/** True when the card is on screen before the router has arrived (`showCardFirst`). */
export const cardFirst = shallowRef(false)

/** The screen on show: the router's current route, or the card shown before it. */
export const currentRoute = computed<{ path: string; name: string | null } | null>(() => {
  const router = currentRouter.value
  if (router) {
    const { path, name } = router.currentRoute.value
    return { path, name: typeof name === 'string' ? name : null }
  }
  return cardFirst.value ? { path: '/card', name: 'card' } : null
})

let arrived: (router: Router) => void = () => undefined
let failed: (err: unknown) => void = () => undefined
const routerReady = new Promise<Router>((resolve, reject) => {
  arrived = resolve
  failed = reject
})
routerReady.catch(() => {
  // navigate() falls back to loading the page
})

/**
 * Shows the card before the router has arrived, when the card's guard lets the user see it
 * (at once for a returning member, else after `/api/me`); otherwise the router's first
 * navigation decides, as for any other screen.
 */
export async function showCardFirst(): Promise<void> {
  // (Not known, offline on a first visit: left to the router's guard.)
  if ((await checkAccess({ linked: true })) === true && !currentRouter.value) {
    cardFirst.value = true
  }
}

/**
 * Installs the router on the running app. The screen on show changes only once its first
 * navigation has settled, so the card shown first stays (the same component, not re-created).
 */
export async function installRouter(app: App, router: Router): Promise<void> {
  app.use(router)
  try {
    await router.isReady()
  } catch {
    // a failed first navigation (e.g. offline): as before, no screen until the next one
  }
  currentRouter.value = router
  cardFirst.value = false
  arrived(router)
}

/** The router's code could not be loaded: navigation loads pages instead. */
export function routerFailed(err: unknown): void {
  failed(err)
}

/** Calls `use` with the router once it is installed (at once if it is). */
export function onRouter(use: (router: Router) => void): void {
  void routerReady.then(use, () => undefined)
}

/**
 * Goes to `path`, waiting for the router if it has not arrived yet (a tab tapped on the card
 * that showed first). Should the router's code fail to load, the path loads as a new page.
 */
export async function navigate(path: string, replace = false): Promise<void> {
  let router: Router
  try {
    router = await routerReady
  } catch {
    if (replace) location.replace(path)
    else location.assign(path)
    return
  }
  await (replace ? router.replace(path) : router.push(path))
}
