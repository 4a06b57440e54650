import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** An automation's stored configuration (messages and params as JSON text). */
export interface AutomationRow {
  kind: string
  enabled: number
  messages: string
  params: string
}

/** A run as the console lists it. */
export interface AutomationRunRow {
  id: number
  kind: string
  runDate: string
  startedAt: number
  finishedAt: number | null
  targeted: number
  sent: number
  excluded: number
  failed: number
}

const configs = query<Record<string, never>, AutomationRow>(
  () => sql`SELECT kind, enabled, messages, params FROM automations ORDER BY kind`,
)
const put = query<AutomationRow & { at: number }>(
  (p) => sql`INSERT INTO automations (kind, enabled, messages, params, updated_at)
    VALUES (${p.kind}, ${p.enabled}, ${p.messages}, ${p.params}, ${p.at})
    ON CONFLICT (kind) DO UPDATE SET enabled = excluded.enabled, messages = excluded.messages,
      params = excluded.params, updated_at = excluded.updated_at`,
)
const runColumns = sql`id, kind, run_date AS "runDate", started_at AS "startedAt",
  finished_at AS "finishedAt", targeted, sent, excluded, failed`
// The day's run of a kind is taken once: of two instances inserting at once, one gets the row
// (the other waits for its commit, then finds the key taken).
const startRun = query<{ kind: string; runDate: string; at: number }, { id: number }>(
  (p) => sql`INSERT INTO automation_runs (kind, run_date, started_at)
    VALUES (${p.kind}, ${p.runDate}, ${p.at})
    ON CONFLICT (kind, run_date) DO NOTHING RETURNING id`,
)
type Queued = {
  id: number
  targeted: number
  excluded: number
  batches: number
  finishedAt: number | null
}
const setQueued = query<Queued>(
  (p) => sql`UPDATE automation_runs SET targeted = ${p.targeted}, excluded = ${p.excluded},
      pending_batches = ${p.batches},
      finished_at = ${p.finishedAt}
    WHERE id = ${p.id}`,
)
const settle = query<{ id: number; sent: number; failed: number; at: number }>(
  (p) => sql`UPDATE automation_runs SET sent = sent + ${p.sent}, failed = failed + ${p.failed},
      pending_batches = pending_batches - 1,
      finished_at = CASE WHEN pending_batches - 1 <= 0 THEN ${p.at} ELSE finished_at END
    WHERE id = ${p.id}`,
)
const runsPage = query<{ before: number; limit: number }, AutomationRunRow>(
  (p) => sql`SELECT ${runColumns} FROM automation_runs WHERE id < ${p.before}
    ORDER BY id DESC LIMIT ${p.limit}`,
)
const lastRuns = query<Record<string, never>, AutomationRunRow>(
  () => sql`SELECT ${runColumns} FROM automation_runs r
    WHERE r.id = (SELECT max(id) FROM automation_runs x WHERE x.kind = r.kind)`,
)

function normaliseRun(r: AutomationRunRow): AutomationRunRow {
  return {
    ...r,
    id: Number(r.id),
    startedAt: Number(r.startedAt),
    finishedAt: r.finishedAt === null ? null : Number(r.finishedAt),
    targeted: Number(r.targeted),
    sent: Number(r.sent),
    excluded: Number(r.excluded),
    failed: Number(r.failed),
  }
}

/** Automated messages: their configuration, their daily runs, and who got which occurrence. */
export const automations = {
  configs: (db: Executor) => db.all(configs, {}),
  put: (db: Executor, r: AutomationRow & { at: number }) => db.run(put, r),
  /** Takes the run of `kind` on `runDate`; its ID, or undefined when it was taken before. */
  startRun: async (db: Executor, r: { kind: string; runDate: string; at: number }) => {
    const row = await db.get(startRun, r)
    return row ? Number(row.id) : undefined
  },
  /** Records what a run queued; a run with nothing to send is finished at once. */
  setQueued: (db: Executor, q: Omit<Queued, 'finishedAt'> & { at: number }) =>
    db.run(setQueued, { ...q, finishedAt: q.batches === 0 ? q.at : null }),
  /** Adds a settled batch's outcome to its run. */
  settle: (db: Executor, s: { id: number; sent: number; failed: number; at: number }) =>
    db.run(settle, s),
  runsPage: async (db: Executor, before: number, limit: number) =>
    (await db.all(runsPage, { before, limit })).map(normaliseRun),
  /** The newest run of each kind. */
  lastRuns: async (db: Executor) => (await db.all(lastRuns, {})).map(normaliseRun),
  /** Of these cards (≤ 500), the `cardId:occurrence` pairs that got `kind` before. */
  async sentBefore(db: Executor, kind: string, cardIds: readonly number[]): Promise<Set<string>> {
    if (cardIds.length === 0) return new Set()
    const ids = sql.join(
      cardIds.map((id) => sql`${id}`),
      sql`, `,
    )
    const rows = await db.execute<{ cardId: number | string; occurrence: string }>(
      sql`SELECT card_id AS "cardId", occurrence FROM automation_sends
        WHERE kind = ${kind} AND card_id IN (${ids})`,
    )
    return new Set(rows.map((r) => `${Number(r.cardId)}:${r.occurrence}`))
  },
  /**
   * Records that these cards got `kind` for their occurrence; returns the card IDs recorded
   * now (an occurrence messaged before is left out).
   */
  async recordSends(
    db: Executor,
    kind: string,
    sends: readonly { cardId: number; occurrence: string }[],
    at: number,
  ): Promise<Set<number>> {
    if (sends.length === 0) return new Set()
    const values = sql.join(
      sends.map((s) => sql`(${kind}, ${s.cardId}, ${s.occurrence}, ${at})`),
      sql`, `,
    )
    const rows = await db.execute<{ cardId: number | string }>(
      sql`INSERT INTO automation_sends (kind, card_id, occurrence, sent_at) VALUES ${values}
        ON CONFLICT (kind, card_id, occurrence) DO NOTHING RETURNING card_id AS "cardId"`,
    )
    return new Set(rows.map((r) => Number(r.cardId)))
  },
}
