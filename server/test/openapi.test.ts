import { randomUUID } from 'node:crypto'
import { ERROR_STATUS, type ErrorCode } from '@membercard/shared'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Hono } from 'hono'
import type { RouterRoute } from 'hono/types'
import { uniqueSymbol } from 'hono-openapi'
import { beforeAll, describe, expect, it } from 'vitest'
import { pagePolicy } from '../src/http/page-policy.ts'
import type { Operation } from '../src/openapi/describe.ts'
import { apiRoutes, buildOpenApiDocument, operationKey } from '../src/openapi/document.ts'
import { ERROR_MESSAGES } from '../src/openapi/errors.ts'
import { operations } from '../src/openapi/operations/index.ts'
import { roleHeaders } from './admin-support.ts'
import { linkedMember, signInStaff, tillCall } from './points-support.ts'
import { createTestContext, type TestContext } from './support.ts'

// biome-ignore lint/suspicious/noExplicitAny: the tests walk the document's JSON
type Doc = any
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const

/** Every method and path registered under /api, read straight from the app (not the document). */
function registeredApiRoutes(routes: readonly RouterRoute[]): string[] {
  const seen = new Set<string>()
  for (const r of routes) {
    if (!r.path.startsWith('/api/') || r.method === 'ALL') continue
    // Hono's `:name{pattern}` / `:name` → OpenAPI's `{name}`.
    const path = r.path.replace(/:([A-Za-z0-9_]+)(\{(?:[^{}]|\{[^{}]*\})*\})?/g, '{$1}')
    seen.add(`${r.method.toLowerCase()} ${path}`)
  }
  return [...seen].sort()
}

/** Every operation of a document, as `method path`. */
function documentedOperations(doc: Doc): Map<string, Doc> {
  const out = new Map<string, Doc>()
  for (const [path, item] of Object.entries<Doc>(doc.paths ?? {})) {
    for (const m of METHODS) {
      const op = item?.[m]
      if (op) out.set(`${m} ${path}`, op)
    }
  }
  return out
}

let ctx: TestContext
let doc: Doc

beforeAll(async () => {
  ctx = await createTestContext()
  const res = await ctx.call('GET', '/api/openapi.json')
  expect(res.status).toBe(200)
  expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
  doc = res.json
})

