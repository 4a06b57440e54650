import type { StaffRole } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** A staff account as sign-in reads it. */
export interface StaffCredentials {
  passwordHash: string
  role: StaffRole
  storeCode: string | null
  disabledAt: number | null
  /** The confirmed TOTP secret, encrypted; null when the account has not enrolled. */
  totpSecret: string | null
  totpLastStep: number | null
}

/** A staff account's store and role. */
export interface StaffAccount {
  storeCode: string | null
  role: StaffRole
  disabledAt: number | null
}

/** A staff account as the console lists it. */
export interface StaffListing {
  staffId: string
  role: StaffRole
  storeCode: string | null
  disabledAt: number | null
  totpEnrolled: number
  lastSignInAt: number | null
}

/** A staff account to create or update. */
export interface StaffUpsert {
  id: string
  storeCode: string | null
  role: StaffRole
  passwordHash: string
  at: number
}

const credentials = query<{ id: string }, StaffCredentials>(
  (p) => sql`SELECT password_hash AS "passwordHash", role, store_code AS "storeCode",
      disabled_at AS "disabledAt", totp_secret AS "totpSecret", totp_last_step AS "totpLastStep"
    FROM staff WHERE id = ${p.id}`,
)
const account = query<{ id: string }, StaffAccount>(
  (p) => sql`SELECT store_code AS "storeCode", role, disabled_at AS "disabledAt"
    FROM staff WHERE id = ${p.id}`,
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
const insert = query<StaffUpsert, { id: string }>(
  (p) => sql`INSERT INTO staff (id, store_code, role, password_hash, created_at, updated_at)
    VALUES (${p.id}, ${p.storeCode}, ${p.role}, ${p.passwordHash}, ${p.at}, ${p.at})
    ON CONFLICT (id) DO NOTHING RETURNING id`,
)
const addStore = query<{ code: string; name: string; at: number }>(
  (p) => sql`INSERT INTO stores (code, name, created_at) VALUES (${p.code}, ${p.name}, ${p.at})
    ON CONFLICT (code) DO NOTHING`,
)
const nameStore = query<{ code: string; name: string; at: number }>(
  (p) => sql`INSERT INTO stores (code, name, created_at) VALUES (${p.code}, ${p.name}, ${p.at})
    ON CONFLICT (code) DO UPDATE SET name = excluded.name`,
)
const list = query<Record<string, never>, StaffListing>(
  () => sql`SELECT id AS "staffId", role, store_code AS "storeCode", disabled_at AS "disabledAt",
      CASE WHEN totp_secret IS NULL THEN 0 ELSE 1 END AS "totpEnrolled",
      last_sign_in_at AS "lastSignInAt"
    FROM staff ORDER BY id`,
)
const listing = query<{ id: string }, StaffListing>(
  (p) => sql`SELECT id AS "staffId", role, store_code AS "storeCode", disabled_at AS "disabledAt",
      CASE WHEN totp_secret IS NULL THEN 0 ELSE 1 END AS "totpEnrolled",
      last_sign_in_at AS "lastSignInAt"
    FROM staff WHERE id = ${p.id}`,
)
const update = query<{
  id: string
  role: StaffRole
  storeCode: string | null
  disabledAt: number | null
  at: number
}>(
  (p) => sql`UPDATE staff SET role = ${p.role}, store_code = ${p.storeCode},
      disabled_at = ${p.disabledAt}, updated_at = ${p.at}
    WHERE id = ${p.id}`,
)
const setPassword = query<{ id: string; passwordHash: string; at: number }>(
  (p) => sql`UPDATE staff SET password_hash = ${p.passwordHash}, updated_at = ${p.at}
    WHERE id = ${p.id}`,
)
const remove = query<{ id: string }>((p) => sql`DELETE FROM staff WHERE id = ${p.id}`)
const enabledAdmins = query<Record<string, never>, { id: string }>(
  () => sql`SELECT id FROM staff WHERE role = 'admin' AND disabled_at IS NULL`,
)
const enabledAdminsLocked = query<Record<string, never>, { id: string }>(
  () => sql`SELECT id FROM staff WHERE role = 'admin' AND disabled_at IS NULL FOR UPDATE`,
)
const signedIn = query<{ id: string; at: number }>(
  (p) => sql`UPDATE staff SET last_sign_in_at = ${p.at} WHERE id = ${p.id}`,
)
const totpState = query<
  { id: string },
  { totpSecret: string | null; totpPendingSecret: string | null; totpLastStep: number | null }
>(
  (p) => sql`SELECT totp_secret AS "totpSecret", totp_pending_secret AS "totpPendingSecret",
      totp_last_step AS "totpLastStep"
    FROM staff WHERE id = ${p.id}`,
)
const setPendingTotp = query<{ id: string; secret: string; at: number }>(
  (p) => sql`UPDATE staff SET totp_pending_secret = ${p.secret}, updated_at = ${p.at}
    WHERE id = ${p.id}`,
)
const confirmTotp = query<{ id: string; pending: string; step: number; at: number }>(
  (p) => sql`UPDATE staff SET totp_secret = totp_pending_secret, totp_pending_secret = NULL,
      totp_last_step = ${p.step}, updated_at = ${p.at}
    WHERE id = ${p.id} AND totp_pending_secret = ${p.pending}`,
)
const takeTotpStep = query<{ id: string; step: number }>(
  (p) => sql`UPDATE staff SET totp_last_step = ${p.step}
    WHERE id = ${p.id} AND (totp_last_step IS NULL OR totp_last_step < ${p.step})`,
)
const clearTotp = query<{ id: string; at: number }>(
  (p) => sql`UPDATE staff SET totp_secret = NULL, totp_pending_secret = NULL,
      totp_last_step = NULL, updated_at = ${p.at}
    WHERE id = ${p.id}`,
)

/** Staff accounts, and the stores they are created at. */
export const staffAccounts = {
  /** Password hash, role, store, state and TOTP of `id`, or undefined when there is none. */
  credentials: (db: Executor, id: string) => db.get(credentials, { id }),
  /** The store, role and state of `id`, or undefined when there is no such account. */
  account: (db: Executor, id: string) => db.get(account, { id }),
  storeExists: async (db: Executor, code: string) =>
    (await db.get(storeExists, { code })) !== undefined,
  /** Creates the account, or updates its store, role and password. */
  upsert: (db: Executor, s: StaffUpsert) => db.run(upsert, s),
  /** Creates the account; false when the ID is taken. */
  insert: async (db: Executor, s: StaffUpsert) => (await db.get(insert, s)) !== undefined,
  /**
   * Creates the store when missing; with `name`, also (re)names it. Without a name a new
   * store is named by its code.
   */
  ensureStore: (db: Executor, s: { code: string; name?: string | undefined; at: number }) =>
    s.name === undefined
      ? db.run(addStore, { code: s.code, name: s.code, at: s.at })
      : db.run(nameStore, { code: s.code, name: s.name, at: s.at }),
  /** Every account, by ID. */
  list: (db: Executor) => db.all(list, {}),
  /** One account as the console lists it. */
  listing: (db: Executor, id: string) => db.get(listing, { id }),
  /** Sets the role, store and disabled time of an account; the rows changed (0 or 1). */
  update: (
    db: Executor,
    s: {
      id: string
      role: StaffRole
      storeCode: string | null
      disabledAt: number | null
      at: number
    },
  ) => db.run(update, s),
  setPassword: (db: Executor, id: string, passwordHash: string, at: number) =>
    db.run(setPassword, { id, passwordHash, at }),
  /** Removes the account row (its sessions must be gone first). */
  remove: (db: Executor, id: string) => db.run(remove, { id }),
  /**
   * The enabled admins; on PostgreSQL their rows stay locked until the transaction ends, so
   * two transactions that each leave one admin cannot both see two.
   */
  enabledAdminsForUpdate: async (db: Executor) =>
    (await db.all(db.dialect === 'postgres' ? enabledAdminsLocked : enabledAdmins, {})).map(
      (r) => r.id,
    ),
  recordSignIn: (db: Executor, id: string, at: number) => db.run(signedIn, { id, at }),
  totpState: (db: Executor, id: string) => db.get(totpState, { id }),
  setPendingTotp: (db: Executor, id: string, secret: string, at: number) =>
    db.run(setPendingTotp, { id, secret, at }),
  /** Makes the pending secret (if it is still `pending`) the account's; true when it did. */
  confirmTotp: async (db: Executor, id: string, pending: string, step: number, at: number) =>
    (await db.run(confirmTotp, { id, pending, step, at })) === 1,
  /**
   * Takes a TOTP time step for a sign-in: true when it is later than every step taken before
   * (a code is never accepted twice, on any instance: the row decides).
   */
  takeTotpStep: async (db: Executor, id: string, step: number) =>
    (await db.run(takeTotpStep, { id, step })) === 1,
  /** Removes the account's TOTP secret (and any pending one); the rows changed (0 or 1). */
  clearTotp: (db: Executor, id: string, at: number) => db.run(clearTotp, { id, at }),
}
