import { createHash } from 'node:crypto'
import { ERROR_STATUS } from '@membercard/shared'
import { type Context, Hono } from 'hono'
import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { DomainError, LinkTokenExpired } from '../domain/errors.ts'
import { ApiError } from '../http/api-error.ts'
import type { AccountLink } from '../line/account-link.ts'
import type { Env, RouteDeps } from './deps.ts'

/** What the sign-in page says for each refusal: Japanese first, then English. */
const MESSAGES: Partial<Record<string, [string, string]>> = {
  CARD_NUMBER_INVALID: [
    'カード番号が正しくありません。16桁の番号をご確認ください。',
    'The card number is not valid: check the 16 digits.',
  ],
  CONSENT_REQUIRED: [
    '連携には同意が必要です。チェックを入れてください。',
    'Please accept the terms to link.',
  ],
  CARD_OR_PIN_WRONG: ['カード番号または PIN が違います。', 'The card number or the PIN is wrong.'],
  VALIDATION_FAILED: ['PIN は4桁の数字です。', 'The PIN has 4 digits.'],
  ALREADY_LINKED: [
    'この LINE アカウントはすでに会員証と連携済みです。',
    'This LINE account is already linked to a card.',
  ],
  CARD_ALREADY_LINKED: [
    'このカードは別の LINE アカウントと連携済みです。店舗スタッフにお問い合わせください。',
    'This card is linked to another LINE account. Please ask our staff.',
  ],
}

/** The page's one style sheet, inline (the page works without any other request). */
const STYLE = `
body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;margin:0;background:#f5f7f6;color:#1a1a1a;line-height:1.6}
main{max-width:28rem;margin:0 auto;padding:1.5rem 1rem}
h1{font-size:1.35rem;margin:0 0 .25rem}
.en,[lang=en]{color:#444;font-size:.9em}
label{display:block;font-weight:600;margin-top:1rem}
input[type=password],input[inputmode]{width:100%;box-sizing:border-box;font-size:1.2rem;padding:.7rem;border:2px solid #6b6b6b;border-radius:.5rem;margin-top:.3rem;letter-spacing:.05em}
input:focus,button:focus,a:focus{outline:3px solid #0b57d0;outline-offset:2px}
.consent{display:flex;gap:.6rem;align-items:flex-start;margin-top:1.2rem}
.consent input{flex:none;width:1.6rem;height:1.6rem;margin:.2rem 0 0;accent-color:#047a35}
.consent label{margin-top:0}
.consent label [lang=en]{display:block;font-weight:400}
button [lang=en]{display:block;color:#fff;font-size:.85em;font-weight:400}
.help{font-size:.85rem;color:#444;margin:.3rem 0 0}
button{display:block;width:100%;margin-top:1.5rem;padding:.9rem;font-size:1.1rem;font-weight:700;color:#fff;background:#047a35;border:0;border-radius:.6rem}
.error{background:#fdecea;border:2px solid #b3261e;border-radius:.5rem;padding:.5rem .8rem;margin-top:1rem}
.error p{margin:.2rem 0;color:#8c1d18}
a{color:#0b57d0}
`

/**
 * The page's policy: its inline style sheet by hash (no 'unsafe-inline'), no script at all, the
 * form posted here only (and the redirect that follows, to LINE's account-link dialog).
 */
const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; form-action 'self' https://access.line.me; frame-ancestors 'none'; base-uri 'none'`

const TOKYO_TIME = new Intl.DateTimeFormat('en-US', {
  timeZone: 'Asia/Tokyo',
  month: 'numeric',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})

/** When a locked card or user may try again (Japan time), and that the store can help. */
function tooManyAttempts(until: number): [string, string] {
  const when = TOKYO_TIME.format(until).replace(',', '')
  return [
    `試行回数が多すぎるため、一時的に連携を止めています。${when} 以降にもう一度お試しいただくか、店舗スタッフにお問い合わせください（ロックを解除できます）。`,
    `Too many failed attempts. Try again after ${when} (Japan time), or ask the store staff, who can clear the lock.`,
  ]
}

/**
 * The company sign-in page of the Messaging API account-link flow (`/account-link`): the
 * member proves the card with its number and PIN, then goes on to LINE's account-link
 * dialog. Server-rendered, Japanese first, usable without JavaScript.
 */
