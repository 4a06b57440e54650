import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

type Take = { key: string; window: number; n: number; limit: number }

// One atomic statement: a later window starts over; the current one grows unless that would
// pass the limit, in which case nothing changes and no row comes back. A caller whose clock
// is behind the stored window counts against the stored one.
const take = query<Take, { used: number }>(
  (
    p,
  ) => sql`INSERT INTO rate_windows (key, window_start, used) VALUES (${p.key}, ${p.window}, ${p.n})
    ON CONFLICT (key) DO UPDATE SET
      window_start = CASE WHEN rate_windows.window_start < excluded.window_start
        THEN excluded.window_start ELSE rate_windows.window_start END,
      used = CASE WHEN rate_windows.window_start < excluded.window_start
        THEN excluded.used ELSE rate_windows.used + excluded.used END
    WHERE rate_windows.window_start < excluded.window_start
       OR rate_windows.used + excluded.used <= ${p.limit}
    RETURNING used`,
)

/**
 * Calls per one-second window, per key, shared by every instance on the database: a fixed
 * window counter moved by one `INSERT … ON CONFLICT DO UPDATE … RETURNING`.
 */
export const rateWindows = {
  /**
   * Takes `n` calls (at most `limit`) of the window starting at `window` (Unix ms, a whole
   * second): all of them, or none (false) when fewer than `n` are left.
   */
  take: async (db: Executor, t: Take) => (await db.get(take, t)) !== undefined,
}
