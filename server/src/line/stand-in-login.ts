import { createHash, randomBytes } from 'node:crypto'
import { type Context, Hono } from 'hono'
import { html, raw } from 'hono/html'
import { SignJWT } from 'jose'

/** The consent page's style sheet, inline and allowed by its hash. */
const CONSENT_STYLE = `
body{font-family:system-ui,sans-serif;margin:0;background:#fff;color:#1a1a1a;line-height:1.6}
main{max-width:26rem;margin:0 auto;padding:1.5rem 1rem}
.badge{display:inline-block;background:#06c755;color:#fff;font-weight:700;border-radius:.4rem;padding:.1rem .5rem}
fieldset{border:1px solid #ccc;border-radius:.5rem;margin:1rem 0;padding:.5rem 1rem}
label{display:flex;gap:.5rem;align-items:center;min-height:44px}
button{display:block;width:100%;margin-top:.75rem;padding:.85rem;font-size:1.05rem;font-weight:700;border-radius:.5rem;border:0}
.allow{background:#06c755;color:#fff}.cancel{background:#eee;color:#1a1a1a}
.en,[lang=en]{color:#444;font-size:.9em}
`

/**
 * The consent page's policy: its style sheet by hash, no script, the form posted here and the
 * redirect that follows to the client's `redirect_uri`.
 */
function consentPolicy(redirectUri: string | undefined): string {
  let target = ''
  try {
    if (redirectUri) target = ` ${new URL(redirectUri).origin}`
  } catch {}
  const hash = createHash('sha256').update(CONSENT_STYLE).digest('base64')
  return `default-src 'none'; style-src 'sha256-${hash}'; form-action 'self'${target}; frame-ancestors 'none'; base-uri 'none'`
}

/** The demo users the stand-in's consent page offers (and "a new user", made up each time). */
export const STAND_IN_LOGIN_USERS = [
  { sub: 'U00000000000000000000000000de0001', name: 'デモ 太郎' },
  { sub: 'U00000000000000000000000000de0002', name: 'デモ 花子' },
] as const

/** Claims of the next ID token the token endpoint issues, changed by a test. */
export interface IdTokenTamper {
  nonce?: string
  aud?: string
  iss?: string
  /** Signs with this secret instead of the channel's. */
  secret?: string
  expiresIn?: number
}

export interface StandInLoginOptions {
  issuer: string
  channelId: string
  /** The LINE Login channel secret: the token endpoint's client secret and the HS256 key. */
  channelSecret: string
  /** The registered callback URLs; when given, any other `redirect_uri` is refused. */
  callbackUrls?: () => readonly string[]
  now: () => number
}

/** An authorization code issued by the consent page, until used or 10 minutes old. */
interface IssuedCode {
  clientId: string
  redirectUri: string
  codeChallenge: string | undefined
  nonce: string | undefined
  scope: string
  sub: string
  name: string
  expiresAt: number
}

const CODE_TTL_MS = 10 * 60_000
const MAX_CODES = 10_000
const PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'scope',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'bot_prompt',
] as const
type AuthParams = Partial<Record<(typeof PARAMS)[number], string>>

/**
 * The stand-in's LINE Login v2.1 (web): the authorization endpoint as a small consent page
 * (pick a demo user, allow or cancel; back to `redirect_uri` with `code` and `state`, or
 * `error=access_denied`) and the token endpoint (checks the code, the client secret, the
 * `redirect_uri` and the PKCE verifier against the S256 challenge; answers an HS256 ID token
 * with the nonce). Codes are single use and live 10 minutes, as at LINE.
 */
