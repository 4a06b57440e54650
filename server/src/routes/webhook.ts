import { validateSignature } from '@line/bot-sdk'
import { Hono } from 'hono'
import { z } from 'zod'
import type { Tx } from '../db/seam.ts'
import { ApiError } from '../http/api-error.ts'
import type { AccountLink, AccountLinkRefusal } from '../line/account-link.ts'
import type { LineMessaging } from '../line/line-service.ts'
import {
  balanceMessage,
  cardMessage,
  greetingMessages,
  inviteToLinkMessage,
  type MessageContext,
  textMessage,
} from '../line/messages.ts'
import { POSTBACK } from '../line/rich-menus.ts'
import { links } from '../repositories/links.ts'
import { webhookEvents } from '../repositories/webhook-events.ts'
import type { Env, RouteDeps } from './deps.ts'

/** What this server reads of a webhook event; everything else is ignored. */
const eventSchema = z.looseObject({
  type: z.string().max(64),
  mode: z.string().max(32).optional(),
  webhookEventId: z.string().min(1).max(128).optional(),
  replyToken: z.string().max(256).optional(),
  source: z.looseObject({ type: z.string(), userId: z.string().max(64).optional() }).optional(),
  message: z.looseObject({ type: z.string(), text: z.string().max(10_000).optional() }).optional(),
  postback: z.looseObject({ data: z.string().max(1_000) }).optional(),
  link: z.looseObject({ result: z.string(), nonce: z.string().max(255).optional() }).optional(),
})
const bodySchema = z.looseObject({
  destination: z.string().optional(),
  events: z.array(z.unknown()),
})

type WebhookEvent = z.infer<typeof eventSchema>

/** Base64 of the 32 bytes of an HMAC-SHA256. */
const SIGNATURE_FORMAT = /^[A-Za-z0-9+/]{43}=$/

const KEYWORDS: { re: RegExp; action: Action }[] = [
  { re: /^(ポイント|ぽいんと|残高|ポイント残高|points?|balance)$/, action: 'balance' },
  { re: /^(会員証|カード|card|member ?card)$/, action: 'card' },
  { re: /^(連携|アカウント連携|トークで連携|link)$/, action: 'account-link' },
  { re: /^(お知らせ|news)$/, action: 'news' },
  { re: /^(ヘルプ|help|\?)$/, action: 'help' },
]
type Action = 'balance' | 'card' | 'account-link' | 'news' | 'help' | 'other'

const POSTBACK_ACTIONS: Record<string, Action> = {
  [POSTBACK.balance]: 'balance',
  [POSTBACK.news]: 'news',
  [POSTBACK.help]: 'help',
  [POSTBACK.accountLink]: 'account-link',
}

const REFUSALS: Record<AccountLinkRefusal | 'failed', string> = {
  unknown_nonce:
    '連携できませんでした。もう一度「トークで連携」からお試しください。\nLinking failed: please try again.',
  nonce_used:
    'この連携リンクは使用済みです。もう一度「トークで連携」からお試しください。\nThis sign-in was already used: please start again.',
  nonce_expired:
    '連携の有効期限(10分)が切れました。もう一度「トークで連携」からお試しください。\nThe sign-in expired: please start again.',
  user_mismatch:
    '連携できませんでした。もう一度「トークで連携」からお試しください。\nLinking failed: please try again.',
  ALREADY_LINKED:
    'この LINE アカウントはすでに会員証と連携済みです。\nThis LINE account is already linked.',
  CARD_ALREADY_LINKED:
    'このカードは別の LINE アカウントと連携済みです。店舗スタッフにお問い合わせください。\nThis card is linked to another LINE account.',
  failed:
    '連携が完了しませんでした。もう一度お試しください。\nLinking was not completed: please try again.',
}

/**
 * The LINE webhook (`POST /webhook/line`): the signature is checked on the raw body before
 * anything is parsed; each event is handled once (by `webhookEventId`) in its own
 * transaction, and what has to reach LINE goes through the outbox, so the answer is quick.
 * Everything an event reads and writes goes through that transaction's `tx`.
 */
