import { describe, expect, it } from 'vitest'
import { operations } from '../src/openapi/operations/index.ts'
import { type RoleName, roleHeaders } from './admin-support.ts'
import { createTestContext } from './support.ts'

/**
 * Every head-office route the API describes (its OpenAPI operations, which the OpenAPI test
 * keeps complete) refuses the till's roles and anonymous callers, and the routes described as
 * "admin only" refuse operators too: the role is checked on the server, before the request's
 * body or parameters are looked at.
 */
const ctx = await createTestContext()
let roles = await roleHeaders(ctx)

/** `POST /api/admin/session` signs in; the rest need a head-office account. */
const SIGN_IN = 'POST /api/admin/session'
/** Routes that end the caller's own sessions: each call of theirs is made with a new sign-in. */
const SIGN_OUT = new Set(['DELETE /api/admin/session', 'POST /api/admin/session/revoke-all'])
const routes = Object.entries(operations)
  .filter(([key]) => key.split(' ')[1]?.startsWith('/api/admin') && key !== SIGN_IN)
  .map(([key, op]) => {
    const [method = '', template = ''] = key.split(' ')
    return {
      key,
      method,
      // A path parameter that names nothing: a refusal must not depend on what it names.
      path: template.replace(/\{[^}]+\}/g, '1'),
      adminOnly: /\(admin only\)/.test(op.summary ?? ''),
    }
  })

async function statusOf(route: (typeof routes)[number], role: RoleName | null) {
  const res = await ctx.call(route.method, route.path, {
    headers: role ? roles[role] : { 'Content-Type': 'application/json' },
    ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: {} }),
  })
  return { status: res.status, code: res.json?.error?.code as string | undefined }
}

describe('every /api/admin route checks the role on the server', () => {
  it('describes the head office’s routes, some of them admin only', () => {
    expect(routes.length).toBeGreaterThan(40)
    expect(routes.filter((r) => r.adminOnly).length).toBeGreaterThan(10)
  })

  it('answers 401 to a caller with no credential', async () => {
    const wrong: string[] = []
    for (const r of routes) {
      const { status, code } = await statusOf(r, null)
      if (status !== 401 || code !== 'STAFF_AUTH_REQUIRED')
        wrong.push(`${r.key}: ${status} ${code}`)
    }
    expect(wrong).toEqual([])
  })

  it('answers 403 FORBIDDEN to a clerk and to a manager', async () => {
    const wrong: string[] = []
    for (const r of routes) {
      for (const role of ['clerk', 'manager'] as const) {
        const { status, code } = await statusOf(r, role)
        if (status !== 403 || code !== 'FORBIDDEN')
          wrong.push(`${r.key} ${role}: ${status} ${code}`)
      }
    }
    expect(wrong).toEqual([])
  })

  it('answers 403 FORBIDDEN to an operator on every admin-only route, and lets them past elsewhere', async () => {
    const wrong: string[] = []
    for (const r of routes) {
      if (SIGN_OUT.has(r.key)) roles = await roleHeaders(ctx)
      const { status, code } = await statusOf(r, 'operator')
      const refused = status === 403 && code === 'FORBIDDEN'
      if (r.adminOnly !== refused) wrong.push(`${r.key}: ${status} ${code}`)
      // An admin is never refused for the role (other checks may still answer 4xx).
      if (SIGN_OUT.has(r.key)) roles = await roleHeaders(ctx)
      const admin = await statusOf(r, 'admin')
      if (admin.code === 'FORBIDDEN' || admin.status === 401) {
        wrong.push(`${r.key} admin: ${admin.status} ${admin.code}`)
      }
      if (SIGN_OUT.has(r.key)) roles = await roleHeaders(ctx)
    }
    expect(wrong).toEqual([])
  })
})
