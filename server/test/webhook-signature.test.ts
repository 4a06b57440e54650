import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createMessagingContext, sign, userEvent } from './messaging-support.ts'
import { row } from './support.ts'

const ctx = await createMessagingContext()

/** How many webhook events are recorded as handled. */
const seenEvents = async () =>
  Number((await row<{ n: number }>(ctx.db, sql`SELECT count(*) AS n FROM webhook_events`))?.n ?? -1)

describe('POST /webhook/line: the signature', () => {
  const user = ctx.newUser()
  // Japanese text and odd spacing: the check must run on the exact bytes LINE sent.
  const raw = `{"destination":"U0",  "events":[${JSON.stringify(
    userEvent(user, 'message', { message: { type: 'text', id: '1', text: 'ポイント 残高' } }),
  )}]}`

  it('accepts a valid signature over the raw body (200)', async () => {
    const res = await ctx.webhook(raw)
    expect(res.status).toBe(200)
    expect(await seenEvents()).toBe(1)
  })

  it('answers 200 to the console verify request (empty events)', async () => {
    const res = await ctx.webhook({ destination: 'U0', events: [] })
    expect(res.status).toBe(200)
  })

  it('refuses a missing signature with 401 INVALID_SIGNATURE', async () => {
    const res = await ctx.webhook(raw, { signature: null })
    expect(res.status).toBe(401)
    expect(res.json).toEqual({ error: { code: 'INVALID_SIGNATURE', message: expect.any(String) } })
  })

  it('refuses a signature made with another secret', async () => {
    const res = await ctx.webhook(raw, { signature: sign(raw, 'another-secret') })
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('INVALID_SIGNATURE')
  })

  it('refuses garbage in the header', async () => {
    // The right HMAC with junk after it: Node's Base64 decoder would ignore the junk.
    for (const signature of [
      'not base64 at all!',
      'AAAA',
      sign(raw).slice(0, -4),
      `${sign(raw)}x`,
    ]) {
      const res = await ctx.webhook(raw, { signature })
      expect(res.status).toBe(401)
    }
  })

  it('refuses the body altered by one byte (the signature of the original)', async () => {
    const good = sign(raw)
    const altered = raw.replace('"destination":"U0"', '"destination":"U1"')
    expect(altered.length).toBe(raw.length)
    const res = await ctx.webhook(altered, { signature: good })
    expect(res.status).toBe(401)
    // Re-serialising the parsed body would change the bytes: the raw body is what counts.
    const reserialised = JSON.stringify(JSON.parse(raw))
    const res2 = await ctx.webhook(reserialised, { signature: good })
    expect(res2.status).toBe(401)
  })

  it('answers 400 for a validly signed body that is not JSON or has no events', async () => {
    expect((await ctx.webhook('not json')).status).toBe(400)
    expect((await ctx.webhook({ destination: 'U0' })).status).toBe(400)
  })

  it('never handles an event of a refused request', async () => {
    const before = await seenEvents()
    const body = JSON.stringify({ events: [userEvent(ctx.newUser(), 'follow')] })
    await ctx.webhook(body, { signature: sign(body, 'wrong') })
    expect(await seenEvents()).toBe(before)
  })
})

describe('POST /webhook/line without a channel secret configured', async () => {
  const bare = await createMessagingContext({ env: { LINE_MESSAGING_CHANNEL_SECRET: '' } })
  it('refuses every request with 401 (it cannot check them)', async () => {
    const res = await bare.webhook({ events: [] })
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('INVALID_SIGNATURE')
    expect(bare.logger.lines.join('\n')).toContain('LINE_MESSAGING_CHANNEL_SECRET is not set')
  })
})
