import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { webhooks as deliveryRows } from '../src/repositories/webhooks.ts'
import { isBlockedAddress } from '../src/webhooks/address-guard.ts'
import { postJson } from '../src/webhooks/sender.ts'
import { createWebhooks } from '../src/webhooks/service.ts'
import { signatureHeader } from '../src/webhooks/signature.ts'
import { roleHeaders } from './admin-support.ts'
import { linkedMember, signInStaff, tillCall } from './points-support.ts'
import { createTestContext, type TestContext } from './support.ts'
import { documentedVerify, startReceiver } from './webhook-support.ts'

/**
 * Outbound webhooks (docs/decisions/090): events queued with the change, signed so the
 * documented snippet verifies them, retried on failures and timeouts for a day, in order per
 * member, once after success, and never to private targets unless allowed.
 */

const HOUR = 60 * 60_000
let ctx: TestContext
let roles: Awaited<ReturnType<typeof roleHeaders>>
let staff: Awaited<ReturnType<typeof signInStaff>>

/** A worker of its own (the app's is not started in tests): short timeout, no jitter. */
function worker(o: { allowPrivate?: boolean } = {}) {
  return createWebhooks({
    db: ctx.db,
    clock: ctx.clock,
    logger: ctx.logger,
    serverSecret: ctx.secrets.pinHashKey,
    allowPrivate: o.allowPrivate ?? true,
    timeoutMs: 300,
    random: () => 0.5,
  }).worker
}

async function register(url: string, events: string[] = ['points.changed']) {
  const res = await ctx.call('POST', '/api/admin/webhooks', {
    headers: roles.admin,
    body: { url, events },
  })
  expect(res.status, JSON.stringify(res.json)).toBe(201)
  return res.json as { id: number; secret: string }
}

async function award(member: Awaited<ReturnType<typeof linkedMember>>, yen = 1000) {
  const res = await tillCall(ctx, staff.clerk, '/api/staff/points', {
    type: 'award',
    qrToken: await member.qr(),
    purchaseAmount: yen,
  })
  expect(res.status, JSON.stringify(res.json)).toBe(200)
  return res.json.transactionId as string
}

async function remove(id: number) {
  expect(
    (await ctx.call('DELETE', `/api/admin/webhooks/${id}`, { headers: roles.admin })).status,
  ).toBe(204)
}

beforeAll(async () => {
  ctx = await createTestContext({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } })
  roles = await roleHeaders(ctx)
  staff = await signInStaff(ctx)
})

describe('events and signatures', () => {
  it('queues member and points events with the change, signed as documented', async () => {
    const receiver = await startReceiver()
    const endpoint = await register(receiver.url, [
      'member.linked',
      'member.unlinked',
      'points.changed',
    ])
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/)
    const list = await ctx.call('GET', '/api/admin/webhooks', { headers: roles.admin })
    expect(list.text).not.toContain(endpoint.secret)

    const member = await linkedMember(ctx)
    const tx = await award(member, 2000)
    // A change that fails queues nothing: the event rolls back with it.
    const refused = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      type: 'redeem',
      qrToken: await member.qr(),
      points: 999_999,
    })
    expect(refused.status).toBe(422)
    const unlinked = await ctx.call('DELETE', '/api/link', { headers: member.headers })
    expect(unlinked.status).toBe(204)

    await worker().runOnce()
    expect(receiver.got.map((g) => g.event.type)).toEqual([
      'member.linked',
      'points.changed',
      'member.unlinked',
    ])
    const points = receiver.got[1]?.event
    expect(points).toMatchObject({
      type: 'points.changed',
      data: {
        transactionId: tx,
        cardNumber: member.cardNumber,
        type: 'award',
        points: 20,
        storeCode: 'S001',
        purchaseAmount: 2000,
      },
    })
    expect(points?.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(Date.parse(points?.createdAt ?? '')).toBe(ctx.clock.now())

    const verify = await documentedVerify()
    for (const g of receiver.got) {
      const header = String(g.headers['x-membercard-signature'])
      expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
      expect(g.headers['x-membercard-event-id']).toBe(g.event.id)
      expect(verify(g.body, header, endpoint.secret)).toBe(true)
      expect(verify(`${g.body} `, header, endpoint.secret)).toBe(false)
      expect(verify(g.body, header, 'whsec_another')).toBe(false)
    }
    // A replay: a correct signature made six minutes ago is refused.
    const old = Math.floor(Date.now() / 1000) - 360
    const body = receiver.got[0]?.body ?? ''
    expect(verify(body, signatureHeader(endpoint.secret, old, body), endpoint.secret)).toBe(false)
    expect(verify(body, signatureHeader(endpoint.secret, old + 120, body), endpoint.secret)).toBe(
      true,
    )
    await remove(endpoint.id)
  })
})

