import type { LedgerType } from '@membercard/shared'
import type { Tx } from '../db/seam.ts'
import { cards } from '../repositories/cards.ts'
import { dailyStats, type StatCounts } from '../repositories/daily-stats.ts'
import { lineFriends } from '../repositories/line-friends.ts'
import { links } from '../repositories/links.ts'
import { type Calendar, createCalendar } from './calendar.ts'

/**
 * Keeps the dashboard's daily counters (docs/decisions/045-daily-counters.md, docs/kpis.md):
 * every writer of the ledger, of links, of friendships, of cards and the till's scan calls one
 * of these inside ITS transaction, so a counter changes exactly when what it counts commits.
 */

/** Shards per (day, store) on PostgreSQL: concurrent tills rarely wait on one counter row. */
const PG_SHARDS = 8

/** A stable shard for a string (a LINE user ID). */
function hashShard(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0
  return Math.abs(h) % PG_SHARDS
}

/** Till transactions: what makes a visit (a day with one) and counts as till activity. */
const TILL_TYPES: ReadonlySet<LedgerType> = new Set(['award', 'redeem'])

/** A ledger entry as the counters see it. */
export interface CountedEntry {
  cardId: number
  type: LedgerType
  /** Signed. */
  points: number
  storeCode?: string | null | undefined
  purchaseAmount?: number | null | undefined
  /** A till transaction made with the member's LINE card (a QR token: the card is linked). */
  linkedCard?: boolean | undefined
  at: number
}

export function createDailyStats(timeZone: string) {
  const calendar: Calendar = createCalendar(timeZone)

  function shardOf(tx: Tx, n: number | string): number {
    if (tx.dialect !== 'postgres') return 0
    return typeof n === 'number' ? n % PG_SHARDS : hashShard(n)
  }

  async function add(
    tx: Tx,
    at: number | { day: number },
    storeCode: string,
    shard: number,
    counts: Partial<StatCounts>,
  ) {
    const day = typeof at === 'number' ? calendar.dayOf(at) : at.day
    await dailyStats.add(tx, { day, storeCode, shard }, counts)
  }

  /**
   * A new visit day `day` of a card whose previous one was `prev` (null: its first): the days
   * on which it becomes active in the 30- and 90-day windows, and stops being.
   */
  function activeChanges(day: number, prev: number | null): Map<number, Partial<StatCounts>> {
    const out = new Map<number, Partial<StatCounts>>()
    const bump = (d: number, k: 'active30' | 'active90', n: number) => {
      const c = out.get(d) ?? {}
      c[k] = (c[k] ?? 0) + n
      out.set(d, c)
    }
    for (const [k, w] of [
      ['active30', 30],
      ['active90', 90],
    ] as const) {
      bump(prev === null ? day : Math.max(day, prev + w), k, 1)
      bump(day + w, k, -1)
    }
    return out
  }

  const stats = {
    calendar,

    /** A ledger entry appended in `tx` (any type). */
    async ledger(tx: Tx, e: CountedEntry): Promise<void> {
      const store = e.storeCode ?? ''
      const shard = shardOf(tx, e.cardId)
      const c: Partial<StatCounts> = { netPoints: e.points }
      if (e.type === 'bonus') c.bonusPoints = e.points
      else if (e.type === 'award') c.pointsAwarded = e.points
      else if (e.type === 'redeem') c.pointsRedeemed = -e.points
      else if (e.type === 'expire') c.pointsExpired = -e.points
      if (!TILL_TYPES.has(e.type)) return add(tx, e.at, store, shard, c)
      const linked = e.linkedCard === true
      if (e.type === 'award') c.awards = 1
      else c.redeems = 1
      if (e.type === 'award' && e.purchaseAmount != null) {
        if (linked) {
          c.purchasesLinked = 1
          c.purchaseYenLinked = e.purchaseAmount
        } else {
          c.purchasesUnlinked = 1
          c.purchaseYenUnlinked = e.purchaseAmount
        }
      }
      const day = calendar.dayOf(e.at)
      const visit = await cards.markVisit(tx, e.cardId, day)
      if (visit === undefined) return add(tx, { day }, store, shard, c)
      if (linked) c.visitsLinked = 1
      else c.visitsUnlinked = 1
      const changes = activeChanges(day, visit.prev)
      Object.assign(c, changes.get(day) ?? {})
      changes.delete(day)
      await add(tx, { day }, store, shard, c)
      // Later days, in ascending order (rows are always locked in one order).
      for (const d of [...changes.keys()].sort((a, b) => a - b)) {
        await add(tx, { day: d }, store, shard, changes.get(d) ?? {})
      }
    },

    /** A link made in `tx` (the link row is written). */
    async linked(tx: Tx, userId: string, cardId: number, at: number): Promise<void> {
      await lineFriends.lockUser(tx, userId)
      const friend = await lineFriends.isFriend(tx, userId)
      await add(tx, at, '', shardOf(tx, cardId), { newLinks: 1, linkedFriends: friend ? 1 : 0 })
    },

    /** A link closed in `tx`. */
    async unlinked(tx: Tx, userId: string, cardId: number, at: number): Promise<void> {
      await lineFriends.lockUser(tx, userId)
      const friend = await lineFriends.isFriend(tx, userId)
      await add(tx, at, '', shardOf(tx, cardId), { unlinks: 1, linkedFriends: friend ? -1 : 0 })
    },

    /**
     * A follow (or unfollow) webhook event, written in `tx` by this call: the friendship
     * changes, and the counters with it when it really changed.
     */
    async follow(tx: Tx, userId: string, at: number, follows: boolean): Promise<void> {
      await lineFriends.lockUser(tx, userId)
      const changed = follows
        ? await lineFriends.follow(tx, userId, at)
        : await lineFriends.block(tx, userId, at)
      if (!changed) return
      const linked = (await links.activeIdOfUser(tx, userId)) !== undefined
      const n = follows ? 1 : -1
      await add(tx, at, '', shardOf(tx, userId), { friends: n, linkedFriends: linked ? n : 0 })
    },

    /** A till's scan answered 200 (`link`: the scanned link's id, for the shard). */
    async scanned(tx: Tx, storeCode: string, linkId: number, at: number): Promise<void> {
      await add(tx, at, storeCode, shardOf(tx, linkId), { scans: 1 })
    },

    /** Cards created in `tx` (an import, an issued card, the demo's). */
    /**
     * `n` cards created in `tx` (an import, an issued card, the demo's); `points`: opening
     * balances written to the ledger without `ledger()` (the import's bulk insert).
     */
    async cardsCreated(tx: Tx, n: number, points: number, at: number, shardKey = 0) {
      if (n > 0 || points !== 0) {
        await add(tx, at, '', shardOf(tx, shardKey), { newCards: n, netPoints: points })
      }
    },
  }
  return stats
}

export type DailyStats = ReturnType<typeof createDailyStats>
