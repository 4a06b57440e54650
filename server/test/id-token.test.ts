import { generateKeyPair, SignJWT, UnsecuredJWT } from 'jose'
import { afterAll, describe, expect, it } from 'vitest'
import { CHANNEL_ID, createTestContext, ISSUER } from './support.ts'

const ctx = await createTestContext({
  env: { LINE_LOGIN_CHANNEL_SECRET: 'web-login-channel-secret' },
})
const user = ctx.newUser()

async function me(token: string) {
  return ctx.call('GET', '/api/me', { headers: { Authorization: `Bearer ${token}` } })
}

function nowSec() {
  return Math.floor(ctx.clock.now() / 1000)
}

describe('LINE ID token verification', () => {
  it('accepts an ES256 token signed by LINE (the stand-in) for this channel', async () => {
    const res = await me(await ctx.line.mintIdToken({ sub: user }))
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ linked: false })
  })

  it.each([
    ['no header', undefined],
    ['an empty bearer', 'Bearer '],
    ['another scheme', 'Basic abc'],
    ['garbage', 'Bearer not-a-jwt'],
    ['three garbage parts', 'Bearer aaa.bbb.ccc'],
  ])('refuses %s with INVALID_ID_TOKEN', async (_name, header) => {
    const res = await ctx.call('GET', '/api/me', {
      headers: header ? { Authorization: header } : {},
    })
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('INVALID_ID_TOKEN')
  })

  it('refuses alg "none"', async () => {
    const token = new UnsecuredJWT({ sub: user })
      .setIssuer(ISSUER)
      .setAudience(CHANNEL_ID)
      .setIssuedAt(nowSec())
      .setExpirationTime(nowSec() + 3600)
      .encode()
    const res = await me(token)
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('INVALID_ID_TOKEN')
  })

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(ctx.line.publicJwk))
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: ctx.line.kid })
      .setSubject(user)
      .setIssuer(ISSUER)
      .setAudience(CHANNEL_ID)
      .setIssuedAt(nowSec())
      .setExpirationTime(nowSec() + 3600)
      .sign(secret)
    const res = await me(token)
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('INVALID_ID_TOKEN')
  })

  it('accepts HS256 signed with the configured channel secret (web login), refuses another secret', async () => {
    const sign = (secret: string) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user)
        .setIssuer(ISSUER)
        .setAudience(CHANNEL_ID)
        .setIssuedAt(nowSec())
        .setExpirationTime(nowSec() + 3600)
        .sign(new TextEncoder().encode(secret))
    expect((await me(await sign('web-login-channel-secret'))).status).toBe(200)
    const wrong = await me(await sign('another-secret'))
    expect(wrong.status).toBe(401)
    expect(wrong.json.error.code).toBe('INVALID_ID_TOKEN')
  })

  it.each([
    ['another channel (aud)', { aud: '9999999999' }],
    ['another issuer', { iss: 'https://evil.example' }],
    ['an unknown kid', { kid: 'unknown-kid' }],
    ['a subject that is not a LINE user ID', { sub: 'attacker' }],
    ['an iat far in the future', { iat: 0 }],
  ])('refuses a token for %s', async (_name, mint) => {
    const opts = 'iat' in mint ? { iat: nowSec() + 3600, expiresIn: 7200 } : mint
    const res = await me(await ctx.line.mintIdToken({ sub: user, ...opts }))
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('INVALID_ID_TOKEN')
  })

  it('refuses a token signed by another key that claims LINE’s kid', async () => {
    const { privateKey } = await generateKeyPair('ES256')
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: ctx.line.kid })
      .setSubject(user)
      .setIssuer(ISSUER)
      .setAudience(CHANNEL_ID)
      .setIssuedAt(nowSec())
      .setExpirationTime(nowSec() + 3600)
      .sign(privateKey)
    const res = await me(token)
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('INVALID_ID_TOKEN')
    // and a payload swapped under a valid signature
    const good = await ctx.line.mintIdToken({ sub: user })
    const [h, , s] = good.split('.')
    const forgedPayload = Buffer.from(
      JSON.stringify({
        sub: ctx.newUser(),
        iss: ISSUER,
        aud: CHANNEL_ID,
        iat: nowSec(),
        exp: nowSec() + 3600,
      }),
    ).toString('base64url')
    expect((await me(`${h}.${forgedPayload}.${s}`)).status).toBe(401)
    // also once the genuine token is verified and remembered (the cache is keyed by the
    // signature): the forged one is verified, refused, and the genuine one still served
    expect((await me(good)).status).toBe(200)
    expect((await me(`${h}.${forgedPayload}.${s}`)).status).toBe(401)
    expect((await me(good)).status).toBe(200)
  })

  it('answers ID_TOKEN_EXPIRED for an expired token, within a small clock tolerance', async () => {
    const expired = await me(
      await ctx.line.mintIdToken({ sub: user, iat: nowSec() - 7200, expiresIn: -600 }),
    )
    expect(expired.status).toBe(401)
    expect(expired.json.error.code).toBe('ID_TOKEN_EXPIRED')
    // a phone clock a little off: expired 30 s ago is still accepted
    const skewed = await me(
      await ctx.line.mintIdToken({ sub: user, iat: nowSec() - 3630, expiresIn: -30 }),
    )
    expect(skewed.status).toBe(200)
  })

  it('remembers a verified token only until it expires', async () => {
    const token = await ctx.line.mintIdToken({ sub: user, expiresIn: 600 })
    expect((await me(token)).status).toBe(200)
    expect((await me(token)).status).toBe(200)
    ctx.clock.advance(12 * 60_000)
    const later = await me(token)
    expect(later.status).toBe(401)
    expect(later.json.error.code).toBe('ID_TOKEN_EXPIRED')
  })

  it('never writes the token to the logs', async () => {
    const token = await ctx.line.mintIdToken({ sub: user })
    await me(token)
    await me(`${token}x`)
    const logs = ctx.logger.lines.join('\n')
    expect(logs).toContain('/api/me')
    expect(logs).not.toContain(token.split('.')[2] as string)
  })

  it('does not accept a customer ID token on staff routes', async () => {
    const token = await ctx.line.mintIdToken({ sub: user })
    const res = await ctx.call('POST', '/api/staff/scan', {
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: { qrToken: 'A'.repeat(36) },
    })
    expect(res.status).toBe(401)
  })
})

describe('when LINE keys cannot be fetched', async () => {
  const { createApp } = await import('../src/app.ts')
  const { loadConfig } = await import('../src/config.ts')
  const { openDatabase } = await import('../src/db/client.ts')
  const { loadSecrets } = await import('../src/secrets.ts')
  const { memoryLogger } = await import('../src/logger.ts')
  const config = loadConfig({
    LINE_LOGIN_CHANNEL_ID: CHANNEL_ID,
    LINE_API_BASE: 'http://127.0.0.1:9',
    DATABASE_PATH: ':memory:',
  })
  const db = await openDatabase({ databasePath: ':memory:' })
  afterAll(() => db.close())
  const app = createApp({
    db,
    clock: ctx.clock,
    config,
    secrets: loadSecrets(':memory:'),
    logger: memoryLogger(),
  })

  it('answers 503 SERVICE_UNAVAILABLE, not 401 and not 500', async () => {
    const token = await ctx.line.mintIdToken({ sub: user })
    const res = await app.request('/api/me', { headers: { Authorization: `Bearer ${token}` } })
    expect(res.status).toBe(503)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'SERVICE_UNAVAILABLE',
    )
  })
})
