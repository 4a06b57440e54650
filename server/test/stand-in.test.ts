import { describe, expect, it } from 'vitest'
import {
  createLineStandIn,
  MAX_RECORDED,
  MAX_RETRY_KEYS,
  RATE_LIMITED_MESSAGE,
} from '../src/line/stand-in.ts'

describe('the stand-in LINE platform', () => {
  it('remembers only the newest Messaging API calls, so a long-running demo does not grow', async () => {
    const line = await createLineStandIn({ issuer: 'https://access.line.me', channelId: '1' })
    for (let i = 0; i < MAX_RECORDED + 25; i++) {
      const res = await line.app.request('/v2/bot/message/push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to: 'U1', messages: [{ type: 'text', text: `m${i}` }] }),
      })
      expect(res.status).toBe(200)
    }
    expect(line.calls).toHaveLength(MAX_RECORDED)
    expect(JSON.stringify(line.calls.at(-1)?.body)).toContain(`m${MAX_RECORDED + 24}`)
    expect(JSON.stringify(line.calls[0]?.body)).toContain('"m25"')
  })

  it('remembers only the newest retry keys: a repeat of a recent one is 409, of the oldest 200', async () => {
    const line = await createLineStandIn({ issuer: 'https://access.line.me', channelId: '1' })
    const push = (key: string) =>
      line.app.request('/v2/bot/message/push', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-line-retry-key': key },
        body: JSON.stringify({ to: 'U1', messages: [{ type: 'text', text: key }] }),
      })
    for (let i = 0; i <= MAX_RETRY_KEYS; i++) expect((await push(`key-${i}`)).status).toBe(200)
    expect((await push(`key-${MAX_RETRY_KEYS}`)).status).toBe(409)
    expect((await push('key-1')).status).toBe(409)
    expect((await push('key-0')).status).toBe(200) // forgotten: the oldest of 10,001
  }, 60_000)

  it('answers multicast (≤ 500 IDs, retry keys), validation, quota, consumption and unit statistics', async () => {
    const line = await createLineStandIn({ issuer: 'https://access.line.me', channelId: '1' })
    const post = (path: string, body: unknown, key?: string) =>
      line.app.request(path, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(key ? { 'x-line-retry-key': key } : {}),
        },
        body: JSON.stringify(body),
      })
    const users = Array.from({ length: 501 }, (_, i) => `U${String(i).padStart(32, '0')}`)
    const text = [{ type: 'text', text: 'こんにちは' }]
    const unit = 'campaign_test'
    const tooMany = await post('/v2/bot/message/multicast', { to: users, messages: text }, 'k1')
    expect(tooMany.status).toBe(400)
    const ok = () =>
      post(
        '/v2/bot/message/multicast',
        { to: users.slice(0, 25), messages: text, customAggregationUnits: [unit] },
        'k1',
      )
    expect((await ok()).status).toBe(200)
    expect((await ok()).status).toBe(409)
    expect(line.deliveries.get(users[0] as string)).toBe(1)
    expect(line.deliveries.has(users[25] as string)).toBe(false)
    const invalid = await post('/v2/bot/message/validate/multicast', {
      messages: [{ type: 'flex', altText: 'x', contents: { type: 'box' } }],
    })
    expect(invalid.status).toBe(400)
    expect(JSON.stringify(await invalid.json())).toContain('messages[0].contents.type')
    expect((await post('/v2/bot/message/validate/multicast', { messages: text })).status).toBe(200)
    const get = async (path: string) => (await line.app.request(path)).json()
    expect(await get('/v2/bot/message/quota')).toEqual({ type: 'limited', value: 1_000_000 })
    expect(await get('/v2/bot/message/quota/consumption')).toEqual({ totalUsage: 25 })
    const stats = (u: string) =>
      get(
        `/v2/bot/insight/message/event/aggregation?customAggregationUnit=${u}&from=20261101&to=20261130`,
      )
    expect((await stats(unit)).overview).toMatchObject({ uniqueImpression: 16, uniqueClick: 3 })
    expect((await stats('other')).overview).toMatchObject({
      uniqueImpression: null,
      uniqueClick: null,
    })
  })

  it('answers 429 past a configured rate limit in any sliding second, and has none by default', async () => {
    let t = 1_000_000
    const multicast = (line: Awaited<ReturnType<typeof createLineStandIn>>, key: string) =>
      line.app.request('/v2/bot/message/multicast', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-line-retry-key': key },
        body: JSON.stringify({
          to: [`U${key.padStart(32, '0')}`],
          messages: [{ type: 'text', text: 'x' }],
        }),
      })
    const limited = await createLineStandIn({
      issuer: 'https://access.line.me',
      channelId: '1',
      now: () => t,
      rateLimits: { '/v2/bot/message/multicast': 3 },
    })
    for (const k of ['1', '2', '3']) expect((await multicast(limited, k)).status).toBe(200)
    const over = await multicast(limited, '4')
    expect(over.status).toBe(429)
    expect(await over.json()).toEqual({ message: RATE_LIMITED_MESSAGE })
    // A push is not limited by the multicast's limit.
    const push = await limited.app.request('/v2/bot/message/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'U1', messages: [{ type: 'text', text: 'x' }] }),
    })
    expect(push.status).toBe(200)
    t += 999 // still within the second of the first three
    expect((await multicast(limited, '4')).status).toBe(429)
    t += 1 // the first three are a second old: the refused call's retry key was not used up
    expect((await multicast(limited, '4')).status).toBe(200)
    expect(limited.rateLimited()).toBe(2)
    expect(limited.deliveries.size).toBe(4)

    const unlimited = await createLineStandIn({
      issuer: 'https://access.line.me',
      channelId: '1',
      now: () => t,
    })
    for (let i = 0; i < 50; i++) expect((await multicast(unlimited, String(i))).status).toBe(200)
    expect(unlimited.rateLimited()).toBe(0)
  })
})