describe('GET /api/openapi.json (issue 17, decision 087)', () => {
  it('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator)', async () => {
    expect(doc.openapi).toBe('3.1.0')
    const validator = new Validator()
    const result = await validator.validate(doc as never)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })

  it('the validator refuses a broken document (the check above can fail)', async () => {
    const broken = structuredClone(doc) as unknown as Record<string, unknown>
    const paths = broken.paths as Record<string, Record<string, Record<string, unknown>>>
    // `in: "body"` was Swagger 2.0's; OpenAPI 3 has no such parameter location.
    ;(paths['/api/staff/points']?.post as Record<string, unknown>).parameters = [
      { name: 'qrToken', in: 'body', schema: { type: 'string' } },
    ]
    const result = await new Validator().validate(broken as never)
    expect(result.valid).toBe(false)
  })

  it('lists every route registered under /api, each with a summary, tag and answers', async () => {
    const registered = registeredApiRoutes(ctx.app.routes)
    expect(registered.length).toBeGreaterThan(40)
    const documented = documentedOperations(doc)
    const missing = registered.filter((key) => !documented.has(key))
    expect(missing, 'routes missing from the document').toEqual([])
    const undescribed = registered.filter((key) => {
      const op = documented.get(key)
      return !op?.summary?.trim() || !op.tags?.length || !op.responses
    })
    expect(undescribed, 'routes without a summary (server/src/openapi/operations)').toEqual([])
    // And nothing documented that the app does not route.
    expect([...documented.keys()].sort()).toEqual(registered)
  })

  it('a route added without a description is reported (what makes the test above fail)', async () => {
    const extra = new Hono().post('/api/new-thing', (c) => c.json({}, 200))
    const built = await buildOpenApiDocument([...ctx.app.routes, ...extra.routes], {
      title: 't',
      version: '1',
    })
    expect(built.problems).toEqual([
      'POST /api/new-thing: no description in server/src/openapi/operations',
    ])
    const op = built.document.paths?.['/api/new-thing']?.post
    expect(op?.summary).toBeUndefined()
    // The document stays valid meanwhile (what /api/openapi.json serves after such a merge).
    expect((await new Validator().validate(built.document as never)).valid).toBe(true)
    // The app's own routes are all described, and every description names a route.
    const own = await buildOpenApiDocument(ctx.app.routes, { title: 't', version: '1' })
    expect(own.problems).toEqual([])
  })

  it('request schemas are the ones the routes validate with', () => {
    const points = doc.paths?.['/api/staff/points']?.post
    const body = points?.requestBody?.content?.['application/json']
    const variants: Doc[] = body?.schema?.oneOf ?? []
    expect(variants.map((v) => v.properties?.type?.const)).toEqual(['award', 'redeem', 'refund'])
    const award = variants[0]
    expect(award.additionalProperties).toBe(false)
    expect(award.properties?.purchaseAmount).toMatchObject({ type: 'integer', minimum: 1 })
    // Query parameters from the query schema; path parameters with the route's own pattern.
    const history = doc.paths?.['/api/points/history']?.get
    expect(history?.parameters).toContainEqual(
      expect.objectContaining({ in: 'query', name: 'limit' }),
    )
    const voidOp = doc.paths?.['/api/staff/transactions/{id}/void']?.post
    expect(voidOp?.parameters).toContainEqual({
      name: 'id',
      in: 'path',
      required: true,
      schema: { type: 'string', pattern: '^(?:[0-9]{1,15})$' },
    })
  })

  it('every route taking an Idempotency-Key documents the header and its errors', () => {
    const idempotent = apiRoutes(ctx.app.routes).filter((r) =>
      r.handlers.some((h) => h.name === 'idempotencyKeyMiddleware'),
    )
    expect(idempotent.map(operationKey).sort()).toEqual([
      'POST /api/admin/campaigns',
      'POST /api/admin/coupons/{id}/issue',
      'POST /api/admin/members/{cardId}/adjust',
      'POST /api/staff/adjust',
      'POST /api/staff/card/award',
      'POST /api/staff/coupons/redeem',
      'POST /api/staff/coupons/reverse',
      'POST /api/staff/points',
      'POST /api/staff/transactions/{id}/void',
    ])
    for (const r of idempotent) {
      const op = doc.paths?.[r.path]?.[r.method.toLowerCase() as 'post']
      expect(op?.parameters).toContainEqual(
        expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }),
      )
      const codes = Object.values(op?.responses ?? {}).flatMap((res) =>
        Object.keys((res as Doc)?.content?.['application/json']?.examples ?? {}),
      )
      expect(codes).toEqual(
        expect.arrayContaining([
          'IDEMPOTENCY_KEY_MISSING',
          'IDEMPOTENCY_KEY_IN_USE',
          'IDEMPOTENCY_KEY_REUSED',
        ]),
      )
      const ok = (operations as Record<string, Operation>)[operationKey(r)]?.ok.status
      expect(op?.responses?.[String(ok)]?.headers).toHaveProperty('Idempotent-Replayed')
    }
  })

  it('security schemes: LINE ID token, staff bearer, console cookie + CSRF, POS API key', () => {
    expect(Object.keys(doc.components?.securitySchemes ?? {}).sort()).toEqual([
      'consoleCookie',
      'csrfToken',
      'lineIdToken',
      'posApiKey',
      'staffToken',
      'webSession',
    ])
    expect(doc.paths?.['/api/staff/points']?.post?.security).toEqual([
      { staffToken: [] },
      { posApiKey: ['points'] },
    ])
    expect(doc.paths?.['/api/staff/scan']?.post?.security).toEqual([
      { staffToken: [] },
      { posApiKey: ['scan'] },
    ])
    expect(doc.paths?.['/api/staff/coupons/redeem']?.post?.security).toEqual([
      { staffToken: [] },
      { posApiKey: ['coupons'] },
    ])
    expect(doc.paths?.['/api/staff/coupons/reverse']?.post?.security).toEqual([{ staffToken: [] }])
    expect(doc.paths?.['/api/me']?.get?.security).toEqual([{ lineIdToken: [] }, { webSession: [] }])
    expect(doc.paths?.['/api/admin/members/{cardId}/adjust']?.post?.security).toEqual([
      { staffToken: [] },
      { consoleCookie: [], csrfToken: [] },
    ])
    expect(doc.paths?.['/api/admin/members']?.get?.security).toEqual([
      { staffToken: [] },
      { consoleCookie: [] },
    ])
    expect(doc.paths?.['/api/staff/login']?.post?.security).toEqual([])
  })

  it('error answers carry the codes of shared/src/errors.ts with their statuses', () => {
    const errorCodes = Object.keys(ERROR_STATUS) as ErrorCode[]
    const error = doc.components?.schemas?.Error?.properties?.error
    expect(error?.properties?.code?.enum).toEqual(errorCodes)
    for (const code of errorCodes) expect(ERROR_MESSAGES[code], code).toBeTruthy()
    for (const [key, op] of documentedOperations(doc)) {
      for (const [status, res] of Object.entries(op.responses ?? {})) {
        const examples = (res as Doc)?.content?.['application/json']?.examples
        if (Number(status) < 400) continue
        expect(examples, `${key} ${status}`).toBeDefined()
        for (const [code, example] of Object.entries(examples ?? {})) {
          expect(ERROR_STATUS[code as ErrorCode], `${key}: ${code}`).toBe(Number(status))
          expect((example as { value: unknown }).value).toEqual({
            error: { code, message: expect.any(String) },
          })
        }
      }
    }
    const points = doc.paths?.['/api/staff/points']?.post?.responses ?? {}
    expect(Object.keys(points['422']?.content?.['application/json']?.examples ?? {})).toEqual(
      expect.arrayContaining([
        'INSUFFICIENT_POINTS',
        'REFUND_EXCEEDS_PURCHASE',
        'IDEMPOTENCY_KEY_REUSED',
      ]),
    )
  })

  it('every example fits its schema: answers the documented one, requests the validating one', async () => {
    const byKey = new Map(apiRoutes(ctx.app.routes).map((r) => [operationKey(r), r]))
    for (const [key, op] of Object.entries(operations) as [string, Operation][]) {
      if (op.ok.schema && op.ok.example !== undefined) {
        const parsed = op.ok.schema.safeParse(op.ok.example)
        expect(parsed.success, `${key}: ${parsed.error?.message}`).toBe(true)
        expect(parsed.data, key).toEqual(op.ok.example)
      }
      const bodies = [
        ...(op.requestExample === undefined ? [] : [op.requestExample]),
        ...Object.values(op.requestExamples ?? {}).map((e) => e.value),
      ]
      if (bodies.length === 0) continue
      const route = byKey.get(key)
      const validators = (route?.handlers ?? [])
        .map((h) => h[uniqueSymbol] as { target?: string; validate?: (v: unknown) => unknown })
        .filter((m) => m?.target === 'json')
      const check = validators[0]?.validate ?? op.body?.['~standard'].validate
      expect(check, `${key}: no schema to check the example with`).toBeDefined()
      for (const body of bodies) {
        const result = (await check?.(body)) as { issues?: unknown[] }
        expect(result.issues, `${key}: ${JSON.stringify(body)}`).toBeUndefined()
      }
    }
  })
})

