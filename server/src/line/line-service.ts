import { HTTPFetchError } from '@line/bot-sdk'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import type { Database, Executor, Tx } from '../db/seam.ts'
import type { Logger } from '../logger.ts'
import { campaigns } from '../repositories/campaigns.ts'
import { cards } from '../repositories/cards.ts'
import { expiryNotices } from '../repositories/expiry-notices.ts'
import { lineFriends } from '../repositories/line-friends.ts'
import { links } from '../repositories/links.ts'
import { stores } from '../repositories/stores.ts'
import { settleDelivery } from '../services/deliveries.ts'
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
import {
  createOutbox,
  createOutboxWorker,
  type OutboxPayloads,
  type OutboxWorkerDeps,
} from './outbox.ts'
import { deployedRichMenuId } from './rich-menus.ts'

/** Ledger types a member is told about by push. */
const NOTIFIED_TYPES = new Set(['award', 'redeem', 'void', 'adjust', 'refund', 'coupon'])

const DAY_MS = 86_400_000

export interface LineMessagingDeps {
  db: Database
  clock: Clock
  config: Config
  logger: Logger
  /** Replaces the client built from the config (tests). */
  client?: MessagingClient
  random?: () => number
  /** The outbox worker's pace and sizes (tests: one row per run, a slow call). */
  worker?: Partial<
    Pick<
      OutboxWorkerDeps,
      'batchSize' | 'concurrency' | 'callTimeoutMs' | 'maxPerSecond' | 'wallClock' | 'sleep'
    >
  >
}

/**
 * Everything of the Messaging API the server does: the client, the outbox and its worker,
 * the membership events that queue the link push and the rich menu switch, and the hooks
 * the till and the expiry job call inside their transactions.
 */
