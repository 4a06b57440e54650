import type Database from 'better-sqlite3'
import { BoundedCache } from '../bounded-cache.ts'

/**
 * Read caches that can never show a value the database no longer holds.
 *
 * Why: on a WAL database every statement outside a transaction is its own read transaction,
 * and SQLite takes and drops a lock on the `-shm` file for it (two `fcntl` calls and an
 * `fstat`): about 8 µs of the card's ~110 µs on the bench machine, where system calls are
 * dear, for a row that almost never changes between two visits (docs/decisions/017).
 *
 * How a cached value stays exact:
 * - every write this connection makes moves `total_changes()` (a SQL function that reads a
 *   counter, no table and so no lock): compared on every read, any change empties the caches;
 * - every commit by another connection or process (`pnpm cards:import`, `pnpm points:expire`,
 *   a second server) moves `PRAGMA data_version`; it needs a read transaction itself, so it is
 *   read once per turn of the event loop and shared by every request of that turn, which is
 *   as fresh as a read made at the start of the turn;
 * - nothing read inside a transaction is cached (it may still be rolled back).
 * Any change anywhere empties every cache: coarse, and exact.
 */
export function createFreshness(sqlite: Database.Database) {
  const ownChanges = sqlite.prepare<[], number>('SELECT total_changes()').pluck()
  const dataVersion = sqlite.prepare<[], number>('PRAGMA data_version').pluck()
  let generation = 0
  let lastOwn = -1
  let lastOther = -1
  let checkedThisTurn = false
  const clearTurn = () => {
    checkedThisTurn = false
  }

  /** A number that changes whenever the database may have changed since the last call. */
  function current(): number {
    const own = ownChanges.get() ?? 0
    if (own !== lastOwn) {
      lastOwn = own
      generation++
    }
    if (!checkedThisTurn) {
      checkedThisTurn = true
      setImmediate(clearTurn)
      const other = dataVersion.get() ?? 0
      if (other !== lastOther) {
        lastOther = other
        generation++
      }
    }
    return generation
  }

  const begin = sqlite.prepare('BEGIN')
  const commit = sqlite.prepare('COMMIT')

  /**
   * A bounded cache of `load(key)` (least recently used dropped first, see bounded-cache.ts),
   * emptied whenever the database may have changed. `load` runs on a miss, and on every call
   * made inside a transaction. `.batched(key)` is the same read for a caller that can wait
   * until the end of this turn of the event loop: a hit is answered at once, a miss with a
   * promise, and the misses of one turn are read together, in one read transaction.
   */
  function cache<K, V>(load: (key: K) => V, maxEntries = 10_000): CachedRead<K, V> {
    const entries = new BoundedCache<K, { value: V }>(maxEntries)
    let entriesGeneration = current()
    /** A hit still valid, or undefined. */
    const hit = (key: K): { value: V } | undefined => {
      const entry = entries.get(key)
      if (!entry) return undefined
      // Served only if nothing changed since the entries were loaded.
      const g = current()
      if (g === entriesGeneration) return entry
      entries.clear()
      entriesGeneration = g
      return undefined
    }
    // A miss needs no freshness check: the value is read now. It is stored under the
    // entries' generation; if the database changed unseen before, the next hit's check
    // empties the entries, this one too (at worst one read more, never a stale answer).
    const loadAndKeep = (key: K): V => {
      const value = load(key)
      entries.set(key, { value })
      return value
    }
    const read = ((key: K): V => {
      if (sqlite.inTransaction) return load(key)
      const entry = hit(key)
      return entry ? entry.value : loadAndKeep(key)
    }) as CachedRead<K, V>

    let waiting: { key: K; resolve: (value: V) => void; reject: (err: unknown) => void }[] = []
    /**
     * Reads the misses asked for during this turn of the event loop, at its end (the check
     * phase), in one read transaction. Why: on a WAL database every statement outside a
     * transaction is a read transaction of its own, which takes and drops SQLite's locks (two
     * `fcntl`); on the bench machine a new user's `GET /api/me` spent ~16 µs of ~230 on that
     * one read, and a read inside a transaction costs a fifth of one outside. The requests
     * whose ID tokens were verified in the same turn (~17 at full load) share it. A value is
     * read after it was asked for, never before, so it is as fresh as a read made at once. The
     * transaction only reads and ends before anything else runs; the app's own transactions
     * are synchronous (db/group-commit.ts), so none is open here.
     */
    const flush = () => {
      const batch = waiting
      waiting = []
      let own = false
      if (batch.length > 1 && !sqlite.inTransaction) {
        try {
          begin.run()
          own = true
        } catch {
          // each read becomes its own transaction, as without the batch
        }
      }
      for (const item of batch) {
        try {
          // (Cached unless an app transaction were open: its view may still be rolled back.)
          item.resolve(own || !sqlite.inTransaction ? loadAndKeep(item.key) : load(item.key))
        } catch (err) {
          item.reject(err)
        }
      }
      if (own && sqlite.inTransaction) {
        try {
          commit.run()
        } catch {
          // nothing was written; never leave the connection inside a transaction
          if (sqlite.inTransaction) sqlite.exec('ROLLBACK')
        }
      }
    }
    read.batched = (key: K): V | Promise<V> => {
      if (sqlite.inTransaction) return load(key)
      const entry = hit(key)
      if (entry) return entry.value
      return new Promise<V>((resolve, reject) => {
        if (waiting.length === 0) setImmediate(flush)
        waiting.push({ key, resolve, reject })
      })
    }
    return read
  }

  return { cache, current }
}

export type Freshness = ReturnType<typeof createFreshness>

/** A cached read (see `Freshness.cache`). */
export interface CachedRead<K, V> {
  (key: K): V
  /** The same value; a miss is read with the other misses of the same moment (a promise). */
  batched(key: K): V | Promise<V>
}