describe('retries', () => {
  it('retries a 500 with backoff and stops once delivered (no duplicate after success)', async () => {
    const receiver = await startReceiver()
    receiver.answerWith((n) => (n === 0 ? 500 : 204))
    const endpoint = await register(receiver.url)
    const test = await ctx.call('POST', `/api/admin/webhooks/${endpoint.id}/test`, {
      headers: roles.admin,
    })
    expect(test.status).toBe(202)
    const w = worker()
    await w.runOnce()
    expect(receiver.got).toHaveLength(1)
    const pending = await ctx.call('GET', `/api/admin/webhooks/${endpoint.id}/deliveries`, {
      headers: roles.admin,
    })
    expect(pending.json.items[0]).toMatchObject({
      eventId: test.json.eventId,
      eventType: 'webhook.test',
      status: 'pending',
      attempts: 1,
      lastStatus: 500,
    })
    // Not before its time (10 s after the first attempt).
    ctx.clock.advance(9_000)
    await w.runOnce()
    expect(receiver.got).toHaveLength(1)
    ctx.clock.advance(1_000)
    await w.runOnce()
    expect(receiver.delivered()).toEqual([test.json.eventId])
    for (let i = 0; i < 5; i++) {
      ctx.clock.advance(HOUR)
      await w.runOnce()
    }
    expect(receiver.got.map((g) => g.event.id)).toEqual([test.json.eventId, test.json.eventId])
    expect(receiver.delivered()).toEqual([test.json.eventId])
    const done = await ctx.call('GET', `/api/admin/webhooks/${endpoint.id}/deliveries`, {
      headers: roles.admin,
    })
    expect(done.json.items[0]).toMatchObject({ status: 'delivered', attempts: 2, lastStatus: 204 })
    await remove(endpoint.id)
  })

  it('retries a receiver that does not answer in time', async () => {
    const receiver = await startReceiver()
    receiver.answerWith(async (n) => {
      if (n === 0) await new Promise((r) => setTimeout(r, 1_500))
      return 200
    })
    const endpoint = await register(receiver.url)
    const test = await ctx.call('POST', `/api/admin/webhooks/${endpoint.id}/test`, {
      headers: roles.admin,
    })
    const w = worker()
    await w.runOnce()
    const pending = await ctx.call('GET', `/api/admin/webhooks/${endpoint.id}/deliveries`, {
      headers: roles.admin,
    })
    expect(pending.json.items[0]).toMatchObject({ status: 'pending', lastStatus: null })
    expect(pending.json.items[0].lastError).toContain('no answer within 300 ms')
    ctx.clock.advance(10_000)
    await w.runOnce()
    expect(receiver.delivered()).toEqual([test.json.eventId])
    expect(receiver.got.map((g) => g.event.id)).toEqual([test.json.eventId, test.json.eventId])
    await remove(endpoint.id)
  })

  it('gives up a day after the event, with exponential backoff in between', async () => {
    const receiver = await startReceiver()
    receiver.answerWith(() => 503)
    const endpoint = await register(receiver.url)
    await ctx.call('POST', `/api/admin/webhooks/${endpoint.id}/test`, { headers: roles.admin })
    const w = worker()
    const start = ctx.clock.now()
    const times: number[] = []
    for (let i = 0; i < 60 && ctx.clock.now() - start <= 25 * HOUR; i++) {
      const before = receiver.got.length
      await w.runOnce()
      if (receiver.got.length > before) times.push(ctx.clock.now() - start)
      ctx.clock.advance(5_000 * 2 ** Math.min(i, 10))
    }
    // A day has passed: the accounts' sessions have ended; sign in again.
    roles = await roleHeaders(ctx)
    staff = await signInStaff(ctx)
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number))
    // Growing pauses (10 s doubling, up to an hour), the last attempt at the one-day mark.
    expect(gaps.slice(0, 4).every((g, i) => i === 0 || g >= (gaps[i - 1] as number))).toBe(true)
    expect(times.at(-1)).toBeGreaterThanOrEqual(24 * HOUR)
    const res = await ctx.call('GET', `/api/admin/webhooks/${endpoint.id}/deliveries`, {
      headers: roles.admin,
    })
    expect(res.json.items[0]).toMatchObject({ status: 'failed', lastStatus: 503 })
    expect(res.json.items[0].attempts).toBe(times.length)
    const listed = await ctx.call('GET', '/api/admin/webhooks', { headers: roles.admin })
    expect(listed.json.items.find((e: { id: number }) => e.id === endpoint.id).failed).toBe(1)
    await remove(endpoint.id)
  })
})

