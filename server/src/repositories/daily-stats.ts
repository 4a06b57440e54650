import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/**
 * The daily counters (table `daily_stats`, docs/decisions/045-daily-counters.md): increments
 * only, each an upsert that adds to the row of (day, store, shard), so concurrent
 * transactions (several instances on PostgreSQL) never lose one another's counts: the
 * conflicting upsert waits for the row lock and adds to the committed value.
 */

/** What one upsert adds. Every field is a signed change (0: unchanged). */
export interface StatCounts {
  newLinks: number
  unlinks: number
  /** Linked members who are also friends: +1 / −1 as a link or a friendship begins or ends. */
  linkedFriends: number
  /** Friends: +1 on a follow of a non-friend, −1 on an unfollow of a friend. */
  friends: number
  newCards: number
  bonusPoints: number
  pointsAwarded: number
  pointsRedeemed: number
  pointsExpired: number
  /** Every ledger change, signed: its sum over all days is the sum of all balances. */
  netPoints: number
  scans: number
  awards: number
  redeems: number
  visitsLinked: number
  visitsUnlinked: number
  purchasesLinked: number
  purchaseYenLinked: number
  purchasesUnlinked: number
  purchaseYenUnlinked: number
  /** Changes of the number of members active in a 30-day (90-day) window ending that day. */
  active30: number
  active90: number
}

export const STAT_FIELDS = [
  ['newLinks', 'new_links'],
  ['unlinks', 'unlinks'],
  ['linkedFriends', 'linked_friends'],
  ['friends', 'friends'],
  ['newCards', 'new_cards'],
  ['bonusPoints', 'bonus_points'],
  ['pointsAwarded', 'points_awarded'],
  ['pointsRedeemed', 'points_redeemed'],
  ['pointsExpired', 'points_expired'],
  ['netPoints', 'net_points'],
  ['scans', 'scans'],
  ['awards', 'awards'],
  ['redeems', 'redeems'],
  ['visitsLinked', 'visits_linked'],
  ['visitsUnlinked', 'visits_unlinked'],
  ['purchasesLinked', 'purchases_linked'],
  ['purchaseYenLinked', 'purchase_yen_linked'],
  ['purchasesUnlinked', 'purchases_unlinked'],
  ['purchaseYenUnlinked', 'purchase_yen_unlinked'],
  ['active30', 'active30'],
  ['active90', 'active90'],
] as const satisfies ReadonlyArray<readonly [keyof StatCounts, string]>

/** All zeros. */
export function noCounts(): StatCounts {
  return Object.fromEntries(STAT_FIELDS.map(([k]) => [k, 0])) as unknown as StatCounts
}

type Key = { day: number; storeCode: string; shard: number }

const columnList = sql.raw(STAT_FIELDS.map(([, c]) => c).join(', '))
const increments = sql.raw(
  STAT_FIELDS.map(([, c]) => `${c} = daily_stats.${c} + excluded.${c}`).join(', '),
)

const add = query<Key & StatCounts>(
  (p) => sql`INSERT INTO daily_stats (day, store_code, shard, ${columnList})
    VALUES (${p.day}, ${p.storeCode}, ${p.shard}, ${sql.join(
      STAT_FIELDS.map(([k]) => p[k]),
      sql`, `,
    )})
    ON CONFLICT (day, store_code, shard) DO UPDATE SET ${increments}`,
)

/** Sums as of the end of three days, over every store and shard (states, not flows). */
export interface StateSums {
  friends: number
  linkedMembers: number
  linkedFriends: number
  cards: number
  outstanding: number
  active30: number
  active90: number
}
const stateColumns = (p: { upTo: unknown }, alias: string) => sql`
    COALESCE(SUM(CASE WHEN day <= ${p.upTo} THEN friends ELSE 0 END), 0) AS ${sql.raw(`"${alias}Friends"`)},
    COALESCE(SUM(CASE WHEN day <= ${p.upTo} THEN new_links - unlinks ELSE 0 END), 0) AS ${sql.raw(`"${alias}LinkedMembers"`)},
    COALESCE(SUM(CASE WHEN day <= ${p.upTo} THEN linked_friends ELSE 0 END), 0) AS ${sql.raw(`"${alias}LinkedFriends"`)},
    COALESCE(SUM(CASE WHEN day <= ${p.upTo} THEN new_cards ELSE 0 END), 0) AS ${sql.raw(`"${alias}Cards"`)},
    COALESCE(SUM(CASE WHEN day <= ${p.upTo} THEN net_points ELSE 0 END), 0) AS ${sql.raw(`"${alias}Outstanding"`)},
    COALESCE(SUM(CASE WHEN day <= ${p.upTo} THEN active30 ELSE 0 END), 0) AS ${sql.raw(`"${alias}Active30"`)},
    COALESCE(SUM(CASE WHEN day <= ${p.upTo} THEN active90 ELSE 0 END), 0) AS ${sql.raw(`"${alias}Active90"`)}`

type StatesRow = Record<string, number | string>
const states = query<{ a: number; b: number; c: number }, StatesRow>(
  (p) => sql`SELECT ${stateColumns({ upTo: p.a }, 'a')}, ${stateColumns({ upTo: p.b }, 'b')},
      ${stateColumns({ upTo: p.c }, 'c')}
    FROM daily_stats`,
)

