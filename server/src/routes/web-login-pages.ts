import { createHash } from 'node:crypto'
import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { WebLoginRefusal } from '../domain/errors.ts'

/** What a refusal page says: heading and explanation, Japanese then English. */
interface PageText {
  title: [string, string]
  body: [string, string]
}

const START_AGAIN: PageText['body'] = [
  'お手数ですが、もう一度 LINE でログインしてください。',
  'Please sign in with LINE again.',
]

/** The page of each refusal. */
export const REFUSAL_TEXT: Record<WebLoginRefusal | 'not_configured', PageText> = {
  too_many: {
    title: ['しばらくしてからお試しください', 'Please try again in a minute'],
    body: [
      'この接続からのログインが一時的に多すぎます。1分ほど待ってから、もう一度 LINE でログインしてください。',
      'Too many sign-ins were started from this connection. Wait a minute, then sign in with LINE again.',
    ],
  },
  cancelled: {
    title: ['LINE でのログインをキャンセルしました', 'You cancelled signing in with LINE'],
    body: [
      'ログインも会員証の連携も行われていません。連携するには、もう一度 LINE でログインしてください。',
      'You are not signed in and nothing was linked. To link your card, sign in with LINE again.',
    ],
  },
  state_missing: {
    title: ['ログインをやり直してください', 'Please sign in again'],
    body: ['このログインのリンクは正しくありません。', 'This sign-in link is not valid.'],
  },
  state_unknown: {
    title: ['ログインをやり直してください', 'Please sign in again'],
    body: ['このログインのリンクは正しくありません。', 'This sign-in link is not valid.'],
  },
  state_used: {
    title: ['ログインをやり直してください', 'Please sign in again'],
    body: [
      'このログインのリンクはすでに使われています(再読み込みや「戻る」のあとなど)。',
      'This sign-in link was used already (after a reload or the back button, for example).',
    ],
  },
  state_expired: {
    title: ['ログインをやり直してください', 'Please sign in again'],
    body: [
      'ログインを始めてから時間が経ちすぎました(10分まで)。',
      'Too much time passed since you started signing in (10 minutes at most).',
    ],
  },
  other_browser: {
    title: ['ログインをやり直してください', 'Please sign in again'],
    body: [
      'ログインを始めたのとは別のブラウザーで開かれました。このブラウザーでもう一度お試しください。',
      'This sign-in was started in another browser. Please start again in this one.',
    ],
  },
  authorization_error: {
    title: ['LINE でログインできませんでした', 'Signing in with LINE did not work'],
    body: START_AGAIN,
  },
  token_rejected: {
    title: ['LINE でログインできませんでした', 'Signing in with LINE did not work'],
    body: START_AGAIN,
  },
  id_token_invalid: {
    title: ['LINE でのログインを確認できませんでした', 'We could not confirm your LINE sign-in'],
    body: START_AGAIN,
  },
  nonce_mismatch: {
    title: ['LINE でのログインを確認できませんでした', 'We could not confirm your LINE sign-in'],
    body: START_AGAIN,
  },
  unavailable: {
    title: ['LINE に接続できませんでした', 'We could not reach LINE'],
    body: ['しばらくしてから、もう一度お試しください。', 'Please try again in a little while.'],
  },
  not_configured: {
    title: ['LINE でのログインは使えません', 'Signing in with LINE is not available'],
    body: [
      'このサイトでは LINE でのログインが設定されていません。',
      'Signing in with LINE is not set up on this site.',
    ],
  },
}

/** The pages' style sheet, inline and allowed by its hash. */
const STYLE = `
body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;margin:0;background:#f5f7f6;color:#1a1a1a;line-height:1.6}
main{max-width:28rem;margin:0 auto;padding:1.5rem 1rem}
h1{font-size:1.35rem;margin:0 0 .25rem}
.en,[lang=en]{color:#444;font-size:.9em}
.store{font-size:.85rem;color:#444;margin:0 0 1rem}
a.button{display:block;text-align:center;margin-top:1rem;padding:.9rem;font-size:1.1rem;font-weight:700;border-radius:.6rem;text-decoration:none}
a.primary{color:#fff;background:#047a35}
a.primary [lang=en]{color:#fff}
a.secondary{color:#0b57d0;background:#fff;border:2px solid #0b57d0}
a.button [lang=en]{display:block;font-size:.85em;font-weight:400}
a:focus{outline:3px solid #0b57d0;outline-offset:2px}
`

/** Content-Security-Policy of these pages: no script at all, their style sheet by hash. */
export const PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`

/**
 * A sign-in page of LINE Login on the web (a refusal or the cancellation): what happened and
 * two ways on, "LINE でログイン" again (back to `nextPath` afterwards) and back to the app.
 * Server-rendered, Japanese first, no JavaScript.
 */
export function refusalPage(o: {
  storeName: string
  text: PageText
  nextPath: string
  /** False where signing in again cannot help (web login not configured). */
  offerSignIn: boolean
}): Promise<HtmlEscapedString> | HtmlEscapedString {
  const retry = `/login/line?next=${encodeURIComponent(o.nextPath)}`
  return html`<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<meta name="robots" content="noindex" />
<title>${o.text.title[0]} | ${o.storeName}</title>
<style>${raw(STYLE)}</style>
</head>
<body><main>
<p class="store">${o.storeName}</p>
<h1>${o.text.title[0]}</h1>
<p lang="en" class="en">${o.text.title[1]}</p>
<p>${o.text.body[0]}</p>
<p lang="en" class="en">${o.text.body[1]}</p>
${
  o.offerSignIn
    ? html`<a class="button primary" href="${retry}">LINE でログイン <span lang="en">Sign in with LINE</span></a>`
    : ''
}
<a class="button secondary" href="${o.nextPath}">会員証に戻る <span lang="en">Back to the member card</span></a>
</main></body></html>`
}
