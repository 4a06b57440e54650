import { randomBytes, randomUUID } from 'node:crypto'
import { type Context, Hono } from 'hono'
import { exportJWK, generateKeyPair, type JWK, jwtVerify, SignJWT } from 'jose'
import { createStandInLogin } from './stand-in-login.ts'

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
  /** The LINE Login channel secret of web login (its token endpoint and HS256 ID tokens). */
  channelSecret?: string
  /** Registered callback URLs of web login; unset → any http(s) `redirect_uri`. */
  callbackUrls?: () => readonly string[]
  now?: () => number
  /**
   * Most requests a second the stand-in takes on a path (e.g. LINE's 200 for
   * `/v2/bot/message/multicast`), in any sliding second; more are answered 429 as LINE does.
   * Unset (the default): no limit.
   */
  rateLimits?: Readonly<Record<string, number>>
}

/** The answer of LINE to a call over its rate limit (429). */
export const RATE_LIMITED_MESSAGE = 'The API rate limit has been exceeded. Try again later.'

/** The channel secret the stand-in uses when none is given (tests set the same one). */
export const STAND_IN_CHANNEL_SECRET = 'stand-in-login-channel-secret'

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
/** How many Messaging API calls the stand-in remembers for inspection (the newest). */
export const MAX_RECORDED = 1000
/** Accepted `X-Line-Retry-Key`s the stand-in remembers (a retry comes within minutes). */
export const MAX_RETRY_KEYS = 10_000

