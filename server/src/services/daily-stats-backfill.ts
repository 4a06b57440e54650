import type { Database } from '../db/seam.ts'
import { dailyStats } from '../repositories/daily-stats.ts'
import { dailyStatsBackfill } from '../repositories/daily-stats-backfill.ts'
import { utcOffsetMs } from './calendar.ts'

/**
 * Fills the daily counters from the existing data, once: when the table is empty and the
 * database holds cards or friends (an installation upgraded to the dashboard). Runs at start
 * before the server serves, in one transaction (all of it or nothing), one instance at a
 * time: the others find the counters filled and do nothing. True when it filled them.
 *
 * Exact for the ledger's figures (points by kind, awards, redeems, purchases, visits, active
 * members), links, unlinks and cards. Not kept before the counters existed, so not
 * recoverable: scans (0 before), and the history of friendships (each current friend counts
 * from the day of their last follow; earlier unfollows are unknown). Days use the zone's
 * offset at the time of the backfill (exact for zones without daylight saving time, such as
 * Asia/Tokyo). docs/decisions/045-daily-counters.md.
 */
export async function backfillDailyStats(
  db: Database,
  timeZone: string,
  now: number,
): Promise<boolean> {
  if (await dailyStats.any(db)) return false
  return db.transaction(async (tx) => {
    await dailyStatsBackfill.lock(tx)
    if ((await dailyStats.any(tx)) || !(await dailyStatsBackfill.hasData(tx))) return false
    await dailyStatsBackfill.run(tx, utcOffsetMs(timeZone, now))
    return true
  })
}