describe('an instance that dies mid-delivery', () => {
  it('leaves its claim to lapse: another worker delivers the event, with the same id', async () => {
    const receiver = await startReceiver()
    const endpoint = await register(receiver.url)
    const test = await ctx.call('POST', `/api/admin/webhooks/${endpoint.id}/test`, {
      headers: roles.admin,
    })
    // A worker claims the delivery and is never heard of again.
    const now = ctx.clock.now()
    const claimed = await ctx.db.transaction((tx) =>
      deliveryRows.claim(tx, { now, leaseCutoff: now - 5 * 60_000, limit: 10 }),
    )
    expect(claimed.map((c) => c.eventId)).toContain(test.json.eventId)
    // While the claim is live nobody else sends it; once it has lapsed, another worker does.
    await worker().runOnce()
    expect(receiver.got).toHaveLength(0)
    ctx.clock.advance(5 * 60_000 + 1)
    await worker().runOnce()
    expect(receiver.delivered()).toEqual([test.json.eventId])
    await remove(endpoint.id)
  })
})

describe('order', () => {
  it('a member’s later event waits while an earlier one is retried; others go on', async () => {
    const a = await linkedMember(ctx)
    const b = await linkedMember(ctx)
    const receiver = await startReceiver()
    const endpoint = await register(receiver.url)
    const a1 = await award(a, 1000)
    const a2 = await award(a, 2000)
    const b1 = await award(b, 3000)
    let failedOnce = false
    receiver.answerWith((_n, e) => {
      if (e.data.transactionId === a1 && !failedOnce) {
        failedOnce = true
        return 500
      }
      return 204
    })
    const w = worker()
    await w.runOnce()
    const txOf = (g: { event: { data: Record<string, unknown> } }) => g.event.data.transactionId
    expect(receiver.got.map(txOf).sort()).toEqual([a1, b1].sort())
    ctx.clock.advance(10_000)
    await w.runOnce()
    expect(receiver.got.map(txOf).filter((t) => t !== b1)).toEqual([a1, a1, a2])
    await remove(endpoint.id)
  })

  it('two workers at once still deliver one member’s events in order, each once', async () => {
    const m = await linkedMember(ctx)
    const receiver = await startReceiver()
    const endpoint = await register(receiver.url)
    const txs: string[] = []
    for (let i = 1; i <= 8; i++) txs.push(await award(m, i * 100))
    await Promise.all([worker().runOnce(), worker().runOnce()])
    // A run ends when nothing is due (another worker may hold the next): drain what is left.
    for (let i = 0; i < 10 && receiver.got.length < txs.length; i++) await worker().runOnce()
    expect(receiver.got.map((g) => g.event.data.transactionId)).toEqual(txs)
    expect(new Set(receiver.got.map((g) => g.event.id)).size).toBe(txs.length)
    await remove(endpoint.id)
  })
})

