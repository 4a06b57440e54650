/** One entry, in a list from the most to the least recently used. */
interface Entry<K, V> {
  key: K
  value: V
  newer: Entry<K, V> | null
  older: Entry<K, V> | null
}

/**
 * A map that keeps at most `maxEntries` entries, dropping the least recently used (a read or a
 * write is a use). Every operation is O(1): a `Map` finds the entry, a linked list orders the
 * entries by use. Values cannot be `undefined` (it means absent).
 *
 * Why not find the oldest key with the `Map`'s own order (`keys().next()`): V8's ordered hash
 * table leaves a hole for every deleted entry until it next rehashes, and iteration walks over
 * all the holes from the front; with one insert per request (a new ID token or a new LINE user)
 * that walk cost `/api/me` ~10 µs per request at 10,000 entries (docs/decisions/017).
 * Why not two generations (the previous design: drop the older half whole): the memory it
 * holds then swings between half and all of its bound as the generations turn, ~4 MB for the
 * ID-token cache, which hid or faked growth in the steady-load test; an exact bound stays flat
 * once full.
 */
export class BoundedCache<K, V extends NonNullable<unknown> | null> {
  readonly #map = new Map<K, Entry<K, V>>()
  #newest: Entry<K, V> | null = null
  #oldest: Entry<K, V> | null = null
  readonly #max: number

  constructor(maxEntries: number) {
    this.#max = Math.max(1, Math.floor(maxEntries))
  }

  /** The value, or undefined when absent (or dropped). */
  get(key: K): V | undefined {
    const entry = this.#map.get(key)
    if (entry === undefined) return undefined
    this.#touch(entry)
    return entry.value
  }

  has(key: K): boolean {
    return this.#map.has(key)
  }

  set(key: K, value: V): void {
    const known = this.#map.get(key)
    if (known !== undefined) {
      known.value = value
      this.#touch(known)
      return
    }
    const entry: Entry<K, V> = { key, value, newer: null, older: this.#newest }
    if (this.#newest) this.#newest.newer = entry
    else this.#oldest = entry
    this.#newest = entry
    this.#map.set(key, entry)
    if (this.#map.size > this.#max) {
      const oldest = this.#oldest as Entry<K, V>
      this.#unlink(oldest)
      this.#map.delete(oldest.key)
    }
  }

  delete(key: K): void {
    const entry = this.#map.get(key)
    if (entry === undefined) return
    this.#unlink(entry)
    this.#map.delete(key)
  }

  clear(): void {
    this.#map.clear()
    this.#newest = null
    this.#oldest = null
  }

  /** Entries held now (at most `maxEntries`). */
  get size(): number {
    return this.#map.size
  }

  /** Makes `entry` the most recently used. */
  #touch(entry: Entry<K, V>): void {
    if (entry === this.#newest) return
    this.#unlink(entry)
    entry.older = this.#newest
    if (this.#newest) this.#newest.newer = entry
    else this.#oldest = entry
    this.#newest = entry
  }

  #unlink(entry: Entry<K, V>): void {
    if (entry.newer) entry.newer.older = entry.older
    else this.#newest = entry.older
    if (entry.older) entry.older.newer = entry.newer
    else this.#oldest = entry.newer
    entry.newer = null
    entry.older = null
  }
}
