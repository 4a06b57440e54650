import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** A staff account as sign-in reads it. */
export interface StaffCredentials {
  passwordHash: string
}

/** A staff account's store and role. */
export interface StaffAccount {
  storeCode: string
  role: 'clerk' | 'manager'
}

/** A staff account to create or update. */
export interface StaffUpsert {
  id: string
  storeCode: string
  role: 'clerk' | 'manager'
  passwordHash: string
  at: number
}

const credentials = query<{ id: string }, StaffCredentials>(
  (p) => sql`SELECT password_hash AS "passwordHash" FROM staff WHERE id = ${p.id}`,
)
const account = query<{ id: string }, StaffAccount>(
  (p) => sql`SELECT store_code AS "storeCode", role FROM staff WHERE id = ${p.id}`,
)
const storeExists = query<{ code: string }, { one: number }>(
  (p) => sql`SELECT 1 AS one FROM stores WHERE code = ${p.code}`,
)
const upsert = query<StaffUpsert>(
  (p) => sql`INSERT INTO staff (id, store_code, role, password_hash, created_at, updated_at)
    VALUES (${p.id}, ${p.storeCode}, ${p.role}, ${p.passwordHash}, ${p.at}, ${p.at})
    ON CONFLICT (id) DO UPDATE SET store_code = excluded.store_code, role = excluded.role,
      password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
)
const addStore = query<{ code: string; name: string; at: number }>(
  (p) => sql`INSERT INTO stores (code, name, created_at) VALUES (${p.code}, ${p.name}, ${p.at})
    ON CONFLICT (code) DO NOTHING`,
)
const nameStore = query<{ code: string; name: string; at: number }>(
  (p) => sql`INSERT INTO stores (code, name, created_at) VALUES (${p.code}, ${p.name}, ${p.at})
    ON CONFLICT (code) DO UPDATE SET name = excluded.name`,
)

/** Staff accounts, and the stores they are created at. */
export const staffAccounts = {
  /** The password hash of `id`, or undefined when there is no such account. */
  credentials: (db: Executor, id: string) => db.get(credentials, { id }),
  /** The store and role of `id`, or undefined when there is no such account. */
  account: (db: Executor, id: string) => db.get(account, { id }),
  storeExists: async (db: Executor, code: string) =>
    (await db.get(storeExists, { code })) !== undefined,
  /** Creates the account, or updates its store, role and password. */
  upsert: (db: Executor, s: StaffUpsert) => db.run(upsert, s),
  /**
   * Creates the store when missing; with `name`, also (re)names it. Without a name a new
   * store is named by its code.
   */
  ensureStore: (db: Executor, s: { code: string; name?: string | undefined; at: number }) =>
    s.name === undefined
      ? db.run(addStore, { code: s.code, name: s.code, at: s.at })
      : db.run(nameStore, { code: s.code, name: s.name, at: s.at }),
}
