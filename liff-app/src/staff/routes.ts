import type { RouteRecordRaw } from 'vue-router'

/**
 * Till screens need a staff token; without one the staff member signs in first. The token's
 * module is imported here lazily, so the customer's first bundle does not carry it.
 */
async function requireStaff() {
  const { staffToken } = await import('./token.ts')
  return staffToken.get() ? true : { name: 'staff-login' as const, replace: true }
}

/**
 * The till's routes (under `/staff`), owned by the staff feature; the app's router adds them.
 * Each view is lazy-loaded so the customer card screen never pays for the till.
 */
export const staffRoutes: RouteRecordRaw[] = [
  {
    path: '/staff',
    name: 'staff-till',
    component: () => import('./views/TillView.vue'),
    beforeEnter: requireStaff,
  },
  {
    path: '/staff/login',
    name: 'staff-login',
    component: () => import('./views/StaffLoginView.vue'),
  },
  {
    path: '/staff/today',
    name: 'staff-today',
    component: () => import('./views/TodayView.vue'),
    beforeEnter: requireStaff,
  },
]
