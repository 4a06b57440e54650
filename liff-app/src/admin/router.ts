import { createRouter, createWebHistory, type RouterHistory } from 'vue-router'
import { mktRoutes } from './mkt/routes.ts'
import { useAdminSession } from './stores/session.ts'

declare module 'vue-router' {
  interface RouteMeta {
    /** Shown without a session (the sign-in screen). */
    public?: boolean
    /** The `admin.*` message key of the screen's title (the document's title). */
    title?: string
  }
}

/** The console's screens, each loaded when first opened. */
export const adminRoutes = [
  {
    path: '/admin/sign-in',
    name: 'sign-in',
    component: () => import('./views/SignInView.vue'),
    meta: { public: true, title: 'signIn.title' },
  },
  {
    path: '/admin',
    name: 'dashboard',
    component: () => import('./views/DashboardView.vue'),
    meta: { title: 'dashboard.title' },
  },
  {
    path: '/admin/members',
    name: 'members',
    component: () => import('./views/MembersView.vue'),
    meta: { title: 'members.title' },
  },
  {
    path: '/admin/members/:cardId',
    name: 'member',
    component: () => import('./views/MemberView.vue'),
    props: true,
    meta: { title: 'members.title' },
  },
  {
    path: '/admin/coupons',
    name: 'coupons',
    component: () => import('./views/CouponsView.vue'),
    meta: { title: 'coupons.title' },
  },
  {
    path: '/admin/coupons/new',
    name: 'coupon-new',
    component: () => import('./views/CouponNewView.vue'),
    meta: { title: 'coupons.form.title' },
  },
  {
    path: '/admin/coupons/:couponId(\\d{1,15})',
    name: 'coupon',
    component: () => import('./views/CouponView.vue'),
    props: true,
    meta: { title: 'coupons.title' },
  },
  {
    path: '/admin/staff',
    name: 'staff',
    component: () => import('./views/StaffView.vue'),
    meta: { title: 'staff.title' },
  },
  {
    path: '/admin/data',
    name: 'data',
    component: () => import('./views/DataView.vue'),
    meta: { title: 'io.title' },
  },
  {
    path: '/admin/audit',
    name: 'audit',
    component: () => import('./views/AuditView.vue'),
    meta: { title: 'audit.title' },
  },
  {
    path: '/admin/security',
    name: 'security',
    component: () => import('./views/SecurityView.vue'),
    meta: { title: 'security.title' },
  },
  {
    path: '/admin/integration',
    name: 'integration',
    component: () => import('./views/IntegrationView.vue'),
    meta: { title: 'integration.title' },
  },
  ...mktRoutes,
  { path: '/admin/:rest(.*)*', redirect: '/admin' },
]

/**
 * The console's router: every screen but the sign-in needs a session of an operator or an
 * admin (the server checks the role on every call too); after signing in, the screen first
 * asked for.
 */
export function createAdminRouter(history: RouterHistory = createWebHistory()) {
  const router = createRouter({ history, routes: adminRoutes })
  router.beforeEach(async (to) => {
    const session = useAdminSession()
    try {
      await session.check()
    } catch {
      // No answer: the sign-in screen says what is wrong when it tries.
    }
    if (to.meta.public) return session.signedIn ? { name: 'dashboard', replace: true } : true
    if (session.signedIn) return true
    return {
      name: 'sign-in',
      query: to.fullPath === '/admin' ? {} : { next: to.fullPath },
      replace: true,
    }
  })
  return router
}