export function webhookRoutes(deps: RouteDeps & { line: LineMessaging; accountLink: AccountLink }) {
  const { db, clock, config, logger, line, accountLink } = deps

  async function reply(tx: Tx, event: WebhookEvent, userId: string, messages: unknown[]) {
    if (!event.replyToken) return
    await line.outbox.enqueue(tx, 'reply', { replyToken: event.replyToken, messages }, { userId })
  }

  /** The messages for an action, or null when the account-link flow takes over. */
  async function answer(
    tx: Tx,
    action: Action,
    event: WebhookEvent,
    userId: string,
    ctx: MessageContext,
    signInBase: string,
  ): Promise<unknown[] | null> {
    const linked = await links.activeByUser(tx, userId)
    const en = ctx.lang === 'en'
    const invite = [inviteToLinkMessage(ctx, config.linkBonusPoints)]
    switch (action) {
      case 'balance':
        return linked
          ? [balanceMessage(ctx, { balance: linked.points, rank: linked.rank })]
          : invite
      case 'card':
        return linked ? [cardMessage(ctx)] : invite
      case 'account-link':
        if (linked) {
          return [
            textMessage(
              en ? 'Your card is already linked.' : 'この LINE アカウントはすでに連携済みです。',
            ),
            cardMessage(ctx),
          ]
        }
        if (event.replyToken) {
          await line.outbox.enqueue(
            tx,
            'account_link_start',
            { userId, replyToken: event.replyToken, signInBase },
            { userId },
          )
        }
        return null
      case 'news':
        return [
          textMessage(
            en
              ? `No news from ${ctx.storeName} right now.`
              : `${ctx.storeName}からのお知らせは、今はありません。`,
          ),
        ]
      case 'help':
        return [helpText(ctx, Boolean(linked))]
      default:
        return linked ? [helpText(ctx, true)] : invite
    }
  }

  async function respond(
    tx: Tx,
    action: Action,
    event: WebhookEvent,
    userId: string,
    ctx: MessageContext,
    signInBase: string,
  ): Promise<void> {
    const messages = await answer(tx, action, event, userId, ctx, signInBase)
    if (messages) await reply(tx, event, userId, messages)
  }

  async function handle(tx: Tx, event: WebhookEvent, signInBase: string): Promise<void> {
    // Another channel holds the chat (module channels): record, do nothing.
    if (event.mode === 'standby') return
    const userId = event.source?.type === 'user' ? event.source.userId : undefined
    if (!userId || !/^U[0-9a-f]{32}$/.test(userId)) return
    const now = clock.now()
    const ctx = await line.contextFor(tx, userId)
    switch (event.type) {
      case 'follow': {
        await deps.stats.follow(tx, userId, now, true)
        const linked = (await links.activeByUser(tx, userId)) !== undefined
        const greeting = greetingMessages(ctx, { linked, bonusPoints: config.linkBonusPoints })
        await reply(tx, event, userId, greeting)
        await line.queueRichMenuSync(tx, userId, now)
        await line.outbox.enqueue(tx, 'profile', { userId }, { userId, at: now })
        return
      }
      case 'unfollow':
        await deps.stats.follow(tx, userId, now, false)
        return
      case 'message': {
        const text = event.message?.type === 'text' ? (event.message.text ?? '') : ''
        const key = text.normalize('NFKC').trim().toLowerCase()
        const action = KEYWORDS.find((k) => k.re.test(key))?.action ?? 'other'
        await respond(tx, action, event, userId, ctx, signInBase)
        return
      }
      case 'postback': {
        const action = POSTBACK_ACTIONS[event.postback?.data ?? '']
        if (action) await respond(tx, action, event, userId, ctx, signInBase)
        return
      }
      case 'accountLink': {
        if (event.link?.result !== 'ok' || !event.link.nonce) {
          await reply(tx, event, userId, [textMessage(REFUSALS.failed)])
          return
        }
        const result = await accountLink.complete(tx, userId, event.link.nonce)
        if (result.ok) {
          logger.info('account linked through the account-link flow', {
            bonusPoints: result.bonusPoints,
          })
          // The completion push and the rich menu switch are queued by the link itself.
          return
        }
        logger.warn('account-link event refused', { reason: result.reason })
        await reply(tx, event, userId, [textMessage(REFUSALS[result.reason])])
        return
      }
      default:
        return
    }
  }

  return new Hono<Env>().post('/line', async (c) => {
    // The raw bytes, before anything parses them: the signature covers exactly these.
    const raw = Buffer.from(await c.req.arrayBuffer())
    const secret = config.line.messagingChannelSecret
    const signature = c.req.header('x-line-signature') ?? ''
    if (!secret) {
      logger.warn('webhook refused: LINE_MESSAGING_CHANNEL_SECRET is not set')
      throw new ApiError('INVALID_SIGNATURE', 'The webhook signature cannot be checked.')
    }
    // Exactly one Base64 HMAC-SHA256 (Node's Base64 decoder would ignore trailing junk).
    if (!SIGNATURE_FORMAT.test(signature) || !validateSignature(raw, secret, signature)) {
      throw new ApiError('INVALID_SIGNATURE', 'The X-Line-Signature header does not match.')
    }
    let json: unknown
    try {
      json = JSON.parse(raw.toString('utf8'))
    } catch {
      throw new ApiError('VALIDATION_FAILED', 'The request body is not valid JSON.')
    }
    const body = bodySchema.safeParse(json)
    if (!body.success) throw new ApiError('VALIDATION_FAILED', 'The body has no events array.')
    // The sign-in page's origin is PUBLIC_URL, never the request's Host header.
    const signInBase = config.publicUrl
    let handled = 0
    let duplicates = 0
    for (const item of body.data.events) {
      const parsed = eventSchema.safeParse(item)
      if (!parsed.success) {
        logger.warn('webhook event ignored: unexpected shape')
        continue
      }
      const event = parsed.data
      // One event after the other: events of one user keep their order.
      const fresh = await db.transaction(async (tx) => {
        if (event.webhookEventId) {
          const e = { id: event.webhookEventId, type: event.type, at: clock.now() }
          if (!(await webhookEvents.markSeen(tx, e))) return false
        }
        await handle(tx, event, signInBase)
        return true
      })
      if (fresh) handled++
      else duplicates++
    }
    if (handled > 0) line.kickSoon()
    logger.info('webhook handled', { events: body.data.events.length, handled, duplicates })
    return c.json({}, 200)
  })
}

function helpText(ctx: MessageContext, linked: boolean) {
  if (ctx.lang === 'en') {
    return textMessage(
      linked
        ? 'Send "points" for your balance or "card" for your membership card.'
        : 'Send "link" to link your point card in this chat.',
    )
  }
  return textMessage(
    linked
      ? '「ポイント」で残高、「会員証」で会員証を表示します。メニューからもご利用いただけます。'
      : '「連携」と送ると、このトークでポイントカードを連携できます。',
  )
}
