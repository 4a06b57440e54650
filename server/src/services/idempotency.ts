import { createHash } from 'node:crypto'
import type { Clock } from '../clock.ts'
import type { Database, Tx } from '../db/seam.ts'
import { IdempotencyKeyInUse, IdempotencyKeyReused } from '../domain/errors.ts'
import { type IdempotencyRow, idempotencyKeys } from '../repositories/idempotency-keys.ts'

/**
 * Idempotency records for mutating staff calls (the IETF draft "The Idempotency-Key HTTP
 * Header Field"), kept in `idempotency_keys` so they survive a restart and are shared by every
 * server process on the same database.
 *
 * The key is claimed with a unique insert as the first statement of the SAME transaction that
 * writes the ledger, and completed with the response in it: either both are stored or neither,
 * in one commit. A request racing another process (or instance) with the same key waits on
 * that insert and then gets the stored answer instead of counting twice. Within one process,
 * a repeat arriving while the first is still in flight gets 409 `IDEMPOTENCY_KEY_IN_USE`
 * (see http/idempotency.ts). See docs/decisions/013-idempotency-one-commit.md.
 */

/** Thrown inside the transaction when another request stored an answer for the key first. */
export class IdempotentReplay extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super('idempotent replay')
  }
}

/** A key to use, handed to the service that completes it in its own transaction. */
export interface IdempotencyClaim {
  scope: string
  key: string
  /**
   * Call first inside the transaction: claims the key with a unique insert. Throws
   * `IdempotentReplay` when an answer is already stored for this key and body (also one that
   * a request on another instance committed meanwhile), or `IdempotencyKeyReused` for another
   * body.
   */
  enter(tx: Tx): Promise<void>
  /** Stores the response; call inside the transaction that makes the change. */
  complete(tx: Tx, status: number, body: unknown): Promise<void>
}

/** What `check` found. */
export type ClaimOutcome =
  | { kind: 'claimed'; claim: IdempotencyClaim }
  | { kind: 'replay'; status: number; body: string }

export interface IdempotencyStoreOptions {
  db: Database
  clock: Clock
  /** How long records are kept (≥ 24 h). */
  retentionMs: number
}

/** Hash of what makes two requests "the same": method, path and the canonical JSON body. */
export function requestFingerprint(method: string, path: string, rawBody: string): string {
  let canonical = rawBody
  try {
    canonical = JSON.stringify(sortKeys(JSON.parse(rawBody)))
  } catch {
    // not JSON: compare the raw bytes
  }
  return createHash('sha256').update(`${method} ${path}\n${canonical}`).digest('base64url')
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    )
  }
  return v
}

/** The idempotency store. */
export function createIdempotencyStore({ db, clock, retentionMs }: IdempotencyStoreOptions) {
  /** A record that still counts: younger than the retention. */
  function live(row: IdempotencyRow | undefined, now: number): row is IdempotencyRow {
    return row !== undefined && row.createdAt >= now - retentionMs
  }

  /** The stored answer of a finished request; `IdempotencyKeyReused` for another body. */
  function replayOf(row: IdempotencyRow, hash: string) {
    if (row.requestHash !== hash) throw new IdempotencyKeyReused()
    return {
      kind: 'replay' as const,
      status: row.responseStatus ?? 200,
      body: row.responseBody ?? '',
    }
  }

  /**
   * `leftover`: `check` found the key `running` outside any transaction, that is committed,
   * so left by an earlier version of this server (which claimed keys in a separate commit):
   * it never hides a committed change and is taken over.
   */
  function makeClaim(
    scope: string,
    key: string,
    hash: string,
    leftover: boolean,
  ): IdempotencyClaim {
    let entered = false
    return {
      scope,
      key,
      async enter(tx) {
        const at = clock.now()
        if (!(await idempotencyKeys.claim(tx, { scope, key, hash, at }))) {
          const row = await idempotencyKeys.find(tx, scope, key)
          if (live(row, at)) {
            if (row.state === 'done') {
              const found = replayOf(row, hash)
              throw new IdempotentReplay(found.status, found.body)
            }
            // A `running` record `check` did not see: a claim this transaction can see before
            // it commits (the same key entered twice in one transaction), or one committed since:
            // in use for now; a retry's `check` finds it committed and takes it over.
            if (!leftover) {
              if (row.requestHash !== hash) throw new IdempotencyKeyReused()
              throw new IdempotencyKeyInUse()
            }
          }
          await idempotencyKeys.takeOver(tx, { scope, key, hash, at })
        }
        entered = true
      },
      async complete(tx, status, body) {
        if (!entered) throw new Error('complete() without enter()')
        await idempotencyKeys.complete(tx, { scope, key, status, body: JSON.stringify(body) })
      },
    }
  }

  return {
    /**
     * Looks `key` up in `scope` for a request with fingerprint `hash`, without writing:
     * the stored answer of a finished request, `IdempotencyKeyReused` for another body, or a
     * claim for the handler to enter and complete in its transaction.
     */
    async check(scope: string, key: string, hash: string): Promise<ClaimOutcome> {
      // Outside a transaction only committed records are visible (on SQLite a read waits for
      // the open group commit to end), so a `running` one here is a leftover.
      const row = await idempotencyKeys.find(db, scope, key)
      if (live(row, clock.now())) {
        if (row.state === 'done') return replayOf(row, hash)
        return { kind: 'claimed', claim: makeClaim(scope, key, hash, true) }
      }
      return { kind: 'claimed', claim: makeClaim(scope, key, hash, false) }
    },

    /** Deletes records older than the retention; returns how many. */
    purge(now = clock.now()): Promise<number> {
      return idempotencyKeys.purge(db, now - retentionMs)
    },
  }
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>
