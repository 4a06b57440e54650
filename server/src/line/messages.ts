import type { messagingApi } from '@line/bot-sdk'

/** What the message builders need to know about the deployment. */
export interface MessageContext {
  /** The LIFF app's ID; LIFF URLs are `https://liff.line.me/{liffId}/{path}`. */
  liffId: string | undefined
  storeName: string
  /** The member's language where known (LINE profile); Japanese otherwise. */
  lang?: 'ja' | 'en'
}

type Message = messagingApi.Message

/** The URL that opens the LIFF app at `path` (a path, not a query: queries can be lost). */
export function liffUrl(liffId: string | undefined, path: string): string {
  const p = path.startsWith('/') ? path : `/${path}`
  return liffId ? `https://liff.line.me/${liffId}${p === '/' ? '' : p}` : `https://line.me${p}`
}

const t = (ctx: MessageContext, ja: string, en: string) => (ctx.lang === 'en' ? en : ja)
const fmt = (n: number) => n.toLocaleString('ja-JP')

function bubble(o: {
  ctx: MessageContext
  altText: string
  title: string
  lines: { label: string; value: string; strong?: boolean }[]
  note?: string
  button?: { label: string; uri: string }
}): Message {
  return {
    type: 'flex',
    altText: o.altText.slice(0, 400),
    contents: {
      type: 'bubble',
      header: {
        type: 'box',
        layout: 'vertical',
        backgroundColor: '#06C755',
        paddingAll: '16px',
        contents: [
          { type: 'text', text: o.ctx.storeName, size: 'xs', color: '#FFFFFF' },
          { type: 'text', text: o.title, weight: 'bold', size: 'lg', color: '#FFFFFF', wrap: true },
        ],
      },
      body: {
        type: 'box',
        layout: 'vertical',
        spacing: 'md',
        contents: [
          ...o.lines.map(
            (l): messagingApi.FlexComponent => ({
              type: 'box',
              layout: 'horizontal',
              contents: [
                { type: 'text', text: l.label, size: 'sm', color: '#555555', flex: 3, wrap: true },
                {
                  type: 'text',
                  text: l.value,
                  size: l.strong ? 'lg' : 'sm',
                  weight: l.strong ? 'bold' : 'regular',
                  align: 'end',
                  flex: 4,
                  wrap: true,
                },
              ],
            }),
          ),
          ...(o.note
            ? [
                {
                  type: 'text',
                  text: o.note,
                  size: 'xs',
                  color: '#555555',
                  wrap: true,
                } as messagingApi.FlexComponent,
              ]
            : []),
        ],
      },
      ...(o.button
        ? {
            footer: {
              type: 'box',
              layout: 'vertical',
              contents: [
                {
                  type: 'button',
                  style: 'primary',
                  color: '#06C755',
                  action: { type: 'uri', label: o.button.label.slice(0, 40), uri: o.button.uri },
                },
              ],
            },
          }
        : {}),
    },
  } as Message
}

/** Pushed when a card is linked (LIFF, account link or a new digital card). */
export function linkCompletedMessage(
  ctx: MessageContext,
  m: { bonusPoints: number; balance: number; cardLast4: string },
): Message {
  const lines = [
    { label: t(ctx, '会員番号', 'Card'), value: `**** ${m.cardLast4}` },
    ...(m.bonusPoints > 0
      ? [{ label: t(ctx, '連携ボーナス', 'Link bonus'), value: `+${fmt(m.bonusPoints)} pt` }]
      : []),
    { label: t(ctx, 'ポイント残高', 'Balance'), value: `${fmt(m.balance)} pt`, strong: true },
  ]
  return bubble({
    ctx,
    altText: t(
      ctx,
      `連携が完了しました。残高 ${fmt(m.balance)} pt`,
      `Your card is linked. Balance ${fmt(m.balance)} pt`,
    ),
    title: t(ctx, '連携が完了しました', 'Your card is linked'),
    lines,
    note: t(
      ctx,
      '連携の解除は、会員証の「設定」からいつでもできます。',
      'You can unlink at any time under Settings (設定) in the card app.',
    ),
    button: { label: t(ctx, '会員証を表示', 'Show my card'), uri: liffUrl(ctx.liffId, '/card') },
  })
}

/** Pushed when points are awarded, redeemed, voided, adjusted or refunded at the till. */
export function pointsChangedMessage(
  ctx: MessageContext,
  m: { type: string; points: number; balance: number; storeName: string | null },
): Message {
  const title =
    m.type === 'redeem'
      ? t(ctx, 'ポイントを利用しました', 'Points redeemed')
      : m.type === 'award'
        ? t(ctx, 'ポイントが付きました', 'Points earned')
        : m.type === 'void'
          ? t(ctx, 'お取引が取り消されました', 'A transaction was voided')
          : m.type === 'refund'
            ? t(ctx, '返品によりポイントを戻しました', 'Points returned for a refund')
            : m.type === 'coupon'
              ? t(ctx, 'クーポンでポイントが付きました', 'Points from a coupon')
              : t(ctx, 'ポイントが変わりました', 'Your points changed')
  const signed = `${m.points > 0 ? '+' : ''}${fmt(m.points)} pt`
  return bubble({
    ctx,
    altText: `${title} ${signed} / ${t(ctx, '残高', 'Balance')} ${fmt(m.balance)} pt`,
    title,
    lines: [
      ...(m.storeName ? [{ label: t(ctx, '店舗', 'Store'), value: m.storeName }] : []),
      { label: t(ctx, 'ポイント', 'Points'), value: signed },
      { label: t(ctx, 'ポイント残高', 'Balance'), value: `${fmt(m.balance)} pt`, strong: true },
    ],
    button: {
      label: t(ctx, 'ポイント履歴を見る', 'See history'),
      uri: liffUrl(ctx.liffId, '/history'),
    },
  })
}

