import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** Asia/Tokyo is UTC+9 all year (no daylight saving since 1951). */
const TOKYO_OFFSET_MS = 9 * 3_600_000
const DAY_MS = 86_400_000

/** The Asia/Tokyo day number of a time (Unix ms): days since 1970-01-01 in Tokyo. */
export function tokyoDay(at: number): number {
  return Math.floor((at + TOKYO_OFFSET_MS) / DAY_MS)
}

type Visit = { cardId: number; day: number; storeCode: string; at: number }

const visitDay = query<Visit>(
  (p) => sql`INSERT INTO member_visit_days (card_id, day) VALUES (${p.cardId}, ${p.day})
    ON CONFLICT DO NOTHING`,
)
const visitStore = query<Visit>(
  (p) => sql`INSERT INTO member_store_visits (card_id, store_code)
    VALUES (${p.cardId}, ${p.storeCode}) ON CONFLICT DO NOTHING`,
)
// The larger day wins, so entries written out of order (or on two instances) never move the
// last visit back.
const lastVisit = query<Visit>(
  (p) => sql`INSERT INTO member_facts (card_id, last_visit_day, updated_at)
    VALUES (${p.cardId}, ${p.day}, ${p.at})
    ON CONFLICT (card_id) DO UPDATE SET
      last_visit_day = CASE WHEN excluded.last_visit_day > member_facts.last_visit_day
        THEN excluded.last_visit_day ELSE member_facts.last_visit_day END,
      updated_at = excluded.updated_at`,
)

/**
 * The three writes above as one statement (data-modifying CTEs, PostgreSQL only): one round
 * trip to the database instead of three on the till's award path (docs/decisions/076).
 */
const visitAll = query<Visit>(
  (p) => sql`WITH visit_day AS (
      INSERT INTO member_visit_days (card_id, day) VALUES (${p.cardId}, ${p.day})
      ON CONFLICT DO NOTHING
    ), visit_store AS (
      INSERT INTO member_store_visits (card_id, store_code) VALUES (${p.cardId}, ${p.storeCode})
      ON CONFLICT DO NOTHING
    )
    INSERT INTO member_facts (card_id, last_visit_day, updated_at)
    VALUES (${p.cardId}, ${p.day}, ${p.at})
    ON CONFLICT (card_id) DO UPDATE SET
      last_visit_day = CASE WHEN excluded.last_visit_day > member_facts.last_visit_day
        THEN excluded.last_visit_day ELSE member_facts.last_visit_day END,
      updated_at = excluded.updated_at`,
)

/** The segment facts of members (docs/segments.md), kept with the ledger. */
export const memberFacts = {
  /**
   * Records a till transaction of `cardId` at `storeCode` at time `at`: its Tokyo day, the
   * store, and the last visit. Run in the transaction that appends the ledger entry.
   */
  async recordVisit(db: Executor, cardId: number, storeCode: string, at: number): Promise<void> {
    const v = { cardId, storeCode, at, day: tokyoDay(at) }
    if (db.dialect === 'postgres') {
      await db.run(visitAll, v)
      return
    }
    await db.run(visitDay, v)
    await db.run(visitStore, v)
    await db.run(lastVisit, v)
  },
}