describe('real answers fit the documented schemas', () => {
  it('customer, till and console answers parse with their documented schema, no field left over', async () => {
    const staff = await signInStaff(ctx)
    const roles = await roleHeaders(ctx)
    const m = await linkedMember(ctx, { points: 1000 })
    const award = await tillCall(ctx, staff.clerk as Record<string, string>, '/api/staff/points', {
      qrToken: await m.qr(),
      type: 'award',
      purchaseAmount: 12000,
    })
    const calls: [key: string, path: string, headers: Record<string, string>, body?: unknown][] = [
      ['GET /api/config', '/api/config', {}],
      ['GET /api/me', '/api/me', m.headers],
      ['GET /api/me/preferences', '/api/me/preferences', m.headers],
      ['GET /api/link/bonus', '/api/link/bonus', m.headers],
      ['GET /api/card/qr', '/api/card/qr', m.headers],
      ['GET /api/points/history', '/api/points/history', m.headers],
      [
        'POST /api/staff/scan',
        '/api/staff/scan',
        staff.clerk as Record<string, string>,
        { qrToken: await m.qr() },
      ],
      ['GET /api/staff/me', '/api/staff/me', staff.clerk as Record<string, string>],
      [
        'GET /api/staff/transactions',
        '/api/staff/transactions',
        staff.clerk as Record<string, string>,
      ],
      ['GET /api/admin/session', '/api/admin/session', roles.operator],
      ['GET /api/admin/kpis', '/api/admin/kpis', roles.operator],
      ['GET /api/admin/members', `/api/admin/members?q=${m.cardNumber.slice(-4)}`, roles.operator],
      ['GET /api/admin/members/{cardId}', `/api/admin/members/${m.cardId}`, roles.operator],
      [
        'GET /api/admin/members/{cardId}/history',
        `/api/admin/members/${m.cardId}/history`,
        roles.operator,
      ],
      ['GET /api/admin/audit', '/api/admin/audit', roles.operator],
      ['GET /api/admin/stores', '/api/admin/stores', roles.operator],
      ['GET /api/admin/staff', '/api/admin/staff', roles.operator],
    ]
    const answers: [string, number, unknown][] = [
      ['POST /api/staff/points', award.status, award.json],
    ]
    for (const [key, path, headers, body] of calls) {
      const res = await ctx.call(key.split(' ')[0] as string, path, { headers, body })
      answers.push([key, res.status, res.json])
    }
    for (const [key, status, json] of answers) {
      const op = (operations as Record<string, Operation>)[key]
      expect(status, `${key}: ${JSON.stringify(json)}`).toBe(op?.ok.status)
      const parsed = op?.ok.schema?.safeParse(json)
      expect(parsed?.success, `${key}: ${parsed?.error?.message}`).toBe(true)
      // zod drops fields its schema does not name: equal means none was left undocumented.
      expect(parsed?.data, key).toEqual(json)
    }
  })
})

