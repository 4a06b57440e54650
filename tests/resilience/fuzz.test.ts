import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import {
  idTokenFor,
  importCards,
  type LinkedMember,
  linkMember,
  makeCards,
  openDb,
  randomSub,
  staffToken,
  type TestCard,
} from './helpers.ts'

/** Tables that record failed attempts on purpose (rate limits): a 4xx may add to them. */
const ATTEMPT_LOGS = new Set(['link_attempts', 'login_attempts'])

/** A digest of every row of every table but the attempt logs, per table. */
function digest(sqlite: ReturnType<typeof openDb>): Record<string, string> {
  const tables = sqlite
    .prepare(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         AND name NOT LIKE '__drizzle%' ORDER BY name`,
    )
    .all() as { name: string }[]
  const out: Record<string, string> = {}
  for (const { name } of tables) {
    if (ATTEMPT_LOGS.has(name)) continue
    const h = createHash('sha256')
    for (const row of sqlite.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).raw().all()) {
      h.update(JSON.stringify(row))
    }
    out[name] = h.digest('hex').slice(0, 16)
  }
  return out
}

/**
 * Waits until the messaging worker has sent everything queued by earlier (successful)
 * requests: a push or rich-menu switch still in flight would otherwise change the outbox
 * during the next request and look as if that request had written it.
 */
async function outboxSettled(sqlite: ReturnType<typeof openDb>): Promise<void> {
  const pending = sqlite.prepare(
    'SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL',
  )
  const deadline = Date.now() + 5_000
  while ((pending.get() as { n: number }).n > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5))
  }
}

const ROUTES: { method: string; path: string }[] = [
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/api/config' },
  { method: 'GET', path: '/api/me' },
  { method: 'POST', path: '/api/link' },
  { method: 'DELETE', path: '/api/link' },
  { method: 'POST', path: '/api/cards' },
  { method: 'GET', path: '/api/card/qr' },
  { method: 'GET', path: '/api/points/history' },
  { method: 'POST', path: '/api/staff/login' },
  { method: 'GET', path: '/api/staff/me' },
  { method: 'POST', path: '/api/staff/logout' },
  { method: 'POST', path: '/api/staff/scan' },
  { method: 'POST', path: '/api/staff/points' },
  { method: 'POST', path: '/api/staff/transactions/1/void' },
  { method: 'POST', path: '/api/staff/adjust' },
  { method: 'GET', path: '/api/staff/transactions' },
  { method: 'POST', path: '/webhook/line' },
  { method: 'GET', path: '/account-link' },
  { method: 'POST', path: '/account-link' },
]

describe('fuzz: schema-aware random requests against every route', () => {
  let server: RunningServer
  let member: LinkedMember
  let cards: TestCard[]
  let unlinkedToken: string
  let clerk: string
  let manager: string
  beforeAll(async () => {
    server = await startServer({ env: { CARD_TOKEN_TTL_SECONDS: '3600' } })
    cards = makeCards(5, 3, 300)
    importCards(server, cards)
    member = await linkMember(server.url, cards[0]!)
    unlinkedToken = await idTokenFor(server.url, randomSub())
    clerk = await staffToken(server.url)
    manager = await staffToken(server.url, 'demo-manager', 'demo-manager-pass')
  }, 90_000)
  afterAll(async () => {
    await server?.stop()
    if (server) removeDataDir(server.dataDir)
  })

  it('never answers 5xx, and a 4xx never changes any data', async () => {
    const db = openDb(server.databasePath)
    const text = fc.string({ maxLength: 40 })
    const int = fc.oneof(
      fc.integer({ min: -5, max: 20_000 }),
      fc.integer(),
      fc.constantFrom(0, 1, 10_000_000, 10_000_001, 2 ** 53, -(2 ** 53)),
      fc.double(),
    )
    const field = <T>(valid: fc.Arbitrary<T>) =>
      fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: fc.jsonValue() })
    const cardNumber = field(
      fc.oneof(
        fc.constantFrom(...cards.map((c) => c.cardNumber)),
        fc.stringMatching(/^[0-9 -]{0,20}$/),
      ),
    )
    const qrToken = field(
      fc.oneof(fc.constant(member.qrToken), fc.stringMatching(/^[A-Z2-7]{30,40}$/), text),
    )
    const consent = field(fc.record({ version: text, accepted: fc.boolean() }))
    const bodies = fc.oneof(
      fc.record(
        { cardNumber, pin: field(fc.stringMatching(/^\d{0,5}$/)), consent },
        { requiredKeys: [] },
      ),
      fc.record({ name: field(text), consent }, { requiredKeys: [] }),
      fc.record(
        { staffId: field(fc.constantFrom('demo-clerk', 'nobody')), password: field(text) },
        { requiredKeys: [] },
      ),
      fc.record(
        { qrToken, type: field(fc.constantFrom('award', 'redeem')), purchaseAmount: field(int) },
        { requiredKeys: [] },
      ),
      fc.record(
        { qrToken, type: field(fc.constantFrom('award', 'redeem')), points: field(int) },
        { requiredKeys: [] },
      ),
      fc.record(
        { qrToken, cardNumber, points: field(int), reason: field(text) },
        { requiredKeys: [] },
      ),
      fc.record({ reason: field(text) }, { requiredKeys: [] }),
      fc.record({ destination: field(text), events: field(fc.array(fc.jsonValue())) }),
      fc.dictionary(text, fc.jsonValue(), { maxKeys: 4 }),
    )
    const bodyText = fc.oneof(
      { weight: 6, arbitrary: bodies.map((b) => JSON.stringify(b)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
      { weight: 1, arbitrary: fc.constant('') },
    )
    const path = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...ROUTES.map((r) => r.path)) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.constantFrom(...ROUTES.map((r) => r.path)), fc.webSegment())
          .map(([p, s]) => `${p}/${s}`),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.constantFrom(...ROUTES.map((r) => r.path)), fc.webQueryParameters())
          .map(([p, q]) => `${p}?${q}`),
      },
      { weight: 1, arbitrary: fc.webPath() },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: -3, max: 10 ** 16 })
          .map((n) => `/api/staff/transactions/${n}/void`),
      },
    )
    const request = fc.record({
      method: fc.oneof(
        { weight: 4, arbitrary: fc.constant('route') },
        {
          weight: 1,
          arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        },
      ),
      path,
      auth: fc.constantFrom('none', 'member', 'unlinked', 'clerk', 'manager', 'garbage', 'basic'),
      contentType: fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'none',
        'application/x-www-form-urlencoded',
      ),
      idempotencyKey: fc.option(
        fc.oneof(fc.uuid(), fc.constant('fixed-key'), fc.string({ maxLength: 300 })),
      ),
      signature: fc.option(fc.base64String({ maxLength: 60 })),
      body: bodyText,
    })

    const tokens: Record<string, string | undefined> = {
      none: undefined,
      member: `Bearer ${member.idToken}`,
      unlinked: `Bearer ${unlinkedToken}`,
      clerk: `Bearer ${clerk}`,
      manager: `Bearer ${manager}`,
      garbage: 'Bearer eyJhbGciOiJFUzI1NiJ9.e30.AAAA',
      basic: 'Basic ZGVtbzpkZW1v',
    }
    let requests = 0
    let fourXx = 0
    try {
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const route = ROUTES.find((x) => r.path.startsWith(x.path))
          const method = r.method === 'route' ? (route?.method ?? 'GET') : r.method
          const headers: Record<string, string> = {}
          const auth = tokens[r.auth]
          if (auth) headers.authorization = auth
          if (r.contentType !== 'none') headers['content-type'] = r.contentType
          // fetch refuses non-Latin-1 header values, as any HTTP client would
          if (r.idempotencyKey !== null && /^[\x20-\xff]*$/.test(r.idempotencyKey)) {
            headers['idempotency-key'] = r.idempotencyKey
          }
          if (r.signature !== null) headers['x-line-signature'] = r.signature
          const hasBody = method !== 'GET' && method !== 'HEAD'
          await outboxSettled(db)
          const before = digest(db)
          const res = await fetch(`${server.url}${r.path}`, {
            method,
            headers,
            body: hasBody ? r.body : undefined,
          })
          const text = await res.text()
          requests++
          expect(res.status, `${method} ${r.path} → ${res.status} ${text}`).toBeLessThan(500)
          if (res.status >= 400) {
            fourXx++
            expect(digest(db), `${method} ${r.path} → ${res.status} changed data`).toEqual(before)
            if (r.path.startsWith('/api/') && method !== 'HEAD') {
              const body = JSON.parse(text) as { error: { code: string; message: string } }
              expect(typeof body.error.code).toBe('string')
              expect(typeof body.error.message).toBe('string')
            }
          }
        }),
        { numRuns: 400, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
      )
    } finally {
      db.close()
    }
    expect(requests).toBeGreaterThanOrEqual(400)
    expect(fourXx).toBeGreaterThan(100)
  }, 55_000)
})
