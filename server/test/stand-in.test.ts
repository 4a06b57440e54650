import { describe, expect, it } from 'vitest'
import { createLineStandIn, MAX_RECORDED } from '../src/line/stand-in.ts'

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
})
