import { createHash, randomBytes } from 'node:crypto'
import { API_KEY_SCOPES, type ApiKeyItem, type ApiKeyScope } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { Forbidden, NotFound, RateLimited } from '../domain/errors.ts'
import { type ApiKeyRow, apiKeys } from '../repositories/api-keys.ts'
import { rateWindows } from '../repositories/rate-windows.ts'
import { stores } from '../repositories/stores.ts'
import { type AuditActor, recordAudit } from './audit.ts'
import type { StaffPrincipal } from './staff.ts'

/**
 * A key: `mck_` + 8 hex characters (the prefix, shown in lists) + `_` + 32 random bytes
 * (base64url). A staff token (43 base64url characters) never has this shape.
 */
export const API_KEY_PATTERN = /^mck_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/

/** A key's last use is written at most this often (not on every request). */
export const LAST_USED_EVERY_MS = 60_000

/** The staff ID a key acts as in the ledger and the audit trail: `apikey:mck_1a2b3c4d`. */
export const apiKeyActor = (prefix: string) => `apikey:${prefix}`

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('base64url')
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString())

function scopesOf(stored: string): ApiKeyScope[] {
  return stored
    .split(',')
    .filter((s): s is ApiKeyScope => (API_KEY_SCOPES as readonly string[]).includes(s))
}

/** A stored key as listed. */
export function apiKeyItem(r: ApiKeyRow): ApiKeyItem {
  return {
    id: r.id,
    prefix: r.prefix,
    storeCode: r.storeCode,
    storeName: r.storeName,
    name: r.name,
    scopes: scopesOf(r.scopes),
    createdBy: r.createdBy,
    createdAt: new Date(r.createdAt).toISOString(),
    lastUsedAt: iso(r.lastUsedAt),
    revokedAt: iso(r.revokedAt),
  }
}

/** The key's scope does not cover the route. */
export class ScopeMissing extends Forbidden {
  constructor(readonly scope: ApiKeyScope | undefined) {
    super(
      scope === undefined
        ? 'An API key cannot call this route: sign in as staff.'
        : `This API key does not have the "${scope}" scope.`,
    )
  }
}

/**
 * POS API keys (docs/decisions/089): created for a store with scopes, stored as a hash, listed
 * and revoked by head office (audit-logged), and checked on every request against the
 * database (no cache: a revocation holds at once on every instance), rate-limited per key.
 */
export function createApiKeys({
  db,
  clock,
  ratePerSecond,
}: {
  db: Database
  clock: Clock
  /** Requests per second one key may make. */
  ratePerSecond: number
}) {
  /** Keys whose last use this process has written lately: id → when. */
  const touched = new Map<number, number>()

  return {
    /** Creates a key; the answer carries the key itself, which is never shown again. */
    async create(
      by: AuditActor,
      input: { storeCode: string; name: string; scopes?: readonly ApiKeyScope[] | undefined },
    ): Promise<ApiKeyItem & { key: string }> {
      const scopes = [...new Set(input.scopes ?? API_KEY_SCOPES)].sort(
        (a, b) => API_KEY_SCOPES.indexOf(a) - API_KEY_SCOPES.indexOf(b),
      )
      return db.transaction(async (tx) => {
        const store = await stores.get(tx, input.storeCode)
        if (!store || store.deactivatedAt !== null) {
          throw new NotFound(`No open store ${input.storeCode}.`)
        }
        for (;;) {
          const prefix = `mck_${randomBytes(4).toString('hex')}`
          const key = `${prefix}_${randomBytes(32).toString('base64url')}`
          const id = await apiKeys.insert(tx, {
            prefix,
            hash: sha256(key),
            storeCode: input.storeCode,
            name: input.name,
            scopes: scopes.join(','),
            by: by.actor,
            at: clock.now(),
          })
          // A prefix taken already (1 in 4 billion): draw another.
          if (id === undefined) continue
          await recordAudit(tx, clock, {
            ...by,
            action: 'apikey.create',
            target: `apikey:${id}`,
            detail: { prefix, storeCode: input.storeCode, name: input.name, scopes },
          })
          const row = await apiKeys.byId(tx, id)
          if (!row) throw new Error('the key just created is missing')
          return { ...apiKeyItem(row), key }
        }
      })
    },

    /** Every key, newest first. */
    list: async (): Promise<ApiKeyItem[]> => (await apiKeys.list(db)).map(apiKeyItem),

    /**
     * Revokes the key with this ID or prefix (`mck_1a2b3c4d`); revoking a revoked key changes
     * nothing. Throws `NotFound`.
     */
    async revoke(by: AuditActor, idOrPrefix: string | number): Promise<ApiKeyItem> {
      return db.transaction(async (tx) => {
        const row =
          typeof idOrPrefix === 'number' || /^\d{1,15}$/.test(idOrPrefix)
            ? await apiKeys.byId(tx, Number(idOrPrefix))
            : await apiKeys.byPrefix(tx, idOrPrefix)
        if (!row) throw new NotFound(`No API key ${idOrPrefix}.`)
        if (await apiKeys.revoke(tx, row.id, clock.now())) {
          await recordAudit(tx, clock, {
            ...by,
            action: 'apikey.revoke',
            target: `apikey:${row.id}`,
            detail: { prefix: row.prefix, storeCode: row.storeCode, name: row.name },
          })
        }
        const after = await apiKeys.byId(tx, row.id)
        return apiKeyItem(after ?? row)
      })
    },

    /**
     * The till a key acts as, or null for a key that is unknown, revoked or of a closed store.
     * Throws `ScopeMissing` (403) when the key lacks `scope`, `RateLimited` (429, Retry-After 1)
     * past the key's rate. Its last use is recorded at most once a minute.
     */
    async authenticate(key: string, scope: ApiKeyScope): Promise<StaffPrincipal | null> {
      if (!API_KEY_PATTERN.test(key)) return null
      const hash = sha256(key)
      const found = await apiKeys.live(db, hash)
      if (!found) return null
      if (!scopesOf(found.scopes).includes(scope)) throw new ScopeMissing(scope)
      const now = clock.now()
      const taken = await rateWindows.take(db, {
        key: `apikey:${found.id}`,
        window: now - (now % 1_000),
        n: 1,
        limit: ratePerSecond,
      })
      if (!taken) {
        throw new RateLimited(
          `Too many requests: this API key may make ${ratePerSecond} a second. Retry shortly.`,
        )
      }
      const before = now - LAST_USED_EVERY_MS
      if ((found.lastUsedAt ?? 0) < before && (touched.get(found.id) ?? 0) < before) {
        touched.set(found.id, now)
        if (touched.size > 10_000) touched.clear()
        await apiKeys.touch(db, { id: found.id, at: now, before })
      }
      return {
        staffId: apiKeyActor(found.prefix),
        storeCode: found.storeCode,
        storeName: found.storeName,
        // A key is a till's clerk: voids and adjustments stay with signed-in managers.
        role: 'clerk',
        tokenHash: hash,
        kind: 'bearer',
        lastSeenAt: null,
        totpEnrolled: 0,
      }
    },
  }
}

export type ApiKeys = ReturnType<typeof createApiKeys>