export function createLineMessaging(deps: LineMessagingDeps) {
  const { db, clock, config, logger } = deps
  const client = deps.client ?? createMessagingClient(config)
  const outbox = createOutbox(clock)

  /** The message context for a user whose language (where LINE told us) is `lang`. */
  function contextOf(lang: string | null): MessageContext {
    return {
      liffId: config.line.liffId,
      storeName: config.storeName,
      lang: lang?.startsWith('en') ? 'en' : 'ja',
    }
  }

  /** The message context for a user (their language where LINE told us), read with `ex`. */
  async function contextFor(ex: Executor, userId: string | null): Promise<MessageContext> {
    return contextOf(userId ? await lineFriends.language(ex, userId) : null)
  }

  /** Runs the worker soon; call it once what was queued has committed. */
  const kickSoon = () => worker.kick()

  const executors = {
    push: async (p: OutboxPayloads['push'], row: { retryKey: string }) => {
      await client.api().pushMessage({ to: p.to, messages: p.messages as never }, row.retryKey)
      return { done: true } as const
    },
    multicast: async (p: OutboxPayloads['multicast'], row: { retryKey: string }) => {
      // A cancelled campaign's batches stop (those not claimed yet were given up at the cancel).
      if (
        'campaignId' in p.owner &&
        (await campaigns.status(db, p.owner.campaignId)) === 'cancelled'
      ) {
        return { skipped: 'campaign cancelled' }
      }
      await client.api().multicast(
        {
          to: p.to,
          messages: p.messages as never,
          ...(p.customAggregationUnits ? { customAggregationUnits: p.customAggregationUnits } : {}),
        },
        row.retryKey,
      )
      return { done: true } as const
    },
    reply: async (p: OutboxPayloads['reply']) => {
      await client.api().replyMessage({ replyToken: p.replyToken, messages: p.messages as never })
      return { done: true } as const
    },
    richmenu_sync: async (p: OutboxPayloads['richmenu_sync']) => {
      if (await links.activeByUser(db, p.userId)) {
        const menu = await deployedRichMenuId(db, 'member')
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
        await lineFriends.setLanguage(db, p.userId, language, clock.now())
        return { done: true } as const
      } catch (err) {
        // Not a friend any more (blocked meanwhile): nothing to learn.
        if (err instanceof HTTPFetchError && err.status === 404) return { skipped: 'no profile' }
        throw err
      }
    },
    account_link_start: async (p: OutboxPayloads['account_link_start']) => {
      const { linkToken } = await client.api().issueLinkToken(p.userId)
      await recordLinkToken(db, p.userId, linkToken, clock.now())
      const url = `${p.signInBase}/account-link?linkToken=${encodeURIComponent(linkToken)}`
      await client.api().replyMessage({
        replyToken: p.replyToken,
        messages: [accountLinkMessage(await contextFor(db, p.userId), url)] as never,
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
    onSettled: settleDelivery(() => clock.now()),
    random: deps.random,
    ...deps.worker,
  })

  /** Queues, in `tx`, the rich menu that fits the user's link state (read when it is sent). */
  async function queueRichMenuSync(tx: Executor, userId: string, at: number): Promise<void> {
    await outbox.enqueue(tx, 'richmenu_sync', { userId }, { userId, at })
  }

  /**
   * The expiry job's hook, in `tx`: queues the notice that `points` of `cardId` expire at
   * `expiresAt` (Unix ms). Once per (batch, card): call it again for the same batch and
   * nothing more is queued. Returns true when a notice was queued; the worker runs once `tx`
   * has committed.
   */
  async function enqueueExpiryNotice(
    tx: Tx,
    n: { cardId: number; points: number; expiresAt: number; batchId: string },
  ): Promise<boolean> {
    if (n.points <= 0) return false
    const link = await links.activeOfCard(tx, n.cardId)
    if (!link) return false
    const userId = link.lineUserId
    const ctx = await contextFor(tx, userId)
    const queued = await outbox.enqueue(
      tx,
      'push',
      {
        to: userId,
        messages: [expiryNoticeMessage(ctx, { points: n.points, expiresAt: n.expiresAt })],
      },
      { userId, dedupeKey: `expiry:${n.batchId}:${n.cardId}` },
    )
    if (queued) tx.afterCommit(kickSoon)
    return queued
  }

  const membershipEvents: MembershipEvents = {
    async linked(tx, e) {
      const card = await cards.byId(tx, e.cardId)
      if (!card) return
      const ctx = await contextFor(tx, e.userId)
      await outbox.enqueue(
        tx,
        'push',
        {
          to: e.userId,
          messages: [
            linkCompletedMessage(ctx, {
              bonusPoints: e.bonusPoints,
              balance: card.points,
              cardLast4: card.cardNumber.slice(-4),
            }),
          ],
        },
        { userId: e.userId, at: e.at },
      )
      await queueRichMenuSync(tx, e.userId, e.at)
      tx.afterCommit(kickSoon)
    },
    async unlinked(tx, e) {
      await queueRichMenuSync(tx, e.userId, e.at)
      tx.afterCommit(kickSoon)
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
     * The till's hook, in the transaction that appended `entry`: queues a push (store,
     * points, new balance) to the linked member; once per ledger entry.
     */
    async onLedgerChange(tx: Tx, entry: LedgerChange): Promise<void> {
      if (!NOTIFIED_TYPES.has(entry.type) || entry.points === 0) return
      const userId = entry.lineUserId ?? (await links.activeOfCard(tx, entry.cardId))?.lineUserId
      if (!userId) return
      const store =
        entry.storeName ?? (entry.storeCode ? await stores.nameOf(tx, entry.storeCode) : null)
      // The till read the user's language with the card: no second read.
      const ctx =
        entry.lineLanguage !== undefined && userId === entry.lineUserId
          ? contextOf(entry.lineLanguage)
          : await contextFor(tx, userId)
      await outbox.enqueue(
        tx,
        'push',
        {
          to: userId,
          messages: [
            pointsChangedMessage(ctx, {
              type: entry.type,
              points: entry.points,
              balance: entry.balance,
              storeName: store,
            }),
          ],
        },
        { userId, dedupeKey: `ledger:${entry.entryId}`, at: entry.at },
      )
      tx.afterCommit(kickSoon)
    },

    /**
     * Queues the pre-expiry notice for every linked card whose balance expires within
     * `noticeDays` (expiry = last activity + `expiryDays`, the rule of services/points.ts).
     * The batch is the card's last-activity time: once per batch, however often it runs (on
     * however many instances). Resolves with how many were queued.
     */
    queuePreExpiryNotices(now: number, expiryDays: number, noticeDays = 14): Promise<number> {
      if (expiryDays <= 0) return Promise.resolve(0)
      const expiryMs = expiryDays * DAY_MS
      return db.transaction(async (tx) => {
        const rows = await expiryNotices.expiring(tx, {
          expiryMs,
          from: now,
          to: now + noticeDays * DAY_MS,
        })
        let queued = 0
        for (const r of rows) {
          const notice = {
            cardId: r.cardId,
            points: r.points,
            expiresAt: r.last + expiryMs,
            batchId: String(r.last),
          }
          if (await enqueueExpiryNotice(tx, notice)) queued++
        }
        return queued
      })
    },

    enqueueExpiryNotice,
  }
}

export type LineMessaging = ReturnType<typeof createLineMessaging>
