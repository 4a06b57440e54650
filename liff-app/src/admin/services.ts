import type { AdminApi } from './api.ts'

let current: AdminApi | null = null

/** Installs the console's API client (main.ts; tests install one over a fake fetch). */
export function setAdminApi(api: AdminApi): void {
  current = api
}

/** The console's API client. */
export function adminApi(): AdminApi {
  if (!current) throw new Error('the admin API is not set up (setAdminApi)')
  return current
}