export async function createLineStandIn(opts: LineStandInOptions) {
  const now = opts.now ?? (() => Date.now())
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const kid = randomBytes(8).toString('hex')
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
  const calls: RecordedCall[] = []
  const failures: { prefix: string; status: number; times: number }[] = []
  /** Per rate-limited path: when its calls of the last second arrived (oldest first). */
  const recentCalls = new Map<string, number[]>()
  /** Calls answered 429 for the rate limit. */
  let rateLimited = 0

  /** Whether a call to `path` now is over its rate limit (if not, it counts toward it). */
  function overRateLimit(path: string): boolean {
    const limit = opts.rateLimits?.[path]
    if (limit === undefined) return false
    const t = now()
    const recent = recentCalls.get(path) ?? []
    while (recent.length > 0 && (recent[0] as number) <= t - 1000) recent.shift()
    recentCalls.set(path, recent)
    if (recent.length >= limit) return true
    recent.push(t)
    return false
  }
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

  const login = createStandInLogin({
    issuer: opts.issuer,
    channelId: opts.channelId,
    channelSecret: opts.channelSecret ?? STAND_IN_CHANNEL_SECRET,
    callbackUrls: opts.callbackUrls,
    now,
  })
  const app = new Hono()
  app.route('/', login.app)
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
    const body = (await c.req.json().catch(() => ({}))) as {
      sub?: unknown
      name?: unknown
      expiresIn?: unknown
    }
    const sub =
      typeof body.sub === 'string' && /^U[0-9a-f]{32}$/.test(body.sub) ? body.sub : undefined
    const name = typeof body.name === 'string' ? body.name.slice(0, 50) : undefined
    // Tests of the app's recovery ask for an already expired token (the stale-LIFF-cache case).
    const expiresIn =
      typeof body.expiresIn === 'number' && Number.isInteger(body.expiresIn)
        ? Math.min(3600, Math.max(-86_400, body.expiresIn))
        : undefined
    return c.json({ idToken: await mintIdToken({ sub, name, expiresIn }) })
  })
  app.get('/_calls', (c) => c.json({ calls }))
  app.delete('/_calls', (c) => {
    calls.length = 0
    return c.body(null, 204)
  })
  /** Rich menus created through the stand-in, by ID, as LINE keeps them. */
  const richMenus = new Map<string, { menu: unknown; hasImage: boolean }>()
  /** Per-user rich menu links. */
  const userRichMenus = new Map<string, string>()
  let defaultRichMenuId: string | null = null
  /** Retry keys already accepted (`X-Line-Retry-Key`): a repeat answers 409. */
  const acceptedRetryKeys = new Map<string, string>()
  /** Languages the profile endpoint reports, by user (default `ja`). */
  const profileLanguages = new Map<string, string>()
  /** Calls refused because their retry key had been accepted before. */
  const rejected: RecordedCall[] = []
  const notFound = (c: Context) => c.json({ message: 'Not found' }, 404)
  /** The plan's monthly quota (`GET /v2/bot/message/quota`); change it with `setQuota`. */
  let quota: { type: 'none' } | { type: 'limited'; value: number } = {
    type: 'limited',
    value: 1_000_000,
  }
  /** Messages sent this month (a push to one user is one; a multicast to N users is N). */
  let consumption = 0
  /** Multicast deliveries: how many each user received (demo mode shows what arrived). */
  const deliveries = new Map<string, number>()
  /** Users reached per `customAggregationUnits` name (the unit statistics). */
  const unitReach = new Map<string, Set<string>>()

  app.all('/v2/bot/*', async (c) => {
    const path = c.req.path.replace(/^.*?\/v2\/bot\//, '/v2/bot/')
    const method = c.req.method
    const raw = new Uint8Array(await c.req.arrayBuffer())
    const text = new TextDecoder().decode(raw)
    let body: unknown = text
    try {
      body = text ? JSON.parse(text) : null
    } catch {
      // not JSON (an image upload): keep its size only
      body = { bytes: raw.byteLength }
    }
    const headers: Record<string, string> = {}
    for (const name of ['content-type', 'x-line-retry-key', 'authorization']) {
      const v = c.req.header(name)
      if (v !== undefined) headers[name] = name === 'authorization' ? v.replace(/\s.+$/, ' ***') : v
    }
    if (overRateLimit(path)) {
      rateLimited++
      return c.json({ message: RATE_LIMITED_MESSAGE }, 429)
    }
    const failure = failures.find((f) => path.startsWith(f.prefix) && f.times > 0)
    if (failure) {
      failure.times--
      return c.json({ message: 'stand-in failure' }, failure.status as 500)
    }
    const call: RecordedCall = { method, path, headers, body, at: now() }
    const retryKey = headers['x-line-retry-key']
    if (retryKey !== undefined) {
      const accepted = acceptedRetryKeys.get(retryKey)
      if (accepted) {
        rejected.push(call)
        if (rejected.length > MAX_RECORDED) rejected.splice(0, rejected.length - MAX_RECORDED)
        c.header('x-line-accepted-request-id', accepted)
        return c.json({ message: 'The retry key is already accepted' }, 409)
      }
      acceptedRetryKeys.set(retryKey, randomUUID())
      // LINE remembers a retry key for a day; the stand-in remembers the newest ones only.
      if (acceptedRetryKeys.size > MAX_RETRY_KEYS) {
        const oldest = acceptedRetryKeys.keys().next().value
        if (oldest !== undefined) acceptedRetryKeys.delete(oldest)
      }
    }
    calls.push(call)
    // Keep the newest calls only: a demo server runs for days (the soak saw ~3 MB per 1,000 pushes).
    if (calls.length > MAX_RECORDED) calls.splice(0, calls.length - MAX_RECORDED)
    c.header('x-line-request-id', randomUUID())
    if (path.endsWith('/linkToken')) return c.json({ linkToken: randomBytes(16).toString('hex') })
    if (path === '/v2/bot/message/push') {
      consumption++
      return c.json({ sentMessages: [] })
    }
    if (path === '/v2/bot/message/multicast' && method === 'POST') {
      const b = body as { to?: unknown; messages?: unknown; customAggregationUnits?: unknown }
      const to = Array.isArray(b?.to) ? (b.to as string[]) : []
      const problem = validateMessages(b?.messages)
      if (to.length === 0 || to.length > 500 || problem) {
        // A refused request does not use up its retry key (LINE keeps accepted ones only).
        if (retryKey !== undefined) acceptedRetryKeys.delete(retryKey)
        calls.pop()
        return c.json(problem ?? { message: 'The property, to, must be 1 to 500 user IDs' }, 400)
      }
      consumption += to.length
      for (const u of to) deliveries.set(u, (deliveries.get(u) ?? 0) + 1)
      const units = Array.isArray(b.customAggregationUnits)
        ? (b.customAggregationUnits as string[])
        : []
      for (const unit of units) {
        const reach = unitReach.get(unit) ?? new Set<string>()
        for (const u of to) reach.add(u)
        unitReach.set(unit, reach)
      }
      return c.json({})
    }
    if (path.startsWith('/v2/bot/message/validate/') && method === 'POST') {
      const problem = validateMessages((body as { messages?: unknown } | null)?.messages)
      return problem ? c.json(problem, 400) : c.json({})
    }
    if (path === '/v2/bot/message/quota' && method === 'GET') return c.json(quota)
    if (path === '/v2/bot/message/quota/consumption' && method === 'GET') {
      return c.json({ totalUsage: consumption })
    }
    if (path === '/v2/bot/insight/message/event/aggregation' && method === 'GET') {
      // LINE's unit statistics: null below 20 people; the stand-in answers plausible rates.
      const reached = unitReach.get(c.req.query('customAggregationUnit') ?? '')?.size ?? 0
      const enough = reached >= 20
      return c.json({
        overview: {
          uniqueImpression: enough ? Math.ceil(reached * 0.62) : null,
          uniqueClick: enough ? Math.ceil(reached * 0.11) : null,
          uniqueMediaPlayed: null,
          uniqueMediaPlayed100Percent: null,
        },
        messages: [],
        clicks: [],
      })
    }
    const profile = /^\/v2\/bot\/profile\/([^/]+)$/.exec(path)
    if (profile?.[1] && method === 'GET') {
      return c.json({
        userId: profile[1],
        displayName: 'デモ ユーザー',
        language: profileLanguages.get(profile[1]) ?? 'ja',
      })
    }
    if (path === '/v2/bot/richmenu' && method === 'POST') {
      const richMenuId = `richmenu-${(++richMenuSeq).toString(16).padStart(32, '0')}`
      richMenus.set(richMenuId, { menu: body, hasImage: false })
      return c.json({ richMenuId })
    }
    if (path === '/v2/bot/richmenu/list') {
      return c.json({
        richmenus: [...richMenus].map(([richMenuId, m]) => ({
          richMenuId,
          ...(m.menu as object),
        })),
      })
    }
    if (path === '/v2/bot/richmenu/bulk/link' && method === 'POST') {
      const b = body as { richMenuId: string; userIds: string[] }
      if (!richMenus.has(b.richMenuId)) return notFound(c)
      for (const u of b.userIds) userRichMenus.set(u, b.richMenuId)
      return c.body(null, 202)
    }
    if (path === '/v2/bot/richmenu/bulk/unlink' && method === 'POST') {
      for (const u of (body as { userIds: string[] }).userIds) userRichMenus.delete(u)
      return c.body(null, 202)
    }
    if (path === '/v2/bot/richmenu/validate') return c.json({})
    let m = /^\/v2\/bot\/richmenu\/([^/]+)(\/content)?$/.exec(path)
    if (m?.[1]) {
      const menu = richMenus.get(m[1])
      if (!menu) return notFound(c)
      if (m[2] && method === 'POST') menu.hasImage = true
      else if (method === 'DELETE') {
        richMenus.delete(m[1])
        for (const [u, id] of userRichMenus) if (id === m[1]) userRichMenus.delete(u)
        if (defaultRichMenuId === m[1]) defaultRichMenuId = null
      } else if (method === 'GET') return c.json({ richMenuId: m[1], ...(menu.menu as object) })
      return c.json({})
    }
    m = /^\/v2\/bot\/user\/all\/richmenu(?:\/([^/]+))?$/.exec(path)
    if (m) {
      if (method === 'POST' && m[1]) {
        if (!richMenus.get(m[1])?.hasImage)
          return c.json({ message: 'image must be uploaded' }, 400)
        defaultRichMenuId = m[1]
      } else if (method === 'DELETE') defaultRichMenuId = null
      else if (method === 'GET') {
        return defaultRichMenuId ? c.json({ richMenuId: defaultRichMenuId }) : notFound(c)
      }
      return c.json({})
    }
    m = /^\/v2\/bot\/user\/([^/]+)\/richmenu(?:\/([^/]+))?$/.exec(path)
    if (m?.[1]) {
      if (method === 'POST' && m[2]) {
        if (!richMenus.get(m[2])?.hasImage) return notFound(c)
        userRichMenus.set(m[1], m[2])
      } else if (method === 'DELETE') userRichMenus.delete(m[1])
      else if (method === 'GET') {
        const id = userRichMenus.get(m[1])
        return id ? c.json({ richMenuId: id }) : notFound(c)
      }
      return c.json({})
    }
    return c.json({})
  })

  return {
    app,
    /** Calls accepted, newest last (a call refused for a reused retry key is in `rejected`). */
    kid,
    publicJwk,
    calls,
    mintIdToken,
    /** The next ID token of web login's token endpoint carries these changes. */
    tamperNextIdToken: login.tamperNextIdToken,
    rejected,
    profileLanguages,
    richMenus,
    userRichMenus,
    /** The default rich menu's ID, or null. */
    defaultRichMenu: () => defaultRichMenuId,
    /** Multicast deliveries per user. */
    deliveries,
    /** How many calls were answered 429 for a rate limit (`rateLimits`). */
    rateLimited: () => rateLimited,
    /** Sets the plan's quota (`{type: 'none'}` or `{type: 'limited', value}`). */
    setQuota(q: { type: 'none' } | { type: 'limited'; value: number }) {
      quota = q
    },
    /** Sets this month's consumption. */
    setConsumption(n: number) {
      consumption = n
    },
    /** The next `times` calls whose path starts with `prefix` answer `status`. */
    failNext(prefix: string, status: number, times = 1) {
      failures.push({ prefix, status, times })
    },
  }
}

