import { createRouter, createWebHistory, type RouteRecordRaw, type RouterHistory } from 'vue-router'
import { askLinkBonus, linkBonusAnswered } from './lib/link-bonus.ts'
import { type Access, checkAccess } from './navigation.ts'
import { staffRoutes } from './staff/routes.ts'
import CardView from './views/CardView.vue'

// The other screens' Japanese messages travel with their router (main.ts merges them first).
export { jaScreens } from './i18n/ja-screens.ts'

declare module 'vue-router' {
  interface RouteMeta extends Access {}
}

/**
 * Path-based routes: LINE's login redirect can lose a query string, so deep links
 * (`https://liff.line.me/{liffId}/history`, delivered as `liff.state`) are paths. The member
 * card is in the first bundle; every other screen is loaded when first opened.
 *
 * This module and vue-router are not in the first bundle: `main.ts` loads them while the app
 * starts and installs the router on the running app (`navigation.ts`). App.vue renders the
 * current route's component itself (so the card shown before the router stays the same
 * component), not through `<RouterView>`: in-component guards (`onBeforeRouteLeave`,
 * `onBeforeRouteUpdate`, `beforeRouteEnter`) are therefore not available; use route guards.
 */
export const customerRoutes: RouteRecordRaw[] = [
  { path: '/', redirect: '/card' },
  { path: '/card', name: 'card', component: CardView, meta: { linked: true } },
  {
    path: '/link',
    name: 'link',
    component: () => import('./views/LinkView.vue'),
    meta: { guest: true },
  },
  {
    path: '/issue',
    name: 'issue',
    component: () => import('./views/IssueView.vue'),
    meta: { guest: true },
  },
  {
    path: '/coupons',
    name: 'coupons',
    component: () => import('./views/CouponsView.vue'),
    meta: { linked: true },
  },
  {
    path: '/coupons/:id(\\d{1,15})',
    name: 'coupon',
    component: () => import('./views/CouponView.vue'),
    meta: { linked: true },
  },
  {
    path: '/history',
    name: 'history',
    component: () => import('./views/HistoryView.vue'),
    meta: { linked: true },
  },
  {
    path: '/settings',
    name: 'settings',
    component: () => import('./views/SettingsView.vue'),
  },
  { path: '/privacy', name: 'privacy', component: () => import('./views/PrivacyView.vue') },
]

/** The app's router; the guard sends a user to the consent screen or the card. */
export function createAppRouter(
  hooks: { beforeStaff?: () => Promise<void> } = {},
  history: RouterHistory = createWebHistory(),
) {
  const router = createRouter({
    history,
    routes: [...customerRoutes, ...staffRoutes, { path: '/:rest(.*)*', redirect: '/card' }],
  })
  router.beforeEach(async (to) => {
    if (to.path.startsWith('/staff')) {
      await hooks.beforeStaff?.()
      return true
    }
    const access = await checkAccess(to.meta)
    // A guest's screens (consent, issue) promise the linking bonus only to those who can still
    // get it: asked now, in parallel with loading the screen's code, awaited before it shows.
    if (access === true && to.meta.guest) askLinkBonus()
    return access
  })
  router.beforeResolve((to) => (to.meta.guest ? linkBonusAnswered() : undefined))
  return router
}
