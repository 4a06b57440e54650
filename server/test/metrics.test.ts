import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import { fakeClock } from '../src/clock.ts'
import { loadConfig } from '../src/config.ts'
import { createMessagingClient } from '../src/line/messaging-client.ts'
import { createMetrics } from '../src/metrics.ts'
import { loadSecrets } from '../src/secrets.ts'
import { linkedMember, signInStaff, tillCall } from './points-support.ts'
import { callApp, createTestContext, openTestDatabase, row } from './support.ts'

const TOKEN = 'metrics-token-0123456789abcdef'

// Without METRICS_TOKEN, and with the built app served (whose page answers every other GET):
// built first, because the process's metrics read the outbox of the last app built.
const spa = mkdtempSync(join(tmpdir(), 'mc-metrics-spa-'))
writeFileSync(join(spa, 'index.html'), '<!doctype html><title>app</title>')
const plainDb = await openTestDatabase()
const plain = createApp({
  db: plainDb,
  clock: fakeClock(),
  config: loadConfig({ DATABASE_PATH: ':memory:', SECRETS_PATH: ':memory:', LOG_LEVEL: 'silent' }),
  secrets: loadSecrets(':memory:'),
  staticRoot: spa,
})
afterAll(() => {
  rmSync(spa, { recursive: true, force: true })
})

const ctx = await createTestContext({
  env: { METRICS_TOKEN: TOKEN, LINE_MESSAGING_ACCESS_TOKEN: 'test-access-token' },
})
const scrape = (authorization?: string) =>
  ctx.call('GET', '/metrics', {
    headers: authorization === undefined ? {} : { Authorization: authorization },
  })

/** The value of the sample `name{labels}` in Prometheus text (labels exactly as written). */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1))
  }
  return undefined
}

describe('GET /metrics', () => {
  it('answers 404 in the error shape when METRICS_TOKEN is not set, even with a built app served', async () => {
    const page = await callApp(plain, 'GET', '/card')
    expect(page.status).toBe(200)
    expect(page.text).toContain('<title>app</title>')
    for (const auth of [undefined, `Bearer ${TOKEN}`]) {
      const res = await callApp(plain, 'GET', '/metrics', {
        headers: auth ? { Authorization: auth } : {},
      })
      expect(res.status).toBe(404)
      expect(res.json).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } })
    }
  })

  it('answers 401 without the token or with a wrong one', async () => {
    for (const auth of [
      undefined,
      'Bearer ',
      'Bearer wrong-token',
      `Bearer ${TOKEN.slice(0, -1)}x`,
      `Bearer ${TOKEN}x`,
      `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`,
      TOKEN,
    ]) {
      const res = await scrape(auth)
      expect(res.status, String(auth)).toBe(401)
      expect(res.json.error.code).toBe('INVALID_CREDENTIALS')
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"')
      expect(res.text).not.toContain('http_requests_total')
    }
  })

  it('serves every metric in Prometheus text to the token', async () => {
    const res = await scrape(`Bearer ${TOKEN}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'http_requests_total',
      'http_request_duration_seconds',
      'ledger_writes_total',
      'outbox_backlog',
      'outbox_oldest_age_seconds',
      'line_api_errors_total',
      'db_pool_connections',
      'db_pool_idle_connections',
      'db_pool_waiting_clients',
    ]) {
      expect(res.text, name).toMatch(new RegExp(`^# TYPE ${name} `, 'm'))
    }
    // SQLite: one connection, idle between statements, nobody waiting.
    expect(sample(res.text, 'db_pool_connections')).toBe(1)
    expect(sample(res.text, 'db_pool_idle_connections')).toBe(1)
    expect(sample(res.text, 'db_pool_waiting_clients')).toBe(0)
  })

  it('counts requests under their route pattern, never the path with its IDs', async () => {
    const voided = await ctx.call('POST', '/api/staff/transactions/987654/void', {
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k-1' },
      body: { reason: 'x' },
    })
    expect(voided.status).toBe(401)
    expect((await ctx.call('GET', '/api/nothing/here/55501')).status).toBe(404)
    const text = (await scrape(`Bearer ${TOKEN}`)).text
    const voidRoute =
      'method="POST",route="/api/staff/transactions/:id{[0-9]{1,15}}/void",status="401"'
    expect(sample(text, `http_requests_total{${voidRoute}}`)).toBe(1)
    expect(sample(text, `http_request_duration_seconds_count{${voidRoute}}`)).toBe(1)
    expect(sample(text, `http_request_duration_seconds_bucket{${voidRoute},le="+Inf"}`)).toBe(1)
    expect(sample(text, `http_request_duration_seconds_bucket{${voidRoute},le="10"}`)).toBe(1)
    expect(sample(text, 'http_requests_total{method="GET",route="/api/*",status="404"}')).toBe(1)
    expect(text).not.toContain('987654')
    expect(text).not.toContain('55501')
    // The earlier scrapes are counted too, with the 401s apart from the 200s.
    expect(sample(text, 'http_requests_total{method="GET",route="/metrics",status="401"}')).toBe(7)
  })

  it('counts ledger writes by type, and reports the outbox backlog and its oldest age', async () => {
    const staff = await signInStaff(ctx)
    const before = (await scrape(`Bearer ${TOKEN}`)).text
    expect(sample(before, 'outbox_backlog')).toBe(0)
    expect(sample(before, 'outbox_oldest_age_seconds')).toBe(0)
    const member = await linkedMember(ctx)
    expect(member.bonus).toBe(200)
    const award = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken: await member.qr(),
      type: 'award',
      purchaseAmount: 5000,
    })
    expect(award.status).toBe(200)
    ctx.clock.advance(90_000)
    const text = (await scrape(`Bearer ${TOKEN}`)).text
    expect(sample(text, 'ledger_writes_total{type="bonus"}')).toBe(1)
    expect(sample(text, 'ledger_writes_total{type="award"}')).toBe(1)
    // The link and the award each queued a push (no worker runs in this test).
    const pending = (await row<{ n: number }>(
      ctx.db,
      sql`SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL`,
    )) ?? { n: 0 }
    expect(pending.n).toBeGreaterThanOrEqual(2)
    expect(sample(text, 'outbox_backlog')).toBe(pending.n)
    expect(sample(text, 'outbox_oldest_age_seconds')).toBe(90)
  })

  it('counts failed LINE API calls by status (0 when LINE does not answer)', async () => {
    ctx.line.failNext('/v2/bot/message/push', 500)
    const client = createMessagingClient(ctx.config)
    const push = { to: ctx.newUser(), messages: [{ type: 'text' as const, text: 'hi' }] }
    await expect(client.api().pushMessage(push)).rejects.toMatchObject({ status: 500 })
    const unreachable = createMessagingClient({
      ...ctx.config,
      line: { ...ctx.config.line, apiBase: 'http://127.0.0.1:1' },
    })
    await expect(unreachable.api().pushMessage(push)).rejects.toThrow()
    await expect(client.api().pushMessage(push)).resolves.toBeDefined()
    const text = (await scrape(`Bearer ${TOKEN}`)).text
    expect(sample(text, 'line_api_errors_total{status="500"}')).toBe(1)
    expect(sample(text, 'line_api_errors_total{status="0"}')).toBe(1)
  })
})