/** Checks each answer against its route's documented success status and schema. */
function expectDocumented(answers: [key: string, status: number, json: unknown][]) {
  for (const [key, status, json] of answers) {
    const op = (operations as Record<string, Operation>)[key]
    expect(op, `${key}: no description`).toBeDefined()
    expect(status, `${key}: ${JSON.stringify(json)}`).toBe(op?.ok.status)
    const parsed = op?.ok.schema?.safeParse(json)
    expect(parsed?.success, `${key}: ${parsed?.error?.message}`).toBe(true)
    expect(parsed?.data, key).toEqual(json)
  }
}

describe('real marketing and coupon answers fit the documented schemas', () => {
  it('segments, campaigns, automations, settings, coupons: customer, till and console', async () => {
    const staff = await signInStaff(ctx)
    const roles = await roleHeaders(ctx)
    const op = roles.operator as Record<string, string>
    const rank = `oa${Date.now() % 100000}`
    const m = await linkedMember(ctx, { points: 500, rank })
    const segment = { all: [{ field: 'rank', op: 'in', value: [rank] }] }
    const messages = [{ type: 'text', text: 'テスト' }]
    const answers: [string, number, unknown][] = []
    const call = async (
      key: string,
      path: string,
      headers: Record<string, string>,
      body?: unknown,
    ) => {
      const res = await ctx.call(key.split(' ')[0] as string, path, { headers, body })
      answers.push([key, res.status, res.json])
      return res.json
    }
    const idem = { ...op, 'Idempotency-Key': randomUUID() }
    await call('POST /api/admin/segments/sample', '/api/admin/segments/sample', op, { segment })
    const saved = await call('POST /api/admin/segments', '/api/admin/segments', op, {
      name: 'OpenAPI',
      segment,
    })
    await call('GET /api/admin/segments', '/api/admin/segments', op)
    const campaign = await call('POST /api/admin/campaigns', '/api/admin/campaigns', idem, {
      name: 'OpenAPI',
      segment,
      messages,
      scheduledAt: new Date(ctx.clock.now() + 86_400_000).toISOString(),
    })
    await call('GET /api/admin/campaigns', '/api/admin/campaigns', op)
    await call('GET /api/admin/campaigns/{id}', `/api/admin/campaigns/${campaign.id}`, op)
    await call(
      'GET /api/admin/campaigns/{id}/insight',
      `/api/admin/campaigns/${campaign.id}/insight`,
      op,
    )
    await call(
      'POST /api/admin/campaigns/{id}/cancel',
      `/api/admin/campaigns/${campaign.id}/cancel`,
      op,
    )
    await call('POST /api/admin/messages/validate', '/api/admin/messages/validate', op, {
      messages,
    })
    await call('POST /api/admin/test-recipients', '/api/admin/test-recipients', op, {
      lineUserId: m.user,
      label: 'OpenAPI',
    })
    await call('GET /api/admin/test-recipients', '/api/admin/test-recipients', op)
    await call('POST /api/admin/campaigns/test', '/api/admin/campaigns/test', op, { messages })
    await call('GET /api/admin/quota', '/api/admin/quota', op)
    const settings = await call(
      'GET /api/admin/messaging-settings',
      '/api/admin/messaging-settings',
      op,
    )
    await call('PUT /api/admin/messaging-settings', '/api/admin/messaging-settings', op, settings)
    await call('PUT /api/admin/automations/{kind}', '/api/admin/automations/birthday', op, {
      enabled: false,
      messages,
      params: {},
    })
    await call('GET /api/admin/automations', '/api/admin/automations', op)
    await call('GET /api/admin/automations/runs', '/api/admin/automations/runs', op)
    const coupon = await call('POST /api/admin/coupons', '/api/admin/coupons', op, {
      title: '100円引き',
      reward: { type: 'bonusPoints', points: 50 },
      validFrom: new Date(ctx.clock.now() - 3_600_000).toISOString(),
      validUntil: new Date(ctx.clock.now() + 86_400_000).toISOString(),
    })
    await call(
      'POST /api/admin/coupons/{id}/issue',
      `/api/admin/coupons/${coupon.id}/issue`,
      {
        ...op,
        'Idempotency-Key': randomUUID(),
      },
      { segment },
    )
    await call('GET /api/admin/coupons', '/api/admin/coupons', op)
    const wallet = await call('GET /api/coupons', '/api/coupons', m.headers)
    const copy = wallet.items[0]
    await call('GET /api/coupons/{id}', `/api/coupons/${copy.id}`, m.headers)
    const till = staff.clerk as Record<string, string>
    const scan = await call('POST /api/staff/scan', '/api/staff/scan', till, {
      qrToken: await m.qr(),
    })
    expect(scan.coupons.map((c: { id: number }) => c.id)).toEqual([copy.id])
    const redeemed = await call(
      'POST /api/staff/coupons/redeem',
      '/api/staff/coupons/redeem',
      {
        ...till,
        'Idempotency-Key': randomUUID(),
      },
      { qrToken: await m.qr(), memberCouponId: copy.id },
    )
    await call(
      'POST /api/staff/coupons/reverse',
      '/api/staff/coupons/reverse',
      {
        ...(staff.manager as Record<string, string>),
        'Idempotency-Key': randomUUID(),
      },
      { redemptionId: redeemed.redemptionId },
    )
    const uses = await call(
      'GET /api/staff/coupons/uses',
      '/api/staff/coupons/uses',
      staff.manager as Record<string, string>,
    )
    expect(uses.items[0]).toMatchObject({ redemptionId: redeemed.redemptionId, reversible: false })
    await call('GET /api/admin/coupons/{id}', `/api/admin/coupons/${coupon.id}`, op)
    await call('POST /api/admin/coupons/{id}/end', `/api/admin/coupons/${coupon.id}/end`, op)
    await call('GET /api/admin/kpis', '/api/admin/kpis', op)
    expect(saved.segment).toEqual(segment)
    expectDocumented(answers)
  })
})