export type LineStandIn = Awaited<ReturnType<typeof createLineStandIn>>

/** LINE's 400 answer for invalid message objects. */
interface ValidationProblem {
  message: string
  details: { message: string; property: string }[]
}

/**
 * The checks of LINE's validation endpoint the stand-in makes: 1–5 objects of a known type,
 * a text's `text`, an image's https URLs, a Flex message's `altText` and `contents`.
 */
export function validateMessages(messages: unknown): ValidationProblem | null {
  const details: { message: string; property: string }[] = []
  if (!Array.isArray(messages) || messages.length < 1 || messages.length > 5) {
    details.push({ message: 'Size must be between 1 and 5', property: 'messages' })
  } else {
    messages.forEach((m: unknown, i) => {
      const at = `messages[${i}]`
      const o = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>
      const https = (v: unknown) => typeof v === 'string' && v.startsWith('https://')
      if (o.type === 'text') {
        if (typeof o.text !== 'string' || o.text.length === 0 || o.text.length > 5000) {
          details.push({ message: 'Length must be between 1 and 5000', property: `${at}.text` })
        }
      } else if (o.type === 'image') {
        for (const k of ['originalContentUrl', 'previewImageUrl']) {
          if (!https(o[k]))
            details.push({ message: 'Must be an https URL', property: `${at}.${k}` })
        }
      } else if (o.type === 'flex') {
        if (typeof o.altText !== 'string' || o.altText.length === 0) {
          details.push({ message: 'Must not be empty', property: `${at}.altText` })
        }
        const contents = o.contents as { type?: unknown } | undefined
        if (contents?.type !== 'bubble' && contents?.type !== 'carousel') {
          details.push({
            message: 'Must be one of the following values: [bubble, carousel]',
            property: `${at}.contents.type`,
          })
        }
      } else {
        details.push({ message: 'Invalid message type', property: `${at}.type` })
      }
    })
  }
  return details.length === 0
    ? null
    : { message: `The request body has ${details.length} error(s)`, details }
}

/** The demo user's LINE user ID. */
export function demoUserId(): string {
  return 'U00000000000000000000000000de0001'
}

/** A fresh random LINE user ID (for tests). */
export function randomUserId(): string {
  return `U${randomUUID().replace(/-/g, '')}`
}