describe('the request histogram', () => {
  it('puts each duration in the buckets at or above it, with sum and count, labels escaped', async () => {
    const m = createMetrics()
    m.observeRequest('GET', '/a', 200, 0.003)
    m.observeRequest('GET', '/a', 200, 0.001)
    m.observeRequest('GET', '/a', 200, 12)
    m.observeRequest('GET', '/a', 404, 0.2)
    m.observeRequest('POST', '/a', 200, 0.2)
    m.observeRequest('GET', '/odd/"quoted"\\slash', 200, 0.2)
    const text = await m.render()
    const a = 'method="GET",route="/a",status="200"'
    expect(sample(text, `http_requests_total{${a}}`)).toBe(3)
    expect(sample(text, `http_request_duration_seconds_bucket{${a},le="0.001"}`)).toBe(1)
    expect(sample(text, `http_request_duration_seconds_bucket{${a},le="0.0025"}`)).toBe(1)
    expect(sample(text, `http_request_duration_seconds_bucket{${a},le="0.005"}`)).toBe(2)
    expect(sample(text, `http_request_duration_seconds_bucket{${a},le="10"}`)).toBe(2)
    expect(sample(text, `http_request_duration_seconds_bucket{${a},le="+Inf"}`)).toBe(3)
    expect(sample(text, `http_request_duration_seconds_sum{${a}}`)).toBeCloseTo(12.004, 9)
    expect(sample(text, `http_request_duration_seconds_count{${a}}`)).toBe(3)
    expect(sample(text, 'http_requests_total{method="GET",route="/a",status="404"}')).toBe(1)
    expect(sample(text, 'http_requests_total{method="POST",route="/a",status="200"}')).toBe(1)
    expect(
      sample(
        text,
        'http_requests_total{method="GET",route="/odd/\\"quoted\\"\\\\slash",status="200"}',
      ),
    ).toBe(1)
  })
})
