import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

const markSeen = query<{ id: string; type: string; at: number }, { id: string }>(
  (p) => sql`INSERT INTO webhook_events (webhook_event_id, type, received_at)
    VALUES (${p.id}, ${p.type}, ${p.at})
    ON CONFLICT (webhook_event_id) DO NOTHING RETURNING webhook_event_id AS id`,
)
const purge = query<{ before: number }>(
  (p) => sql`DELETE FROM webhook_events WHERE received_at < ${p.before}`,
)

/** Webhook events already handled, by `webhookEventId` (a redelivery does nothing twice). */
export const webhookEvents = {
  /**
   * Records the event as handled; false when it was already. Run it in the transaction that
   * handles the event: on PostgreSQL a second instance handling the same event waits for
   * this transaction, then finds it recorded.
   */
  markSeen: async (db: Executor, e: { id: string; type: string; at: number }) =>
    (await db.get(markSeen, e)) !== undefined,
  /** Deletes the records of events received before `before`; how many. */
  purge: (db: Executor, before: number) => db.run(purge, { before }),
}
