import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

const nameOf = query<{ code: string }, { name: string }>(
  (p) => sql`SELECT name FROM stores WHERE code = ${p.code}`,
)

/** The retailer's stores. */
export const stores = {
  nameOf: async (db: Executor, code: string) => (await db.get(nameOf, { code }))?.name ?? null,
}
