import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

export type CampaignStatus = 'scheduled' | 'sending' | 'sent' | 'cancelled' | 'failed'

/** A campaign as stored (segment and messages as JSON text). */
export interface CampaignRow {
  id: number
  name: string
  status: CampaignStatus
  segment: string
  messages: string
  aggregationUnit: string
  scheduledAt: number | null
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
  recipients: number
  sent: number
  failed: number
  excludedOptedOut: number
  excludedBlocked: number
  excludedCap: number
  batches: number
  pendingBatches: number
  error: string | null
}

const columns = sql`id, name, status, segment, messages, aggregation_unit AS "aggregationUnit",
  scheduled_at AS "scheduledAt", created_at AS "createdAt", started_at AS "startedAt",
  finished_at AS "finishedAt", recipients, sent, failed, excluded_opted_out AS "excludedOptedOut",
  excluded_blocked AS "excludedBlocked", excluded_cap AS "excludedCap", batches,
  pending_batches AS "pendingBatches", error`

type Insert = {
  startedAt: number | null
  name: string
  status: CampaignStatus
  segment: string
  messages: string
  unit: string
  scheduledAt: number | null
  by: string
  at: number
}
const insert = query<Insert, { id: number }>(
  (p) => sql`INSERT INTO campaigns (name, status, segment, messages, aggregation_unit,
      scheduled_at, created_by, created_at, started_at)
    VALUES (${p.name}, ${p.status}, ${p.segment}, ${p.messages}, ${p.unit}, ${p.scheduledAt},
      ${p.by}, ${p.at}, ${p.startedAt})
    RETURNING id`,
)
const byId = query<{ id: number }, CampaignRow>(
  (p) => sql`SELECT ${columns} FROM campaigns WHERE id = ${p.id}`,
)
const page = query<{ before: number; limit: number }, CampaignRow>(
  (p) => sql`SELECT ${columns} FROM campaigns WHERE id < ${p.before} ORDER BY id DESC
    LIMIT ${p.limit}`,
)
const due = query<{ now: number }, { id: number }>(
  (p) => sql`SELECT id FROM campaigns WHERE status = 'scheduled' AND scheduled_at <= ${p.now}
    ORDER BY scheduled_at, id LIMIT 20`,
)
const claimStart = query<{ id: number; at: number }, { id: number }>(
  (p) => sql`UPDATE campaigns SET status = 'sending', started_at = ${p.at}
    WHERE id = ${p.id} AND status = 'scheduled' RETURNING id`,
)
type Queued = {
  status: CampaignStatus
  finishedAt: number | null
  id: number
  recipients: number
  optedOut: number
  blocked: number
  cap: number
  batches: number
  at: number
}
const setQueued = query<Queued>(
  (p) => sql`UPDATE campaigns SET recipients = ${p.recipients},
      excluded_opted_out = ${p.optedOut}, excluded_blocked = ${p.blocked},
      excluded_cap = ${p.cap}, batches = ${p.batches}, pending_batches = ${p.batches},
      status = ${p.status}, finished_at = ${p.finishedAt}
    WHERE id = ${p.id}`,
)
const settle = query<{ id: number; sent: number; failed: number; batches: number }>(
  (p) => sql`UPDATE campaigns SET sent = sent + ${p.sent}, failed = failed + ${p.failed},
      pending_batches = pending_batches - ${p.batches}
    WHERE id = ${p.id}`,
)
// Once no batch is pending: sent (failed when none went out); a cancelled one keeps its status.
const finish = query<{ id: number; at: number }>(
  (p) => sql`UPDATE campaigns SET finished_at = ${p.at},
      status = CASE WHEN status <> 'sending' THEN status
        WHEN sent = 0 AND failed > 0 THEN 'failed' ELSE 'sent' END
    WHERE id = ${p.id} AND pending_batches <= 0 AND finished_at IS NULL
      AND status IN ('sending', 'cancelled')`,
)
const cancel = query<{ id: number; at: number }, { previous: string }>(
  (p) => sql`UPDATE campaigns SET status = 'cancelled',
      finished_at = CASE WHEN status = 'scheduled' THEN ${p.at} ELSE finished_at END
    WHERE id = ${p.id} AND status IN ('scheduled', 'sending')
    RETURNING CASE WHEN finished_at IS NULL THEN 'sending' ELSE 'scheduled' END AS previous`,
)
const fail = query<{ id: number; at: number; error: string }>(
  (p) => sql`UPDATE campaigns SET status = 'failed', finished_at = ${p.at}, error = ${p.error}
    WHERE id = ${p.id}`,
)
const statusOf = query<{ id: number }, { status: CampaignStatus }>(
  (p) => sql`SELECT status FROM campaigns WHERE id = ${p.id}`,
)

const numeric = [
  'id',
  'scheduledAt',
  'createdAt',
  'startedAt',
  'finishedAt',
  'recipients',
  'sent',
  'failed',
  'excludedOptedOut',
  'excludedBlocked',
  'excludedCap',
  'batches',
  'pendingBatches',
] as const

function normalise(r: CampaignRow): CampaignRow {
  const out = { ...r }
  for (const k of numeric) {
    const v = r[k]
    ;(out as Record<string, unknown>)[k] = v === null ? null : Number(v)
  }
  return out
}

/** Campaigns and their counters (services/campaigns.ts). */
export const campaigns = {
  insert: async (db: Executor, r: Omit<Insert, 'startedAt'>) => {
    const row = await db.get(insert, { ...r, startedAt: r.status === 'sending' ? r.at : null })
    if (!row) throw new Error('campaign not inserted')
    return Number(row.id)
  },
  byId: async (db: Executor, id: number) => {
    const row = await db.get(byId, { id })
    return row ? normalise(row) : undefined
  },
  /** Newest first, IDs below `before`. */
  page: async (db: Executor, before: number, limit: number) =>
    (await db.all(page, { before, limit })).map(normalise),
  /** Scheduled campaigns whose time has come (at most 20). */
  due: async (db: Executor, now: number) => (await db.all(due, { now })).map((r) => Number(r.id)),
  /** Scheduled → sending; true for the one caller that made the change. */
  claimStart: async (db: Executor, id: number, at: number) =>
    (await db.get(claimStart, { id, at })) !== undefined,
  /** Records what was queued; a campaign with nobody to send to is sent at once. */
  setQueued: (db: Executor, q: Omit<Queued, 'status' | 'finishedAt'>) =>
    db.run(setQueued, {
      ...q,
      status: q.batches === 0 ? 'sent' : 'sending',
      finishedAt: q.batches === 0 ? q.at : null,
    }),
  /** Adds a settled batch's outcome (or `batches` cancelled ones) and finishes when none is left. */
  async settle(
    db: Executor,
    s: { id: number; sent: number; failed: number; batches: number; at: number },
  ): Promise<void> {
    await db.run(settle, s)
    await db.run(finish, { id: s.id, at: s.at })
  },
  /** Scheduled or sending → cancelled; the previous status, or undefined when neither. */
  cancel: async (db: Executor, id: number, at: number) =>
    (await db.get(cancel, { id, at }))?.previous as 'scheduled' | 'sending' | undefined,
  fail: (db: Executor, id: number, at: number, error: string) => db.run(fail, { id, at, error }),
  status: async (db: Executor, id: number) => (await db.get(statusOf, { id }))?.status,
}
