import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** A stored Idempotency-Key record. */
export interface IdempotencyRow {
  requestHash: string
  state: 'running' | 'done'
  responseStatus: number | null
  responseBody: string | null
  createdAt: number
}

type Key = { scope: string; key: string }

const find = query<Key, IdempotencyRow>(
  (p) => sql`SELECT request_hash AS "requestHash", state, response_status AS "responseStatus",
      response_body AS "responseBody", created_at AS "createdAt"
    FROM idempotency_keys WHERE scope = ${p.scope} AND key = ${p.key}`,
)
const claim = query<Key & { hash: string; at: number }, { key: string }>(
  (p) => sql`INSERT INTO idempotency_keys (scope, key, request_hash, state, created_at)
    VALUES (${p.scope}, ${p.key}, ${p.hash}, 'running', ${p.at})
    ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
)
const takeOver = query<Key & { hash: string; at: number }>(
  (p) => sql`UPDATE idempotency_keys SET request_hash = ${p.hash}, state = 'running',
      response_status = NULL, response_body = NULL, created_at = ${p.at}
    WHERE scope = ${p.scope} AND key = ${p.key}`,
)
const complete = query<Key & { status: number; body: string }>(
  (p) => sql`UPDATE idempotency_keys SET state = 'done', response_status = ${p.status},
      response_body = ${p.body}
    WHERE scope = ${p.scope} AND key = ${p.key}`,
)
const purge = query<{ before: number }>(
  (p) => sql`DELETE FROM idempotency_keys WHERE created_at < ${p.before}`,
)

/** Idempotency-Key records of mutating staff calls. */
export const idempotencyKeys = {
  find: (db: Executor, scope: string, key: string) => db.get(find, { scope, key }),
  /**
   * Claims the key with a unique insert; false when a record exists. On PostgreSQL a claim
   * racing an uncommitted one waits for it to commit or roll back.
   */
  claim: async (db: Executor, c: Key & { hash: string; at: number }) =>
    (await db.get(claim, c)) !== undefined,
  /** Claims a record that no longer counts (past its retention, or left running). */
  takeOver: (db: Executor, c: Key & { hash: string; at: number }) => db.run(takeOver, c),
  complete: (db: Executor, c: Key & { status: number; body: string }) => db.run(complete, c),
  /** Deletes records created before `before`; how many. */
  purge: (db: Executor, before: number) => db.run(purge, { before }),
}