/** Pushed before points expire. `expiresAt` is Unix ms. */
export function expiryNoticeMessage(
  ctx: MessageContext,
  m: { points: number; expiresAt: number },
): Message {
  const date = new Intl.DateTimeFormat(ctx.lang === 'en' ? 'en-US' : 'ja-JP', {
    timeZone: 'Asia/Tokyo',
    dateStyle: 'long',
  }).format(new Date(m.expiresAt))
  return bubble({
    ctx,
    altText: t(
      ctx,
      `${fmt(m.points)} pt が ${date} に失効します`,
      `${fmt(m.points)} pt expire on ${date}`,
    ),
    title: t(ctx, 'ポイントの有効期限が近づいています', 'Your points expire soon'),
    lines: [
      { label: t(ctx, '失効予定', 'Expiring'), value: `${fmt(m.points)} pt`, strong: true },
      { label: t(ctx, '失効日', 'On'), value: date },
    ],
    note: t(
      ctx,
      'お買い物でポイントを使うか貯めると、有効期限が延長されます。',
      'Earning or using points extends the expiry.',
    ),
    button: { label: t(ctx, '会員証を表示', 'Show my card'), uri: liffUrl(ctx.liffId, '/card') },
  })
}

/** The answer to "ポイント" / "残高" / "points" for a linked member. */
export function balanceMessage(ctx: MessageContext, m: { balance: number; rank: string }): Message {
  return bubble({
    ctx,
    altText: t(ctx, `ポイント残高 ${fmt(m.balance)} pt`, `Balance ${fmt(m.balance)} pt`),
    title: t(ctx, 'ポイント残高', 'Your balance'),
    lines: [
      { label: t(ctx, 'ポイント残高', 'Balance'), value: `${fmt(m.balance)} pt`, strong: true },
      { label: t(ctx, 'ランク', 'Rank'), value: m.rank },
    ],
    button: { label: t(ctx, '会員証を表示', 'Show my card'), uri: liffUrl(ctx.liffId, '/card') },
  })
}

/** The answer to "会員証" for a linked member. */
export function cardMessage(ctx: MessageContext): Message {
  return templateButton(
    ctx,
    t(ctx, '会員証はこちらから表示できます。', 'Open your membership card here.'),
    t(ctx, '会員証を表示', 'Show my card'),
    liffUrl(ctx.liffId, '/card'),
  )
}

/** The invitation to link, for friends who have not linked yet. */
export function inviteToLinkMessage(ctx: MessageContext, bonusPoints: number): Message {
  const bonus =
    bonusPoints > 0
      ? t(ctx, `今なら連携で ${fmt(bonusPoints)} pt プレゼント。`, `Get ${fmt(bonusPoints)} pt. `)
      : ''
  return templateButton(
    ctx,
    t(
      ctx,
      `お持ちのポイントカードを LINE に連携すると、会員証としてご利用いただけます。${bonus}`,
      `Link your point card to use LINE as your membership card. ${bonus}`,
    ),
    t(ctx, '会員証を連携', 'Link my card'),
    liffUrl(ctx.liffId, '/link'),
  )
}

/** The greeting on `follow`. */
export function greetingMessages(
  ctx: MessageContext,
  m: { linked: boolean; bonusPoints: number },
): Message[] {
  const hello: Message = {
    type: 'text',
    text: t(
      ctx,
      `${ctx.storeName}の公式アカウントです。友だち追加ありがとうございます!`,
      `Thanks for adding ${ctx.storeName} as a friend!`,
    ),
  }
  return [hello, m.linked ? cardMessage(ctx) : inviteToLinkMessage(ctx, m.bonusPoints)]
}

/** A text message. */
export function textMessage(text: string): Message {
  return { type: 'text', text: text.slice(0, 5000) }
}

/** The button that opens the company sign-in page of the account-link flow. */
export function accountLinkMessage(ctx: MessageContext, url: string): Message {
  return templateButton(
    ctx,
    t(
      ctx,
      'カード番号と暗証番号でログインすると、このトークで会員証が使えます（10\u2060分間有効）。',
      'Sign in with your card number and PIN to link (valid for 10 minutes).',
    ),
    t(ctx, 'ログインして連携', 'Sign in to link'),
    url,
  )
}

function templateButton(_ctx: MessageContext, text: string, label: string, uri: string): Message {
  return {
    type: 'template',
    altText: text.slice(0, 400),
    template: {
      type: 'buttons',
      text: text.slice(0, 160),
      actions: [{ type: 'uri', label: label.slice(0, 20), uri }],
    },
  } as Message
}
