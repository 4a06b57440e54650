import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** A POS API key as head office sees it (never the key itself, nor its hash). */
export interface ApiKeyRow {
  id: number
  prefix: string
  storeCode: string
  storeName: string | null
  name: string
  /** Comma-separated scopes. */
  scopes: string
  createdBy: string
  createdAt: number
  lastUsedAt: number | null
  revokedAt: number | null
}

/** A live key, found by its hash: what a request acts as. */
export interface LiveApiKey {
  id: number
  prefix: string
  storeCode: string
  storeName: string
  scopes: string
  lastUsedAt: number | null
}

const COLUMNS = sql`k.id, k.prefix, k.store_code AS "storeCode", s.name AS "storeName", k.name,
  k.scopes, k.created_by AS "createdBy", k.created_at AS "createdAt",
  k.last_used_at AS "lastUsedAt", k.revoked_at AS "revokedAt"`

const insert = query<
  {
    prefix: string
    hash: string
    storeCode: string
    name: string
    scopes: string
    by: string
    at: number
  },
  { id: number }
>(
  (p) => sql`INSERT INTO api_keys (prefix, key_hash, store_code, name, scopes, created_by,
      created_at)
    VALUES (${p.prefix}, ${p.hash}, ${p.storeCode}, ${p.name}, ${p.scopes}, ${p.by}, ${p.at})
    ON CONFLICT DO NOTHING RETURNING id`,
)
// A key of a closed store acts no more.
const live = query<{ hash: string }, LiveApiKey>(
  (p) => sql`SELECT k.id, k.prefix, k.store_code AS "storeCode", s.name AS "storeName",
      k.scopes, k.last_used_at AS "lastUsedAt"
    FROM api_keys k JOIN stores s ON s.code = k.store_code
    WHERE k.key_hash = ${p.hash} AND k.revoked_at IS NULL AND s.deactivated_at IS NULL`,
)
const list = query<Record<string, never>, ApiKeyRow>(
  () => sql`SELECT ${COLUMNS} FROM api_keys k LEFT JOIN stores s ON s.code = k.store_code
    ORDER BY k.id DESC`,
)
const byId = query<{ id: number }, ApiKeyRow>(
  (p) => sql`SELECT ${COLUMNS} FROM api_keys k LEFT JOIN stores s ON s.code = k.store_code
    WHERE k.id = ${p.id}`,
)
const byPrefix = query<{ prefix: string }, ApiKeyRow>(
  (p) => sql`SELECT ${COLUMNS} FROM api_keys k LEFT JOIN stores s ON s.code = k.store_code
    WHERE k.prefix = ${p.prefix}`,
)
const revoke = query<{ id: number; at: number }>(
  (p) => sql`UPDATE api_keys SET revoked_at = ${p.at} WHERE id = ${p.id} AND revoked_at IS NULL`,
)
// Written only when the stored time is older than `before`: one write a minute per key at most,
// however many instances and requests.
const touch = query<{ id: number; at: number; before: number }>(
  (p) => sql`UPDATE api_keys SET last_used_at = ${p.at}
    WHERE id = ${p.id} AND (last_used_at IS NULL OR last_used_at < ${p.before})`,
)

/** POS API keys, stored by the SHA-256 of the key. */
export const apiKeys = {
  /** Adds a key; undefined when its prefix or hash is taken already. */
  insert: async (
    db: Executor,
    k: {
      prefix: string
      hash: string
      storeCode: string
      name: string
      scopes: string
      by: string
      at: number
    },
  ) => (await db.get(insert, k))?.id,
  /** The key with this hash, when neither it is revoked nor its store closed. */
  live: (db: Executor, hash: string) => db.get(live, { hash }),
  /** Every key, newest first. */
  list: (db: Executor) => db.all(list, {}),
  byId: (db: Executor, id: number) => db.get(byId, { id }),
  byPrefix: (db: Executor, prefix: string) => db.get(byPrefix, { prefix }),
  /** Revokes a key; false when it was revoked already. */
  revoke: async (db: Executor, id: number, at: number) => (await db.run(revoke, { id, at })) === 1,
  /** Records a use at `at` unless one after `before` is recorded already. */
  touch: (db: Executor, t: { id: number; at: number; before: number }) => db.run(touch, t),
}
