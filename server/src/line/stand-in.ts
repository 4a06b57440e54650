import { randomBytes, randomUUID } from 'node:crypto'
import { Hono } from 'hono'
import { exportJWK, generateKeyPair, type JWK, jwtVerify, SignJWT } from 'jose'

/** One Messaging API call the stand-in received. */
export interface RecordedCall {
  method: string
  path: string
  headers: Record<string, string>
  body: unknown
  at: number
}

export interface LineStandInOptions {
  issuer: string
  channelId: string
  now?: () => number
}

/** Claims a minted token may override. */
export interface MintOptions {
  sub?: string
  name?: string
  aud?: string
  iss?: string
  /** Seconds from now; negative for an already expired token. */
  expiresIn?: number
  iat?: number
  kid?: string
}

/**
 * A local stand-in for the LINE platform at its HTTP boundary: it signs real ES256 ID tokens,
 * serves their keys (`/oauth2/v2.1/certs`), answers the verify endpoint, and records every
 * Messaging API call (`/v2/bot/...`). Demo mode mounts it under `/__line`; tests run it on a
 * loopback port. It can be told to fail the next calls to a path, to test retries.
 */
export async function createLineStandIn(opts: LineStandInOptions) {
  const now = opts.now ?? (() => Date.now())
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const kid = randomBytes(8).toString('hex')
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
  const calls: RecordedCall[] = []
  const failures: { prefix: string; status: number; times: number }[] = []
  let richMenuSeq = 0

  async function mintIdToken(o: MintOptions = {}): Promise<string> {
    const nowSec = Math.floor(now() / 1000)
    return new SignJWT({ name: o.name ?? 'デモ 太郎', amr: ['linesso'] })
      .setProtectedHeader({ alg: 'ES256', kid: o.kid ?? kid, typ: 'JWT' })
      .setIssuer(o.iss ?? opts.issuer)
      .setSubject(o.sub ?? demoUserId())
      .setAudience(o.aud ?? opts.channelId)
      .setIssuedAt(o.iat ?? nowSec)
      .setExpirationTime(nowSec + (o.expiresIn ?? 3600))
      .sign(privateKey)
  }

  const app = new Hono()
  app.get('/oauth2/v2.1/certs', (c) => c.json({ keys: [publicJwk] }))
  app.post('/oauth2/v2.1/verify', async (c) => {
    const form = await c.req.parseBody()
    const token = typeof form.id_token === 'string' ? form.id_token : ''
    const clientId = typeof form.client_id === 'string' ? form.client_id : ''
    try {
      const { payload } = await jwtVerify(token, publicKey, {
        issuer: opts.issuer,
        currentDate: new Date(now()),
      })
      if (payload.aud !== clientId) {
        return c.json(
          { error: 'invalid_request', error_description: 'Invalid IdToken Audience.' },
          400,
        )
      }
      return c.json(payload)
    } catch (err) {
      const description =
        err instanceof Error && err.name === 'JWTExpired' ? 'IdToken expired.' : 'Invalid IdToken.'
      return c.json({ error: 'invalid_request', error_description: description }, 400)
    }
  })
  // Demo only: the LIFF app in mock mode asks here for the demo user's ID token.
  app.post('/demo/id-token', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { sub?: unknown; name?: unknown }
    const sub =
      typeof body.sub === 'string' && /^U[0-9a-f]{32}$/.test(body.sub) ? body.sub : undefined
    const name = typeof body.name === 'string' ? body.name.slice(0, 50) : undefined
    return c.json({ idToken: await mintIdToken({ sub, name }) })
  })
  app.get('/_calls', (c) => c.json({ calls }))
  app.delete('/_calls', (c) => {
    calls.length = 0
    return c.body(null, 204)
  })
  app.all('/v2/bot/*', async (c) => {
    const path = c.req.path.replace(/^.*?\/v2\/bot\//, '/v2/bot/')
    const text = await c.req.text()
    let body: unknown = text
    try {
      body = text ? JSON.parse(text) : null
    } catch {
      // not JSON (an image upload): keep its size only
      body = { bytes: text.length }
    }
    const headers: Record<string, string> = {}
    for (const name of ['content-type', 'x-line-retry-key', 'authorization']) {
      const v = c.req.header(name)
      if (v !== undefined) headers[name] = name === 'authorization' ? v.replace(/\s.+$/, ' ***') : v
    }
    const failure = failures.find((f) => path.startsWith(f.prefix) && f.times > 0)
    if (failure) {
      failure.times--
      return c.json({ message: 'stand-in failure' }, failure.status as 500)
    }
    calls.push({ method: c.req.method, path, headers, body, at: now() })
    if (path.endsWith('/linkToken')) return c.json({ linkToken: randomBytes(16).toString('hex') })
    if (path === '/v2/bot/richmenu' && c.req.method === 'POST') {
      return c.json({ richMenuId: `richmenu-${(++richMenuSeq).toString(16).padStart(32, '0')}` })
    }
    if (path === '/v2/bot/richmenu/list') return c.json({ richmenus: [] })
    return c.json({})
  })

  return {
    app,
    kid,
    publicJwk,
    calls,
    mintIdToken,
    /** The next `times` calls whose path starts with `prefix` answer `status`. */
    failNext(prefix: string, status: number, times = 1) {
      failures.push({ prefix, status, times })
    },
  }
}

export type LineStandIn = Awaited<ReturnType<typeof createLineStandIn>>

/** The demo user's LINE user ID. */
export function demoUserId(): string {
  return 'U00000000000000000000000000de0001'
}

/** A fresh random LINE user ID (for tests). */
export function randomUserId(): string {
  return `U${randomUUID().replace(/-/g, '')}`
}
