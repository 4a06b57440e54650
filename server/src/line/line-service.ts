import { HTTPFetchError } from '@line/bot-sdk'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import type { Db } from '../db/client.ts'
import type { Logger } from '../logger.ts'
import type { MembershipEvents } from '../services/membership.ts'
import type { LedgerChange } from '../services/points.ts'
import { recordLinkToken } from './account-link.ts'
import {
  accountLinkMessage,
  expiryNoticeMessage,
  linkCompletedMessage,
  type MessageContext,
  pointsChangedMessage,
} from './messages.ts'
import { createMessagingClient, type MessagingClient } from './messaging-client.ts'
import { createOutbox, createOutboxWorker, type OutboxPayloads } from './outbox.ts'
import { deployedRichMenuId } from './rich-menus.ts'

/** Ledger types a member is told about by push. */
const NOTIFIED_TYPES = new Set(['award', 'redeem', 'void', 'adjust'])

export interface LineMessagingDeps {
  db: Db
  clock: Clock
  config: Config
  logger: Logger
  /** Replaces the client built from the config (tests). */
  client?: MessagingClient
  random?: () => number
}

/**
 * Everything of the Messaging API the server does: the client, the outbox and its worker,
 * the membership events that queue the link push and the rich menu switch, and the hooks
 * the till and the expiry job call inside their transactions.
 */
