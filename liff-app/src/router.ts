import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { staffRoutes } from './staff/routes.ts'
import { useMemberStore } from './stores/member.ts'
import CardView from './views/CardView.vue'

declare module 'vue-router' {
  interface RouteMeta {
    /** Needs a linked card (else the consent screen). */
    linked?: boolean
    /** Only for a user with no linked card (else the member card). */
    guest?: boolean
  }
}

/**
 * Path-based routes: LINE's login redirect can lose a query string, so deep links
 * (`https://liff.line.me/{liffId}/history`, delivered as `liff.state`) are paths. The member
 * card is in the first bundle; every other screen is loaded when first opened.
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
export function createAppRouter(hooks: { beforeStaff?: () => Promise<void> } = {}) {
  const router = createRouter({
    history: createWebHistory(),
    routes: [...customerRoutes, ...staffRoutes, { path: '/:rest(.*)*', redirect: '/card' }],
  })
  router.beforeEach(async (to) => {
    if (to.path.startsWith('/staff')) {
      await hooks.beforeStaff?.()
      return true
    }
    if (!to.meta.linked && !to.meta.guest) return true
    const member = useMemberStore()
    await member.ensureLoaded()
    if (to.meta.linked && !member.linked) return { name: 'link', replace: true }
    if (to.meta.guest && member.linked) return { name: 'card', replace: true }
    return true
  })
  return router
}
