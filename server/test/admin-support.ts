import { expect } from 'vitest'
import { createStaffService } from '../src/services/staff.ts'
import type { TestContext } from './support.ts'

/** One account of each role; the head-office ones without a store. */
export const ROLE_ACCOUNTS = {
  clerk: { staffId: 'role-clerk', storeCode: 'S001', role: 'clerk' as const },
  manager: { staffId: 'role-manager', storeCode: 'S001', role: 'manager' as const },
  operator: { staffId: 'role-operator', role: 'operator' as const },
  admin: { staffId: 'role-admin', role: 'admin' as const },
}
export type RoleName = keyof typeof ROLE_ACCOUNTS
export const ROLE_PASSWORD = 'role-password-1'

/**
 * Creates one account of each role and signs each in through `POST /api/staff/login`;
 * returns JSON headers with each one's bearer token (what an admin API client sends).
 */
export async function roleHeaders(
  ctx: Pick<TestContext, 'db' | 'clock' | 'secrets' | 'call'>,
): Promise<Record<RoleName, Record<string, string>>> {
  const service = createStaffService({ db: ctx.db, clock: ctx.clock, secrets: ctx.secrets })
  const out = {} as Record<RoleName, Record<string, string>>
  for (const [name, s] of Object.entries(ROLE_ACCOUNTS)) {
    await service.upsert({ ...s, storeName: 'Store S001', password: ROLE_PASSWORD })
    out[name as RoleName] = await bearerHeaders(ctx, s.staffId)
  }
  return out
}

/** Signs `staffId` in (with `totp` when given) and returns JSON headers with its bearer token. */
export async function bearerHeaders(
  ctx: Pick<TestContext, 'call'>,
  staffId: string,
  password = ROLE_PASSWORD,
  totp?: string,
): Promise<Record<string, string>> {
  const res = await ctx.call('POST', '/api/staff/login', {
    headers: { 'Content-Type': 'application/json' },
    body: { staffId, password, ...(totp === undefined ? {} : { totp }) },
  })
  expect(res.status, JSON.stringify(res.json)).toBe(200)
  return { Authorization: `Bearer ${res.json.token}`, 'Content-Type': 'application/json' }
}

/** A console session: the cookie to send back and the CSRF token of the sign-in answer. */
export interface ConsoleSession {
  cookie: string
  csrfToken: string
  setCookie: string
}

/** Signs in to the console (`POST /api/admin/session`); expects 200. */
export async function consoleSignIn(
  ctx: Pick<TestContext, 'call'>,
  staffId: string,
  password = ROLE_PASSWORD,
  totp?: string,
): Promise<ConsoleSession> {
  const res = await ctx.call('POST', '/api/admin/session', {
    headers: { 'Content-Type': 'application/json' },
    body: { staffId, password, ...(totp === undefined ? {} : { totp }) },
  })
  expect(res.status, JSON.stringify(res.json)).toBe(200)
  const setCookie = res.headers.get('Set-Cookie') ?? ''
  const cookie = setCookie.split(';')[0] ?? ''
  expect(cookie).toMatch(/=.{20,}/)
  return { cookie, csrfToken: res.json.csrfToken, setCookie }
}

/** Headers of a cookie-authenticated console request (with the CSRF token unless `false`). */
export function cookieHeaders(s: ConsoleSession, csrf: boolean | string = true) {
  return {
    Cookie: s.cookie,
    'Content-Type': 'application/json',
    ...(csrf === false ? {} : { 'X-CSRF-Token': csrf === true ? s.csrfToken : csrf }),
  }
}
