import { type Context, Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { type WebLoginRefusal, WebLoginRefused } from '../domain/errors.ts'
import type { WebCookies } from '../http/web-cookies.ts'
import { WEB_LOGIN_TTL_MS, type WebLogin } from '../services/web-login.ts'
import type { Env, RouteDeps } from './deps.ts'
import { PAGE_CSP, REFUSAL_TEXT, refusalPage } from './web-login-pages.ts'

/** The status of each refusal's page. */
const STATUS: Record<WebLoginRefusal, ContentfulStatusCode> = {
  cancelled: 200,
  state_missing: 400,
  state_unknown: 400,
  state_used: 400,
  state_expired: 400,
  other_browser: 400,
  authorization_error: 400,
  token_rejected: 400,
  id_token_invalid: 400,
  nonce_mismatch: 400,
  unavailable: 503,
  too_many: 429,
}

/**
 * LINE Login on the web (`/login/line`): `GET /login/line?next=` starts a sign-in and sends the
 * browser to LINE; `GET /login/line/callback` finishes it, starts a web session and goes on to
 * `next`. `webLogin` is undefined when the LINE Login channel secret is not set (the pages say
 * so). docs/decisions/058.
 */
export function webLoginRoutes(
  deps: RouteDeps & { webLogin: WebLogin | undefined; cookies: WebCookies },
) {
  const { config, clock, logger, webLogin, cookies, clientAddress } = deps

  /** The page of a refused sign-in, with its status and when to try again. */
  const refused = (c: Context<Env>, err: WebLoginRefused) => {
    c.header('Content-Security-Policy', PAGE_CSP)
    if (err.reason === 'unavailable') c.header('Retry-After', '30')
    if (err.reason === 'too_many') c.header('Retry-After', '60')
    return c.html(
      refusalPage({
        storeName: config.storeName,
        text: REFUSAL_TEXT[err.reason],
        nextPath: err.nextPath,
        offerSignIn: true,
      }),
      STATUS[err.reason],
    )
  }

  return new Hono<Env>()
    .get('/', async (c) => {
      c.header('Cache-Control', 'no-store')
      if (!webLogin) {
        c.header('Content-Security-Policy', PAGE_CSP)
        const text = REFUSAL_TEXT.not_configured
        return c.html(
          refusalPage({ storeName: config.storeName, text, nextPath: '/', offerSignIn: false }),
          404,
        )
      }
      try {
        const { redirectUrl, binding } = await webLogin.start(
          c.req.query('next'),
          cookies.binding(c),
          clientAddress(c),
        )
        cookies.setBinding(c, binding, WEB_LOGIN_TTL_MS / 1000)
        return c.redirect(redirectUrl, 302)
      } catch (err) {
        if (!(err instanceof WebLoginRefused)) throw err
        logger.info('web sign-in refused', { reason: err.reason })
        return refused(c, err)
      }
    })
    .get('/callback', async (c) => {
      c.header('Cache-Control', 'no-store')
      c.header('Content-Security-Policy', PAGE_CSP)
      if (!webLogin) {
        const text = REFUSAL_TEXT.not_configured
        return c.html(
          refusalPage({ storeName: config.storeName, text, nextPath: '/', offerSignIn: false }),
          404,
        )
      }
      // The URL LINE was given as `redirect_uri`, with the query LINE sent back.
      const callback = new URL(`${config.publicUrl}/login/line/callback`)
      callback.search = new URL(c.req.url).search
      try {
        const session = await webLogin.finish(callback, cookies.binding(c))
        cookies.setSession(c, session.token, Math.floor((session.expiresAt - clock.now()) / 1000))
        logger.info('web sign-in')
        return c.redirect(session.nextPath, 302)
      } catch (err) {
        if (!(err instanceof WebLoginRefused)) throw err
        logger.info('web sign-in refused', { reason: err.reason })
        return refused(c, err)
      }
    })
}
