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

  /**
   * A bounded cache of `load(key)` (least recently used dropped first, see bounded-cache.ts), emptied whenever the database
   * may have changed. `load` runs on a miss, and on every call made inside a transaction.
   */
  function cache<K, V>(load: (key: K) => V, maxEntries = 10_000): (key: K) => V {
    const entries = new BoundedCache<K, { value: V }>(maxEntries)
    let entriesGeneration = current()
    return (key) => {
      if (sqlite.inTransaction) return load(key)
      const hit = entries.get(key)
      if (hit) {
        // Served only if nothing changed since the entries were loaded.
        const g = current()
        if (g === entriesGeneration) return hit.value
        entries.clear()
        entriesGeneration = g
      }
      // A miss needs no freshness check: the value is read now. It is stored under the
      // entries' generation; if the database changed unseen before, the next hit's check
      // empties the entries, this one too (at worst one read more, never a stale answer).
      const value = load(key)
      entries.set(key, { value })
      return value
    }
  }

  return { cache, current }
}

export type Freshness = ReturnType<typeof createFreshness>