export function createLineMessaging(deps: LineMessagingDeps) {
  const { db, clock, config, logger } = deps
  const sqlite = db.$client
  const client = deps.client ?? createMessagingClient(config)
  const outbox = createOutbox(db, clock)

  const languageOf = sqlite.prepare<[string], { language: string | null }>(
    'SELECT language FROM line_friends WHERE line_user_id = ?',
  )
  const cardInfo = sqlite.prepare<[number], { cardNumber: string; points: number }>(
    'SELECT card_number AS cardNumber, points FROM point_cards WHERE id = ?',
  )
  const linkedUserOfCard = sqlite.prepare<[number], { userId: string }>(
    'SELECT line_user_id AS userId FROM line_links WHERE card_id = ? AND unlinked_at IS NULL',
  )
  const linkedNow = sqlite.prepare<[string], { id: number }>(
    'SELECT id FROM line_links WHERE line_user_id = ? AND unlinked_at IS NULL',
  )
  const storeName = sqlite.prepare<[string], { name: string }>(
    'SELECT name FROM stores WHERE code = ?',
  )

  /** The message context for a user (their language where LINE told us). */
  function contextFor(userId: string | null): MessageContext {
    const lang = userId ? languageOf.get(userId)?.language : null
    return {
      liffId: config.line.liffId,
      storeName: config.storeName,
      lang: lang?.startsWith('en') ? 'en' : 'ja',
    }
  }

  const kickSoon = () => {
    // Runs after the caller's transaction has committed (it is synchronous).
    setImmediate(() => worker.kick())
  }

  const executors = {
    push: async (p: OutboxPayloads['push'], row: { retryKey: string }) => {
      await client.api().pushMessage({ to: p.to, messages: p.messages as never }, row.retryKey)
      return { done: true } as const
    },
    reply: async (p: OutboxPayloads['reply']) => {
      await client.api().replyMessage({ replyToken: p.replyToken, messages: p.messages as never })
      return { done: true } as const
    },
    richmenu_sync: async (p: OutboxPayloads['richmenu_sync']) => {
      if (linkedNow.get(p.userId)) {
        const menu = deployedRichMenuId(db, 'member')
        if (!menu) return { skipped: 'no rich menu deployed (pnpm richmenu:deploy)' }
        await client.api().linkRichMenuIdToUser(p.userId, menu)
      } else {
        await client.api().unlinkRichMenuIdFromUser(p.userId)
      }
      return { done: true } as const
    },
    profile: async (p: OutboxPayloads['profile']) => {
      try {
        const profile = await client.api().getProfile(p.userId)
        const language = typeof profile.language === 'string' ? profile.language.slice(0, 16) : null
        sqlite
          .prepare('UPDATE line_friends SET language = ?, updated_at = ? WHERE line_user_id = ?')
          .run(language, clock.now(), p.userId)
        return { done: true } as const
      } catch (err) {
        // Not a friend any more (blocked meanwhile): nothing to learn.
        if (err instanceof HTTPFetchError && err.status === 404) return { skipped: 'no profile' }
        throw err
      }
    },
    account_link_start: async (p: OutboxPayloads['account_link_start']) => {
      const { linkToken } = await client.api().issueLinkToken(p.userId)
      recordLinkToken(db, p.userId, linkToken, clock.now())
      const url = `${p.signInBase}/account-link?linkToken=${encodeURIComponent(linkToken)}`
      await client.api().replyMessage({
        replyToken: p.replyToken,
        messages: [accountLinkMessage(contextFor(p.userId), url)] as never,
      })
      return { done: true } as const
    },
  }

  const worker = createOutboxWorker({
    db,
    clock,
    logger,
    enabled: () => client.enabled,
    executors,
    random: deps.random,
  })

  /** Queues the rich menu that fits the user's link state (read when it is sent). */
  function queueRichMenuSync(userId: string, at: number): void {
    outbox.enqueue('richmenu_sync', { userId }, { userId, at })
  }

  /**
   * The expiry job's hook: queues the notice that `points` of `cardId` expire at
   * `expiresAt` (Unix ms). Once per (batch, card): call it again for the same batch and
   * nothing more is queued. Returns true when a notice was queued.
   */
  function enqueueExpiryNotice(n: {
    cardId: number
    points: number
    expiresAt: number
    batchId: string
  }): boolean {
    if (n.points <= 0) return false
    const link = linkedUserOfCard.get(n.cardId)
    if (!link) return false
    const queued = outbox.enqueue(
      'push',
      {
        to: link.userId,
        messages: [
          expiryNoticeMessage(contextFor(link.userId), {
            points: n.points,
            expiresAt: n.expiresAt,
          }),
        ],
      },
      { userId: link.userId, dedupeKey: `expiry:${n.batchId}:${n.cardId}` },
    )
    if (queued) kickSoon()
    return queued
  }

  const membershipEvents: MembershipEvents = {
    linked(e) {
      const card = cardInfo.get(e.cardId)
      if (!card) return
      outbox.enqueue(
        'push',
        {
          to: e.userId,
          messages: [
            linkCompletedMessage(contextFor(e.userId), {
              bonusPoints: e.bonusPoints,
              balance: card.points,
              cardLast4: card.cardNumber.slice(-4),
            }),
          ],
        },
        { userId: e.userId, at: e.at },
      )
      queueRichMenuSync(e.userId, e.at)
      kickSoon()
    },
    unlinked(e) {
      queueRichMenuSync(e.userId, e.at)
      kickSoon()
    },
  }

  return {
    client,
    outbox,
    worker,
    membershipEvents,
    contextFor,
    queueRichMenuSync,
    kickSoon,

    /**
     * The till's hook: call it inside the transaction that appended `entry`. Queues a push
     * (store, points, new balance) to the linked member; once per ledger entry.
     */
    onLedgerChange(entry: LedgerChange): void {
      if (!NOTIFIED_TYPES.has(entry.type) || entry.points === 0) return
      const userId = entry.lineUserId ?? linkedUserOfCard.get(entry.cardId)?.userId
      if (!userId) return
      const store =
        entry.storeName ?? (entry.storeCode ? (storeName.get(entry.storeCode)?.name ?? null) : null)
      outbox.enqueue(
        'push',
        {
          to: userId,
          messages: [
            pointsChangedMessage(contextFor(userId), {
              type: entry.type,
              points: entry.points,
              balance: entry.balance,
              storeName: store,
            }),
          ],
        },
        { userId, dedupeKey: `ledger:${entry.entryId}`, at: entry.at },
      )
      kickSoon()
    },

    /**
     * Queues the pre-expiry notice for every linked card whose balance expires within
     * `noticeDays` (expiry = last activity + `expiryDays`, the rule of services/points.ts).
     * The batch is the card's last-activity time: once per batch, however often it runs.
     */
    queuePreExpiryNotices(now: number, expiryDays: number, noticeDays = 14): number {
      if (expiryDays <= 0) return 0
      const DAY = 86_400_000
      const rows = sqlite
        .prepare<
          [number, number, number, number],
          { cardId: number; points: number; last: number }
        >(
          `SELECT c.id AS cardId, c.points, COALESCE(c.last_activity_at, c.created_at) AS last
             FROM point_cards c JOIN line_links l ON l.card_id = c.id AND l.unlinked_at IS NULL
            WHERE c.points > 0
              AND COALESCE(c.last_activity_at, c.created_at) + ? > ?
              AND COALESCE(c.last_activity_at, c.created_at) + ? <= ?`,
        )
        .all(expiryDays * DAY, now, expiryDays * DAY, now + noticeDays * DAY)
      let queued = 0
      sqlite.transaction(() => {
        for (const r of rows) {
          if (
            enqueueExpiryNotice({
              cardId: r.cardId,
              points: r.points,
              expiresAt: r.last + expiryDays * DAY,
              batchId: String(r.last),
            })
          ) {
            queued++
          }
        }
      })()
      return queued
    },

    enqueueExpiryNotice,
  }
}

export type LineMessaging = ReturnType<typeof createLineMessaging>
