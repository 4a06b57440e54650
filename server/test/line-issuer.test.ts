import { describe, expect, it } from 'vitest'
import { createTestContext, ISSUER } from './support.ts'

/** An issuer other than LINE's default, as LINE_ISSUER may set it. */
const CUSTOM_ISSUER = 'https://login.example.test'

const ctx = await createTestContext({ env: { LINE_ISSUER: CUSTOM_ISSUER } })

async function me(iss: string) {
  const token = await ctx.line.mintIdToken({ sub: ctx.newUser(), iss })
  return ctx.call('GET', '/api/me', { headers: { Authorization: `Bearer ${token}` } })
}

describe('LINE_ISSUER', () => {
  it('accepts a token whose iss is the configured issuer', async () => {
    const res = await me(CUSTOM_ISSUER)
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ linked: false })
  })

  it.each([
    ['LINE’s default issuer', ISSUER],
    ['another issuer', 'https://evil.example'],
    ['the configured issuer with a trailing slash', `${CUSTOM_ISSUER}/`],
  ])('refuses a token from %s with INVALID_ID_TOKEN', async (_name, iss) => {
    const res = await me(iss)
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('INVALID_ID_TOKEN')
  })
})