/** The flows of one day, summed over stores and shards. */
export type DayRow = { day: number } & StatCounts
/** A store's till activity over a period. */
export interface StoreRow {
  storeCode: string
  scans: number
  awards: number
  redeems: number
}
const flowSums = sql.raw(STAT_FIELDS.map(([k, c]) => `COALESCE(SUM(${c}), 0) AS "${k}"`).join(', '))
// Per day and per store apart (not per day and store): rows grow with days plus stores.
const byDay = query<{ from: number; to: number }, DayRow>(
  (p) => sql`SELECT day, ${flowSums} FROM daily_stats
    WHERE day >= ${p.from} AND day <= ${p.to} GROUP BY day ORDER BY day`,
)
const byStore = query<{ from: number; to: number }, StoreRow>(
  (p) => sql`SELECT store_code AS "storeCode", COALESCE(SUM(scans), 0) AS scans,
      COALESCE(SUM(awards), 0) AS awards, COALESCE(SUM(redeems), 0) AS redeems
    FROM daily_stats WHERE day >= ${p.from} AND day <= ${p.to} AND store_code <> ''
    GROUP BY store_code ORDER BY store_code`,
)
const periodSum = query<{ from: number; to: number }, StatCounts>(
  (p) => sql`SELECT ${flowSums} FROM daily_stats WHERE day >= ${p.from} AND day <= ${p.to}`,
)

const anyRow = query<Record<string, never>, { one: number }>(
  () => sql`SELECT 1 AS one FROM daily_stats LIMIT 1`,
)

/** Every column of the table summed over every row (tests compare it with a recomputation). */
const totals = query<Record<string, never>, StatCounts>(
  () => sql`SELECT ${flowSums} FROM daily_stats`,
)

const num = (v: unknown) => Number(v ?? 0)

/** Daily counters: increments, and the sums the dashboard reads. */
export const dailyStats = {
  /** Adds `counts` to the row of (day, store, shard), creating it when missing. */
  /**
   * Adds `c` (absent fields: 0) to the row of `key`. The parameters are one object literal:
   * spreading the key and 21 counts into one object cost an award ~25 µs (decision 102).
   */
  add: (db: Executor, key: Key, c: Partial<StatCounts>) =>
    db.run(add, {
      day: key.day,
      storeCode: key.storeCode,
      shard: key.shard,
      newLinks: c.newLinks ?? 0,
      unlinks: c.unlinks ?? 0,
      linkedFriends: c.linkedFriends ?? 0,
      friends: c.friends ?? 0,
      newCards: c.newCards ?? 0,
      bonusPoints: c.bonusPoints ?? 0,
      pointsAwarded: c.pointsAwarded ?? 0,
      pointsRedeemed: c.pointsRedeemed ?? 0,
      pointsExpired: c.pointsExpired ?? 0,
      netPoints: c.netPoints ?? 0,
      scans: c.scans ?? 0,
      awards: c.awards ?? 0,
      redeems: c.redeems ?? 0,
      visitsLinked: c.visitsLinked ?? 0,
      visitsUnlinked: c.visitsUnlinked ?? 0,
      purchasesLinked: c.purchasesLinked ?? 0,
      purchaseYenLinked: c.purchaseYenLinked ?? 0,
      purchasesUnlinked: c.purchasesUnlinked ?? 0,
      purchaseYenUnlinked: c.purchaseYenUnlinked ?? 0,
      active30: c.active30 ?? 0,
      active90: c.active90 ?? 0,
    }),
  /** States (friends, linked members, ...) as of the end of days a, b and c. */
  async statesAt(
    db: Executor,
    a: number,
    b: number,
    c: number,
  ): Promise<[StateSums, StateSums, StateSums]> {
    const row = (await db.get(states, { a, b, c })) ?? {}
    const at = (x: string): StateSums => ({
      friends: num(row[`${x}Friends`]),
      linkedMembers: num(row[`${x}LinkedMembers`]),
      linkedFriends: num(row[`${x}LinkedFriends`]),
      cards: num(row[`${x}Cards`]),
      outstanding: num(row[`${x}Outstanding`]),
      active30: num(row[`${x}Active30`]),
      active90: num(row[`${x}Active90`]),
    })
    return [at('a'), at('b'), at('c')]
  },
  /** Flows per day in [from, to] (days, both included); days with no row are left out. */
  async byDay(db: Executor, from: number, to: number): Promise<DayRow[]> {
    const rows = await db.all(byDay, { from, to })
    return rows.map((r) => {
      const out = { day: num(r.day) } as DayRow
      for (const [k] of STAT_FIELDS) out[k] = num(r[k])
      return out
    })
  },
  /** Till activity per store in [from, to]. */
  async byStore(db: Executor, from: number, to: number): Promise<StoreRow[]> {
    const rows = await db.all(byStore, { from, to })
    return rows.map((r) => ({
      storeCode: r.storeCode,
      scans: num(r.scans),
      awards: num(r.awards),
      redeems: num(r.redeems),
    }))
  },
  /** Flows summed over [from, to]. */
  async sum(db: Executor, from: number, to: number): Promise<StatCounts> {
    const r: Partial<StatCounts> = (await db.get(periodSum, { from, to })) ?? {}
    const out = noCounts()
    for (const [k] of STAT_FIELDS) out[k] = num(r[k])
    return out
  },
  /** True when any counter row exists. */
  any: async (db: Executor) => (await db.get(anyRow, {})) !== undefined,
  /** Every column summed over every row. */
  async totals(db: Executor): Promise<StatCounts> {
    const r = (await db.get(totals, {})) ?? noCounts()
    const out = noCounts()
    for (const [k] of STAT_FIELDS) out[k] = num(r[k])
    return out
  },
}