describe('GET /api/docs: the reference page', () => {
  it('answers HTML under the pages’ policy: scripts and styles of this origin only', async () => {
    const res = await ctx.callServed('GET', '/api/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/)
    const policy = res.headers.get('Content-Security-Policy') ?? ''
    const nonce = /'nonce-([^']+)'/.exec(policy)?.[1] ?? ''
    expect(policy).toBe(pagePolicy({ kind: 'docs', line: false, nonce }))
    expect(policy).toContain("script-src 'self';")
    expect(policy).not.toContain('unsafe-inline')
    expect(policy).not.toContain('http')
    // No inline script; every script and stylesheet is a file of this server.
    const scripts = [...res.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
    expect(scripts.length).toBe(2)
    for (const [, attrs, inline] of scripts) {
      expect(inline?.trim()).toBe('')
      expect(attrs).toMatch(/src="\/api\/docs\/[a-z-]+\.js"/)
    }
    expect(res.text).not.toMatch(/https?:\/\//)
    for (const file of ['swagger-ui-bundle.js', 'start.js', 'swagger-ui.css']) {
      const asset = await ctx.callServed('GET', `/api/docs/${file}`)
      expect(asset.status, file).toBe(200)
      expect(asset.headers.get('Content-Type')).toMatch(
        file.endsWith('.css') ? /^text\/css/ : /^text\/javascript/,
      )
    }
    const start = await ctx.call('GET', '/api/docs/start.js')
    expect(start.text).toContain("url: '/api/openapi.json'")
    expect(start.text).toContain('validatorUrl: null')
    const missing = await ctx.call('GET', '/api/docs/package.json')
    expect(missing.status).toBe(404)
    expect(missing.json.error.code).toBe('NOT_FOUND')
  })
})
