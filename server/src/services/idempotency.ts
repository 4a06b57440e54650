import { createHash } from 'node:crypto'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/client.ts'
import { ApiError } from '../http/api-error.ts'

/**
 * Idempotency records for mutating staff calls (the IETF draft "The Idempotency-Key HTTP
 * Header Field"), kept in `idempotency_keys` so they survive a restart and are shared by every
 * server process on the same database.
 *
 * A record is written once, `done` with the response, inside the SAME transaction that writes
 * the ledger: either both are stored or neither, in one commit. Before the change, the claim
 * checks again inside that transaction (`enter`), so a request that raced another process
 * with the same key gets the stored answer instead of counting twice. Within one process,
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
   * Call first inside the transaction: throws `IdempotentReplay` when an answer is already
   * stored for this key and body, or 422 `IDEMPOTENCY_KEY_REUSED` for another body.
   */
  enter(): void
  /** Stores the response; call inside the transaction that makes the change. */
  complete(status: number, body: unknown): void
}

/** What `check` found. */
export type ClaimOutcome =
  | { kind: 'claimed'; claim: IdempotencyClaim }
  | { kind: 'replay'; status: number; body: string }

export interface IdempotencyStoreOptions {
  db: Db
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

interface Row {
  request_hash: string
  state: 'running' | 'done'
  response_status: number | null
  response_body: string | null
  created_at: number
}

/** The idempotency store. */
export function createIdempotencyStore({ db, clock, retentionMs }: IdempotencyStoreOptions) {
  const sqlite = db.$client
  const find = sqlite.prepare<[string, string], Row>(
    `SELECT request_hash, state, response_status, response_body, created_at
       FROM idempotency_keys WHERE scope = ? AND key = ?`,
  )
  const insert = sqlite.prepare(
    `INSERT INTO idempotency_keys (scope, key, request_hash, state, response_status,
       response_body, created_at) VALUES (?, ?, ?, 'done', ?, ?, ?)
     ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash,
       state = 'done', response_status = excluded.response_status,
       response_body = excluded.response_body, created_at = excluded.created_at`,
  )
  const purgeOld = sqlite.prepare('DELETE FROM idempotency_keys WHERE created_at < ?')

  /**
   * The stored answer for `key`, if any. A record past the retention, or one left `running`
   * by an earlier version of this server (which claimed keys in a separate commit, so such a
   * record never hides a committed change), counts as absent.
   */
  function lookup(scope: string, key: string, hash: string, now: number): ClaimOutcome | null {
    const row = find.get(scope, key)
    if (!row || row.created_at < now - retentionMs || row.state !== 'done') return null
    if (row.request_hash !== hash) {
      throw new ApiError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used for a different request. Use a new key.',
      )
    }
    return { kind: 'replay', status: row.response_status ?? 200, body: row.response_body ?? '' }
  }

  function makeClaim(scope: string, key: string, hash: string): IdempotencyClaim {
    let entered = false
    return {
      scope,
      key,
      enter() {
        if (!sqlite.inTransaction) throw new Error('enter() must run inside the transaction')
        const found = lookup(scope, key, hash, clock.now())
        if (found?.kind === 'replay') throw new IdempotentReplay(found.status, found.body)
        // Whatever is left (expired, or an old `running` record) is replaced by complete().
        entered = true
      },
      complete(status, body) {
        if (!sqlite.inTransaction) throw new Error('complete() must run inside the transaction')
        if (!entered) throw new Error('complete() without enter()')
        insert.run(scope, key, hash, status, JSON.stringify(body), clock.now())
      },
    }
  }

  return {
    /**
     * Looks `key` up in `scope` for a request with fingerprint `hash`, without writing:
     * the stored answer of a finished request, 422 `IDEMPOTENCY_KEY_REUSED` for another body,
     * or a claim for the handler to enter and complete in its transaction.
     */
    check(scope: string, key: string, hash: string): ClaimOutcome {
      return (
        lookup(scope, key, hash, clock.now()) ?? {
          kind: 'claimed',
          claim: makeClaim(scope, key, hash),
        }
      )
    },

    /** Deletes records older than the retention; returns how many. */
    purge(now = clock.now()): number {
      return purgeOld.run(now - retentionMs).changes
    },
  }
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>
