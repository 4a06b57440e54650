import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** An unused recovery code of an account, as stored (its scrypt hash). */
export interface StoredRecoveryCode {
  id: number
  codeHash: string
}

const removeAll = query<{ staffId: string }>(
  (p) => sql`DELETE FROM staff_recovery_codes WHERE staff_id = ${p.staffId}`,
)
const insert = query<{ staffId: string; selector: string; codeHash: string; at: number }>(
  (p) => sql`INSERT INTO staff_recovery_codes (staff_id, selector, code_hash, created_at)
    VALUES (${p.staffId}, ${p.selector}, ${p.codeHash}, ${p.at})`,
)
const unused = query<{ staffId: string; selector: string }, StoredRecoveryCode>(
  (p) => sql`SELECT id, code_hash AS "codeHash" FROM staff_recovery_codes
    WHERE staff_id = ${p.staffId} AND selector = ${p.selector} AND used_at IS NULL ORDER BY id`,
)
const use = query<{ id: number; staffId: string; at: number }>(
  (p) => sql`UPDATE staff_recovery_codes SET used_at = ${p.at}
    WHERE id = ${p.id} AND staff_id = ${p.staffId} AND used_at IS NULL`,
)
const status = query<{ staffId: string }, { remaining: number | null; createdAt: number | null }>(
  (p) => sql`SELECT SUM(CASE WHEN used_at IS NULL THEN 1 ELSE 0 END) AS remaining,
      MAX(created_at) AS "createdAt"
    FROM staff_recovery_codes WHERE staff_id = ${p.staffId}`,
)

/** TOTP recovery codes of staff accounts (decision 093). */
export const recoveryCodes = {
  /** Replaces every code of the account with these (selector and hash of each). */
  async replace(
    db: Executor,
    staffId: string,
    codes: readonly { selector: string; codeHash: string }[],
    at: number,
  ) {
    await db.run(removeAll, { staffId })
    for (const c of codes) await db.run(insert, { staffId, ...c, at })
  },
  /** Removes every code of the account (the account is removed). */
  removeAll: (db: Executor, staffId: string) => db.run(removeAll, { staffId }),
  /** The account's unused codes with this selector (normally one). */
  unused: (db: Executor, staffId: string, selector: string) =>
    db.all(unused, { staffId, selector }),
  /** Marks a code used; false when it was used already (here or on another instance). */
  use: async (db: Executor, staffId: string, id: number, at: number) =>
    (await db.run(use, { id, staffId, at })) === 1,
  /** How many codes are left, and when they were made (null: none ever). */
  async status(db: Executor, staffId: string) {
    const r = await db.get(status, { staffId })
    return { remaining: Number(r?.remaining ?? 0), createdAt: r?.createdAt ?? null }
  },
}
