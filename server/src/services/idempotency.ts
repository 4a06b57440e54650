import { createHash } from 'node:crypto'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/client.ts'
import { ApiError } from '../http/api-error.ts'

/**
 * Idempotency records for mutating staff calls (the IETF draft "The Idempotency-Key HTTP
 * Header Field"), kept in `idempotency_keys` so they survive a restart and are shared by every
 * server process on the same database.
 *
 * A record is claimed (`running`) in its own short transaction, then completed (`done`, with
 * the response) inside the SAME transaction that writes the ledger: either both are stored or
 * neither. A `running` record therefore never hides a committed change, so a record left
 * `running` by a crashed process can safely be taken over once it is stale.
 */

/** A claimed key, handed to the service that completes it in its own transaction. */
export interface IdempotencyClaim {
  scope: string
  key: string
  /** Stores the response; call inside the transaction that makes the change. */
  complete(status: number, body: unknown): void
}

/** What `claim` found. */
export type ClaimOutcome =
  | { kind: 'claimed'; claim: IdempotencyClaim }
  | { kind: 'replay'; status: number; body: string }

export interface IdempotencyStoreOptions {
  db: Db
  clock: Clock
  /** How long records are kept (≥ 24 h). */
  retentionMs: number
  /** A `running` record older than this is taken to be abandoned by a crashed process. */
  staleMs?: number
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
export function createIdempotencyStore({
  db,
  clock,
  retentionMs,
  staleMs = 30_000,
}: IdempotencyStoreOptions) {
  const sqlite = db.$client
  const find = sqlite.prepare<[string, string], Row>(
    `SELECT request_hash, state, response_status, response_body, created_at
       FROM idempotency_keys WHERE scope = ? AND key = ?`,
  )
  const insert = sqlite.prepare(
    `INSERT INTO idempotency_keys (scope, key, request_hash, state, created_at)
       VALUES (?, ?, ?, 'running', ?)`,
  )
  const retake = sqlite.prepare(
    `UPDATE idempotency_keys SET request_hash = ?, state = 'running', response_status = NULL,
       response_body = NULL, created_at = ? WHERE scope = ? AND key = ?`,
  )
  const finish = sqlite.prepare(
    `UPDATE idempotency_keys SET state = 'done', response_status = ?, response_body = ?
       WHERE scope = ? AND key = ? AND state = 'running'`,
  )
  const drop = sqlite.prepare(
    `DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND state = 'running'`,
  )
  const purgeOld = sqlite.prepare('DELETE FROM idempotency_keys WHERE created_at < ?')

  function makeClaim(scope: string, key: string): IdempotencyClaim {
    return {
      scope,
      key,
      complete(status, body) {
        if (!sqlite.inTransaction) throw new Error('complete() must run inside the transaction')
        const res = finish.run(status, JSON.stringify(body), scope, key)
        if (res.changes !== 1) throw new Error('idempotency record lost its claim')
      },
    }
  }

  return {
    /**
     * Claims `key` in `scope` for a request with fingerprint `hash`. Throws 422
     * `IDEMPOTENCY_KEY_REUSED` for another body, 409 `IDEMPOTENCY_KEY_IN_USE` while the first
     * is still running; returns the stored answer of a finished one.
     */
    claim(scope: string, key: string, hash: string): ClaimOutcome {
      return sqlite
        .transaction((): ClaimOutcome => {
          const now = clock.now()
          const row = find.get(scope, key)
          if (!row) {
            insert.run(scope, key, hash, now)
            return { kind: 'claimed', claim: makeClaim(scope, key) }
          }
          if (row.created_at < now - retentionMs) {
            retake.run(hash, now, scope, key)
            return { kind: 'claimed', claim: makeClaim(scope, key) }
          }
          if (row.request_hash !== hash) {
            throw new ApiError(
              'IDEMPOTENCY_KEY_REUSED',
              'This Idempotency-Key was already used for a different request. Use a new key.',
            )
          }
          if (row.state === 'running') {
            if (row.created_at < now - staleMs) {
              retake.run(hash, now, scope, key)
              return { kind: 'claimed', claim: makeClaim(scope, key) }
            }
            throw new ApiError(
              'IDEMPOTENCY_KEY_IN_USE',
              'A request with this Idempotency-Key is still being processed. Retry shortly.',
              { 'Retry-After': '1' },
            )
          }
          return {
            kind: 'replay',
            status: row.response_status ?? 200,
            body: row.response_body ?? '',
          }
        })
        .immediate()
    },

    /** Gives a claim back after a failed request, so the same key may be retried. */
    release(scope: string, key: string): void {
      drop.run(scope, key)
    },

    /** Deletes records older than the retention; returns how many. */
    purge(now = clock.now()): number {
      return purgeOld.run(now - retentionMs).changes
    },
  }
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>
