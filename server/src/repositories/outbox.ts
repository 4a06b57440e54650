import { type Placeholder, type SQL, sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** A row to queue. */
export interface OutboxInsert {
  kind: string
  userId: string | null
  /** JSON. */
  payload: string
  retryKey: string
  at: number
}

/** A row a worker has just claimed. */
export interface ClaimedOutboxRow {
  id: number
  kind: string
  lineUserId: string | null
  payload: string
  retryKey: string
  /** This attempt's number (1 for the first). */
  attempts: number
}

/** Which claim an outcome belongs to: the row and the time it was claimed at. */
export interface ClaimRef {
  id: number
  claimedAt: number
}

const insert = query<OutboxInsert, { id: number }>(
  (
    p,
  ) => sql`INSERT INTO outbox (kind, line_user_id, payload, retry_key, next_attempt_at, created_at)
    VALUES (${p.kind}, ${p.userId}, ${p.payload}, ${p.retryKey}, ${p.at}, ${p.at})
    ON CONFLICT (retry_key) DO NOTHING RETURNING id`,
)

type ClaimParams = { now: number; leaseCutoff: number; limit: number }

/**
 * Claims up to `limit` due rows, oldest first, and counts the attempt. A row is due when it
 * is neither sent nor given up, its next attempt time has come, and nobody holds a live claim
 * on it. A row of a user also waits while an earlier unfinished row of the same user
 *   - is a push and this row is a push (one user's pushes go out in queue order, even while
 *     the earlier one is in backoff),
 *   - is claimed (being sent right now, by any worker), or
 *   - is due itself (it goes first), unless it is a push held back by an earlier push.
 * So one claim takes at most one row per user, and two workers never send one user's calls
 * at the same time. `lock` is PostgreSQL's `FOR UPDATE SKIP LOCKED`: rows another worker is
 * claiming at this moment are skipped, not waited for (SQLite's write transaction is
 * exclusive, so nothing is being claimed meanwhile).
 */
function claimSql(p: { readonly [K in keyof ClaimParams]: Placeholder }, lock: SQL): SQL {
  return sql`UPDATE outbox SET claimed_at = ${p.now}, attempts = attempts + 1
    WHERE id IN (
      SELECT o.id FROM outbox o
       WHERE o.sent_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ${p.now}
         AND (o.claimed_at IS NULL OR o.claimed_at < ${p.leaseCutoff})
         AND NOT (o.line_user_id IS NOT NULL AND EXISTS (
           SELECT 1 FROM outbox e
            WHERE e.line_user_id = o.line_user_id AND e.id < o.id
              AND e.sent_at IS NULL AND e.failed_at IS NULL
              AND ((e.kind = 'push' AND o.kind = 'push')
                OR e.claimed_at >= ${p.leaseCutoff}
                OR (e.next_attempt_at <= ${p.now} AND NOT (e.kind = 'push' AND EXISTS (
                  SELECT 1 FROM outbox f
                   WHERE f.line_user_id = e.line_user_id AND f.id < e.id AND f.kind = 'push'
                     AND f.sent_at IS NULL AND f.failed_at IS NULL))))))
       ORDER BY o.id LIMIT ${p.limit}${lock})
    RETURNING id, kind, line_user_id AS "lineUserId", payload, retry_key AS "retryKey", attempts`
}
const claim = query<ClaimParams, ClaimedOutboxRow>((p) => claimSql(p, sql``))
const claimSkipLocked = query<ClaimParams, ClaimedOutboxRow>((p) =>
  claimSql(p, sql` FOR UPDATE SKIP LOCKED`),
)

// The outcome of a claim is recorded only by the claim that is still current: a worker whose
// lease ran out (and whose row another worker claimed again) changes nothing.
const markSent = query<ClaimRef & { at: number; note: string | null }>(
  (p) => sql`UPDATE outbox SET sent_at = ${p.at}, claimed_at = NULL, last_error = ${p.note}
    WHERE id = ${p.id} AND claimed_at = ${p.claimedAt}`,
)
const markFailed = query<ClaimRef & { at: number; error: string }>(
  (p) => sql`UPDATE outbox SET failed_at = ${p.at}, claimed_at = NULL, last_error = ${p.error}
    WHERE id = ${p.id} AND claimed_at = ${p.claimedAt}`,
)
const reschedule = query<ClaimRef & { next: number; error: string }>(
  (p) => sql`UPDATE outbox SET next_attempt_at = ${p.next}, claimed_at = NULL,
      last_error = ${p.error}
    WHERE id = ${p.id} AND claimed_at = ${p.claimedAt}`,
)
const releaseClaims = query(
  () => sql`UPDATE outbox SET claimed_at = NULL WHERE claimed_at IS NOT NULL`,
)
const purge = query<{ before: number }>(
  (p) => sql`DELETE FROM outbox WHERE sent_at < ${p.before} OR failed_at < ${p.before}`,
)

/**
 * The outbox: Messaging API calls queued in the transaction of the change that causes them,
 * claimed and sent by the workers (line/outbox.ts).
 */
const backlog = query<Record<string, never>, { n: number; oldest: number | null }>(
  () => sql`SELECT count(*) AS n, min(created_at) AS oldest FROM outbox
    WHERE sent_at IS NULL AND failed_at IS NULL`,
)

/**
 * Messages queued but not sent that LINE will count against the month's quota: one per push,
 * one per recipient of a multicast (replies are free).
 */
const pendingQuotaSqlite = query<Record<string, never>, { n: number | string | null }>(
  () => sql`SELECT SUM(CASE kind WHEN 'push' THEN 1
      WHEN 'multicast' THEN json_array_length(payload, '$.to') ELSE 0 END) AS n
    FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL`,
)
const pendingQuotaPg = query<Record<string, never>, { n: number | string | null }>(
  () => sql`SELECT SUM(CASE kind WHEN 'push' THEN 1
      WHEN 'multicast' THEN json_array_length(payload::json -> 'to') ELSE 0 END) AS n
    FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL`,
)

export const outbox = {
  /** Queues a row; false when a row with its retry key exists already. */
  insert: async (db: Executor, row: OutboxInsert) => (await db.get(insert, row)) !== undefined,
  /** Claims up to `limit` due rows (see `claimSql`), oldest first. */
  async claim(db: Executor, c: ClaimParams): Promise<ClaimedOutboxRow[]> {
    const rows = await db.all(db.dialect === 'postgres' ? claimSkipLocked : claim, c)
    return rows.sort((a, b) => a.id - b.id)
  },
  /** Each of these is true when the claim was still current (and so recorded). */
  markSent: async (db: Executor, r: ClaimRef & { at: number; note: string | null }) =>
    (await db.run(markSent, r)) === 1,
  markFailed: async (db: Executor, r: ClaimRef & { at: number; error: string }) =>
    (await db.run(markFailed, r)) === 1,
  /**
   * Gives up, with one error, on rows claimed at `claimedAt` (rows another claim has taken
   * since are left alone): one statement for a chunk's rows instead of one per row.
   */
  async markManyFailed(
    db: Executor,
    r: { ids: number[]; claimedAt: number; at: number; error: string },
  ): Promise<void> {
    if (r.ids.length === 0) return
    const ids = sql.join(
      r.ids.map((id) => sql`${id}`),
      sql`, `,
    )
    await db.execute(sql`UPDATE outbox SET failed_at = ${r.at}, claimed_at = NULL,
        last_error = ${r.error}
      WHERE claimed_at = ${r.claimedAt} AND id IN (${ids})`)
  },
  reschedule: async (db: Executor, r: ClaimRef & { next: number; error: string }) =>
    (await db.run(reschedule, r)) === 1,
  /**
   * Gives up, with `error`, on the rows of these retry keys that are neither sent, given up nor
   * claimed by a live claim (a cancelled campaign's unsent batches); returns their payloads.
   */
  async cancelUnsent(
    db: Executor,
    r: { retryKeys: string[]; at: number; leaseCutoff: number; error: string },
  ): Promise<{ payload: string }[]> {
    if (r.retryKeys.length === 0) return []
    const keys = sql.join(
      r.retryKeys.map((k) => sql`${k}`),
      sql`, `,
    )
    return db.execute<{ payload: string }>(sql`UPDATE outbox SET failed_at = ${r.at},
        claimed_at = NULL, last_error = ${r.error}
      WHERE retry_key IN (${keys}) AND sent_at IS NULL AND failed_at IS NULL
        AND (claimed_at IS NULL OR claimed_at < ${r.leaseCutoff})
      RETURNING payload`)
  },
  /** Drops every claim (a database only one process uses, at its start); how many. */
  releaseClaims: (db: Executor) => db.run(releaseClaims, {}),
  /** Deletes rows sent or given up before `before`; how many. */
  purge: (db: Executor, before: number) => db.run(purge, { before }),
  /** Messages queued, not yet sent, that will count against LINE's monthly quota. */
  pendingQuotaMessages: async (db: Executor): Promise<number> =>
    Number(
      (await db.get(db.dialect === 'postgres' ? pendingQuotaPg : pendingQuotaSqlite, {}))?.n ?? 0,
    ),
  /** Rows neither sent nor given up on, and when the oldest of them was queued. */
  backlog: async (db: Executor) => (await db.get(backlog, {})) ?? { n: 0, oldest: null },
}
