import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** A store as head office manages it. */
export interface StoreRow {
  code: string
  name: string
  deactivatedAt: number | null
}

const nameOf = query<{ code: string }, { name: string }>(
  (p) => sql`SELECT name FROM stores WHERE code = ${p.code}`,
)
const list = query<Record<string, never>, StoreRow>(
  () => sql`SELECT code, name, deactivated_at AS "deactivatedAt" FROM stores ORDER BY code`,
)
const one = query<{ code: string }, StoreRow>(
  (p) => sql`SELECT code, name, deactivated_at AS "deactivatedAt" FROM stores
    WHERE code = ${p.code}`,
)
const insert = query<{ code: string; name: string; at: number }, { code: string }>(
  (p) => sql`INSERT INTO stores (code, name, created_at) VALUES (${p.code}, ${p.name}, ${p.at})
    ON CONFLICT (code) DO NOTHING RETURNING code`,
)
const update = query<{ code: string; name: string; deactivatedAt: number | null }>(
  (p) => sql`UPDATE stores SET name = ${p.name}, deactivated_at = ${p.deactivatedAt}
    WHERE code = ${p.code}`,
)

/** The retailer's stores. */
export const stores = {
  nameOf: async (db: Executor, code: string) => (await db.get(nameOf, { code }))?.name ?? null,
  /** Every store, by code. */
  list: (db: Executor) => db.all(list, {}),
  get: (db: Executor, code: string) => db.get(one, { code }),
  /** Creates a store; false when the code is taken. */
  insert: async (db: Executor, s: { code: string; name: string; at: number }) =>
    (await db.get(insert, s)) !== undefined,
  update: (db: Executor, s: { code: string; name: string; deactivatedAt: number | null }) =>
    db.run(update, s),
}