export function accountLinkRoutes(deps: RouteDeps & { accountLink: AccountLink }) {
  const { config, accountLink, logger } = deps

  function page(o: {
    linkToken: string
    error?: [string, string]
    expired?: boolean
    cardNumber?: string
  }) {
    const body = o.expired
      ? html`<h1>リンクの有効期限が切れました</h1>
          <p lang="en" class="en">This sign-in link has expired.</p>
          <p>LINE のトークに戻り、「連携」と送ってもう一度お試しください。</p>
          <p lang="en" class="en">Go back to the LINE chat and send “link” to start again.</p>`
      : html`<h1>会員証を LINE に連携</h1>
          <p lang="en" class="en">Link your point card to LINE</p>
          ${
            o.error
              ? html`<div role="alert" class="error"><p>${o.error[0]}</p><p lang="en">${o.error[1]}</p></div>`
              : ''
          }
          <form method="post" action="/account-link" novalidate>
            <input type="hidden" name="linkToken" value="${o.linkToken}" />
            <label for="cardNumber">カード番号 <span lang="en">Card number</span></label>
            <input id="cardNumber" name="cardNumber" inputmode="numeric" autocomplete="off"
              required maxlength="24" value="${o.cardNumber ?? ''}" aria-describedby="cardHelp" />
            <p id="cardHelp" class="help">カード裏面の16桁 / 16 digits on the back</p>
            <label for="pin">PIN(4桁) <span lang="en">PIN (4 digits)</span></label>
            <input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off"
              required maxlength="4" pattern="[0-9]{4}" />
            <div class="consent">
              <input id="consent" name="consent" type="checkbox" value="yes" required />
              <label for="consent">
                <a href="${config.privacyPolicyUrl}">個人情報の取り扱い</a>に同意して連携します
                <span lang="en">I agree to the privacy policy</span>
              </label>
            </div>
            <p class="help">連携はいつでも会員証の設定から解除できます。 /
              <span lang="en">You can unlink at any time in the card settings.</span></p>
            <button type="submit">サインインして連携 <span lang="en">Sign in and link</span></button>
          </form>`
    return html`<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<meta name="robots" content="noindex" />
<title>会員証の連携 | ${config.storeName}</title>
<style>${raw(STYLE)}</style>
</head>
<body><main>
<p class="help">${config.storeName}</p>
${body}
</main></body></html>`
  }

  function send(
    c: Context<Env>,
    status: ContentfulStatusCode,
    content: HtmlEscapedString | Promise<HtmlEscapedString>,
  ) {
    c.header('Cache-Control', 'no-store')
    c.header('Content-Security-Policy', CSP)
    c.header('Referrer-Policy', 'no-referrer')
    return c.html(content, status)
  }

  return new Hono<Env>()
    .get('/', async (c) => {
      const linkToken = c.req.query('linkToken') ?? ''
      if (!(await accountLink.userOfLinkToken(linkToken))) {
        return send(c, 410, page({ linkToken: '', expired: true }))
      }
      return send(c, 200, page({ linkToken }))
    })
    .post('/', async (c) => {
      const type = c.req.header('Content-Type') ?? ''
      if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) {
        throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Send the sign-in form.')
      }
      const form = await c.req.parseBody()
      const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '')
      const linkToken = field('linkToken')
      const cardNumber = field('cardNumber').slice(0, 40)
      if (!(await accountLink.userOfLinkToken(linkToken))) {
        return send(c, 410, page({ linkToken: '', expired: true }))
      }
      try {
        const { redirectUrl } = await accountLink.signIn(linkToken, {
          cardNumber,
          pin: field('pin').slice(0, 8),
          consent: { version: config.consentVersion, accepted: field('consent') === 'yes' },
        })
        logger.info('account-link sign-in accepted')
        c.header('Cache-Control', 'no-store')
        return c.redirect(redirectUrl, 303)
      } catch (err) {
        if (!(err instanceof DomainError)) throw err
        if (err instanceof LinkTokenExpired) {
          return send(c, 410, page({ linkToken: '', expired: true }))
        }
        if (err.retryAfterSeconds !== undefined) {
          c.header('Retry-After', String(err.retryAfterSeconds))
        }
        const message =
          err.code === 'TOO_MANY_ATTEMPTS'
            ? tooManyAttempts(deps.clock.now() + (err.retryAfterSeconds ?? 0) * 1000)
            : (MESSAGES[err.code] ?? [err.message, err.message])
        return send(
          c,
          ERROR_STATUS[err.code],
          page({
            linkToken,
            error: message,
            cardNumber,
          }),
        )
      }
    })
}
