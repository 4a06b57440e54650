import { describe, expect, it } from 'vitest'
import { createLineStandIn, MAX_RECORDED, MAX_RETRY_KEYS } from '../src/line/stand-in.ts'

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
})