describe('targets', () => {
  it('refuses private, loopback and link-local targets unless WEBHOOK_ALLOW_PRIVATE=true', async () => {
    const strict = await createTestContext()
    const admin = (await roleHeaders(strict)).admin
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://10.1.2.3/hook',
      'http://172.16.0.1/hook',
      'http://192.168.1.10/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://0.0.0.0/',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[fe80::1]/hook',
      'http://[fd00::1]/hook',
      'http://2130706433/hook',
    ]) {
      const res = await strict.call('POST', '/api/admin/webhooks', {
        headers: admin,
        body: { url, events: ['points.changed'] },
      })
      expect(res.status, url).toBe(400)
      expect(res.json.error.code).toBe('VALIDATION_FAILED')
    }
    for (const url of ['ftp://example.jp/x', 'https://user:pw@example.jp/x', 'not a url']) {
      const res = await strict.call('POST', '/api/admin/webhooks', {
        headers: admin,
        body: { url, events: ['points.changed'] },
      })
      expect(res.status, url).toBe(400)
    }
    expect(isBlockedAddress('8.8.8.8')).toBe(false)
    expect(isBlockedAddress('2001:4860:4860::8888')).toBe(false)
    expect(isBlockedAddress('::ffff:7f00:1')).toBe(true)
  })

  it('checks the target again at delivery: a private address is not called', async () => {
    const receiver = await startReceiver()
    const refused = await postJson(
      receiver.url,
      '{}',
      {},
      { timeoutMs: 1_000, allowPrivate: false },
    )
    expect(refused).toMatchObject({ status: null })
    expect((refused as { error: string }).error).toContain('refused')
    // An endpoint registered while private targets were allowed, delivered by an instance
    // that does not allow them: retried, never sent.
    const endpoint = await register(receiver.url)
    await ctx.call('POST', `/api/admin/webhooks/${endpoint.id}/test`, { headers: roles.admin })
    await worker({ allowPrivate: false }).runOnce()
    expect(receiver.got).toHaveLength(0)
    const pending = await ctx.call('GET', `/api/admin/webhooks/${endpoint.id}/deliveries`, {
      headers: roles.admin,
    })
    expect(pending.json.items[0]).toMatchObject({ status: 'pending', attempts: 1 })
    expect(pending.json.items[0].lastError).toContain('refused')
    const allowed = await postJson(
      receiver.url,
      JSON.stringify({ id: randomUUID() }),
      {},
      {
        timeoutMs: 1_000,
        allowPrivate: true,
      },
    )
    expect(allowed).toEqual({ status: 204 })
    await remove(endpoint.id)
  })
})

describe('admin API', () => {
  it('is admin only, audited; a removed endpoint gets nothing more', async () => {
    const receiver = await startReceiver()
    for (const who of [roles.operator, roles.clerk]) {
      const res = await ctx.call('POST', '/api/admin/webhooks', {
        headers: who,
        body: { url: receiver.url, events: ['points.changed'] },
      })
      expect(res.status).toBe(403)
      expect((await ctx.call('GET', '/api/admin/webhooks', { headers: who })).status).toBe(403)
    }
    const endpoint = await register(receiver.url)
    const m = await linkedMember(ctx)
    await award(m)
    await remove(endpoint.id)
    expect(
      (await ctx.call('DELETE', `/api/admin/webhooks/${endpoint.id}`, { headers: roles.admin }))
        .status,
    ).toBe(404)
    expect(
      (
        await ctx.call('GET', `/api/admin/webhooks/${endpoint.id}/deliveries`, {
          headers: roles.admin,
        })
      ).status,
    ).toBe(404)
    await worker().runOnce()
    expect(receiver.got).toHaveLength(0)
    const rows = await ctx.db.execute<{ n: number }>(
      sql`SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = ${endpoint.id}
        AND failed_at IS NOT NULL AND last_error = 'endpoint removed'`,
    )
    expect(Number(rows[0]?.n)).toBe(1)
    const audit = await ctx.call('GET', '/api/admin/audit', { headers: roles.admin })
    const actions = (audit.json.items as { action: string; target: string }[])
      .filter((i) => i.target === `webhook:${endpoint.id}`)
      .map((i) => i.action)
    expect(actions).toEqual(expect.arrayContaining(['webhook.create', 'webhook.remove']))
  })
})
