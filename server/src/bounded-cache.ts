/**
 * A map that keeps at most about `maxEntries` entries, in two generations: new entries go into
 * the young one; when it holds half the maximum it becomes the old one and the previous old one
 * is dropped whole. A hit in the old generation moves the entry back into the young one, so
 * what is in use stays. Every operation is O(1). Values cannot be `undefined` (it means absent).
 *
 * Why not one `Map` that deletes its oldest key at each insert: V8's ordered hash table leaves
 * a hole for every deleted entry until it next rehashes, and `keys().next()` walks over all the
 * holes from the front. With one insert per request (a new ID token or a new LINE user) that
 * walk cost `/api/me` ~10 µs per request at 10,000 entries (docs/decisions/017).
 */
export class BoundedCache<K, V extends NonNullable<unknown> | null> {
  #young = new Map<K, V>()
  #old = new Map<K, V>()
  readonly #half: number

  constructor(maxEntries: number) {
    this.#half = Math.max(1, Math.floor(maxEntries / 2))
  }

  /** The value, or undefined when absent (or dropped with its generation). */
  get(key: K): V | undefined {
    const young = this.#young.get(key)
    if (young !== undefined) return young
    const old = this.#old.get(key)
    if (old === undefined) return undefined
    this.#old.delete(key)
    this.set(key, old)
    return old
  }

  has(key: K): boolean {
    return this.#young.has(key) || this.#old.has(key)
  }

  set(key: K, value: V): void {
    this.#old.delete(key)
    this.#young.set(key, value)
    if (this.#young.size >= this.#half) {
      this.#old = this.#young
      this.#young = new Map()
    }
  }

  delete(key: K): void {
    this.#young.delete(key)
    this.#old.delete(key)
  }

  clear(): void {
    this.#young.clear()
    this.#old.clear()
  }

  /** Entries held now (at most about `maxEntries`). */
  get size(): number {
    return this.#young.size + this.#old.size
  }
}