export function createStandInLogin(opts: StandInLoginOptions) {
  const codes = new Map<string, IssuedCode>()
  const key = new TextEncoder().encode(opts.channelSecret)
  let tamper: IdTokenTamper | undefined

  /** What is wrong with an authorization request, or null when LINE would accept it. */
  function problem(p: AuthParams): string | null {
    if (p.response_type !== 'code') return 'response_type must be code'
    if (p.client_id !== opts.channelId) return 'unknown client_id'
    if (!p.redirect_uri || !/^https?:\/\//.test(p.redirect_uri)) return 'invalid redirect_uri'
    const allowed = opts.callbackUrls?.()
    if (allowed && !allowed.includes(p.redirect_uri)) return 'redirect_uri is not registered'
    if (!p.state) return 'state is required'
    if (!p.scope?.split(' ').includes('openid')) return 'scope must include openid'
    if (p.code_challenge !== undefined && p.code_challenge_method !== 'S256') {
      return 'code_challenge_method must be S256'
    }
    return null
  }

  function paramsOf(get: (name: string) => string | undefined): AuthParams {
    const out: AuthParams = {}
    for (const name of PARAMS) {
      const v = get(name)
      if (typeof v === 'string') out[name] = v
    }
    return out
  }

  function badRequest(c: Context, message: string) {
    return c.html(
      html`<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>400 Bad Request</title></head>
<body><h1>400 Bad Request</h1><p>${message}</p></body></html>`,
      400,
    )
  }

  function consentPage(p: AuthParams) {
    const hidden = PARAMS.filter((n) => p[n] !== undefined).map(
      (n) => html`<input type="hidden" name="${n}" value="${p[n]}" />`,
    )
    return html`<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>LINE Login (demo stand-in)</title>
<style>${raw(CONSENT_STYLE)}</style>
</head>
<body><main>
<p><span class="badge">LINE</span> デモ用の代役 <span lang="en">(demo stand-in, not LINE)</span></p>
<h1>ログインの許可 <span lang="en">Allow sign-in</span></h1>
<p>チャネル ${p.client_id} があなたのプロフィール情報を取得します。</p>
<p lang="en">Channel ${p.client_id} asks for your profile.</p>
<form method="post" action="authorize">
${hidden}
<fieldset>
<legend>ログインするデモユーザー <span lang="en">Demo user</span></legend>
${STAND_IN_LOGIN_USERS.map(
  (u, i) =>
    html`<label><input type="radio" name="user" value="${u.sub}" ${i === 0 ? 'checked' : ''} /> ${u.name}</label>`,
)}
<label><input type="radio" name="user" value="new" /> 新しいデモユーザー <span lang="en">A new demo user</span></label>
</fieldset>
${
  p.bot_prompt
    ? html`<label><input type="checkbox" name="friend" value="yes" checked /> 公式アカウントを友だち追加 <span lang="en">Add the Official Account as a friend</span></label>`
    : ''
}
<button class="allow" type="submit" name="decision" value="allow">許可する <span lang="en">Allow</span></button>
<button class="cancel" type="submit" name="decision" value="cancel">キャンセル <span lang="en">Cancel</span></button>
</form>
</main></body></html>`
  }

  async function idToken(code: IssuedCode): Promise<string> {
    const t = tamper
    tamper = undefined
    const nowSec = Math.floor(opts.now() / 1000)
    const claims: Record<string, unknown> = { amr: ['linesso'], name: code.name }
    const nonce = t?.nonce ?? code.nonce
    if (nonce !== undefined) claims.nonce = nonce
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(t?.iss ?? opts.issuer)
      .setSubject(code.sub)
      .setAudience(t?.aud ?? code.clientId)
      .setIssuedAt(nowSec)
      .setExpirationTime(nowSec + (t?.expiresIn ?? 3600))
      .sign(t?.secret ? new TextEncoder().encode(t.secret) : key)
  }

  function tokenError(c: Context, error: string, description: string, status: 400 | 401 = 400) {
    c.header('Cache-Control', 'no-store')
    return c.json({ error, error_description: description }, status)
  }

  const app = new Hono()
    .get('/oauth2/v2.1/authorize', (c) => {
      const p = paramsOf((n) => c.req.query(n))
      const bad = problem(p)
      if (bad) return badRequest(c, bad)
      c.header('Cache-Control', 'no-store')
      c.header('Content-Security-Policy', consentPolicy(p.redirect_uri))
      return c.html(consentPage(p))
    })
    .post('/oauth2/v2.1/authorize', async (c) => {
      const form = await c.req.parseBody()
      const field = (n: string) => (typeof form[n] === 'string' ? (form[n] as string) : undefined)
      const p = paramsOf(field)
      const bad = problem(p)
      if (bad || !p.redirect_uri || !p.client_id) return badRequest(c, bad ?? 'bad request')
      const back = new URL(p.redirect_uri)
      if (field('decision') !== 'allow') {
        back.searchParams.set('error', 'access_denied')
        back.searchParams.set('error_description', 'The resource owner denied the request.')
        if (p.state) back.searchParams.set('state', p.state)
        return c.redirect(back.toString(), 302)
      }
      const chosen = field('user')
      const known = STAND_IN_LOGIN_USERS.find((u) => u.sub === chosen)
      const user = known ?? {
        sub: `U${randomBytes(16).toString('hex')}`,
        name: 'デモ 新規',
      }
      const code = randomBytes(16).toString('base64url')
      codes.set(code, {
        clientId: p.client_id,
        redirectUri: p.redirect_uri,
        codeChallenge: p.code_challenge,
        nonce: p.nonce,
        scope: p.scope ?? 'openid',
        sub: user.sub,
        name: user.name,
        expiresAt: opts.now() + CODE_TTL_MS,
      })
      if (codes.size > MAX_CODES) {
        const oldest = codes.keys().next().value
        if (oldest !== undefined) codes.delete(oldest)
      }
      back.searchParams.set('code', code)
      if (p.state) back.searchParams.set('state', p.state)
      if (p.bot_prompt) {
        back.searchParams.set('friendship_status_changed', String(field('friend') === 'yes'))
      }
      return c.redirect(back.toString(), 302)
    })
    .post('/oauth2/v2.1/token', async (c) => {
      const type = c.req.header('Content-Type') ?? ''
      if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
        return tokenError(c, 'invalid_request', 'form-encoded body required')
      }
      const form = await c.req.parseBody()
      const field = (n: string) => (typeof form[n] === 'string' ? (form[n] as string) : undefined)
      if (field('grant_type') !== 'authorization_code') {
        return tokenError(c, 'unsupported_grant_type', 'unsupported grant_type')
      }
      if (field('client_id') !== opts.channelId || field('client_secret') !== opts.channelSecret) {
        return tokenError(c, 'invalid_client', 'invalid client_id or client_secret')
      }
      const codeValue = field('code') ?? ''
      const code = codes.get(codeValue)
      // Used once, whatever the outcome (as LINE does).
      codes.delete(codeValue)
      if (!code || code.expiresAt <= opts.now()) {
        return tokenError(c, 'invalid_grant', 'invalid authorization code')
      }
      if (code.clientId !== field('client_id') || code.redirectUri !== field('redirect_uri')) {
        return tokenError(c, 'invalid_grant', 'redirect_uri does not match')
      }
      if (code.codeChallenge !== undefined) {
        const verifier = field('code_verifier') ?? ''
        const challenge = createHash('sha256').update(verifier).digest('base64url')
        if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || challenge !== code.codeChallenge) {
          return tokenError(c, 'invalid_grant', 'invalid code_verifier')
        }
      }
      c.header('Cache-Control', 'no-store')
      return c.json({
        access_token: randomBytes(24).toString('base64url'),
        token_type: 'Bearer',
        refresh_token: randomBytes(24).toString('base64url'),
        expires_in: 2_592_000,
        scope: code.scope,
        id_token: await idToken(code),
      })
    })

  return {
    app,
    /** The next ID token the token endpoint issues carries these changes (tests). */
    tamperNextIdToken(t: IdTokenTamper) {
      tamper = t
    },
  }
}
