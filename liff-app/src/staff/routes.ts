import type { RouteRecordRaw } from 'vue-router'

/**
 * The till's routes (under `/staff`), owned by the staff feature; the app's router adds them.
 * Each view is lazy-loaded so the customer card screen never pays for the till.
 */
export const staffRoutes: RouteRecordRaw[] = []
