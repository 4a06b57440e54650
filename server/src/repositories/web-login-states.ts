import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** A sign-in started at `/login/line`, as its callback reads it (once). */
export interface WebLoginState {
  bindingHash: string
  nonce: string
  codeVerifier: string
  nextPath: string
  expiresAt: number
}

const insert = query<{
  stateHash: string
  bindingHash: string
  nonce: string
  codeVerifier: string
  nextPath: string
  at: number
  expiresAt: number
}>(
  (p) => sql`INSERT INTO web_login_states
      (state_hash, binding_hash, nonce, code_verifier, next_path, created_at, expires_at)
    VALUES (${p.stateHash}, ${p.bindingHash}, ${p.nonce}, ${p.codeVerifier}, ${p.nextPath},
      ${p.at}, ${p.expiresAt})`,
)
// One statement marks the row used and returns it: of two callbacks racing with the same
// state (on one instance or several), exactly one gets the row.
const consume = query<{ stateHash: string; at: number }, WebLoginState>(
  (p) => sql`UPDATE web_login_states SET used_at = ${p.at}
    WHERE state_hash = ${p.stateHash} AND used_at IS NULL
    RETURNING binding_hash AS "bindingHash", nonce, code_verifier AS "codeVerifier",
      next_path AS "nextPath", expires_at AS "expiresAt"`,
)
const exists = query<{ stateHash: string }, { usedAt: number | null }>(
  (p) => sql`SELECT used_at AS "usedAt" FROM web_login_states WHERE state_hash = ${p.stateHash}`,
)
const purge = query<{ before: number }>(
  (p) => sql`DELETE FROM web_login_states WHERE expires_at < ${p.before}`,
)

/** The sign-ins of LINE Login on the web, by the SHA-256 of their `state`. */
export const webLoginStates = {
  insert: (
    db: Executor,
    s: {
      stateHash: string
      bindingHash: string
      nonce: string
      codeVerifier: string
      nextPath: string
      at: number
      expiresAt: number
    },
  ) => db.run(insert, s),
  /** Marks a sign-in used and returns it; undefined when unknown or already used. */
  consume: (db: Executor, stateHash: string, at: number) => db.get(consume, { stateHash, at }),
  /** Whether a sign-in with this state was ever recorded (and not purged yet). */
  known: async (db: Executor, stateHash: string) =>
    (await db.get(exists, { stateHash })) !== undefined,
  /** Drops sign-ins that expired before `before`; returns how many. */
  purge: (db: Executor, before: number) => db.run(purge, { before }),
}
