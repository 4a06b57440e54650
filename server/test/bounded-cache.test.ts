import { describe, expect, it } from 'vitest'
import { BoundedCache } from '../src/bounded-cache.ts'

describe('BoundedCache', () => {
  it('holds exactly its maximum once full, however many keys go through it', () => {
    const cache = new BoundedCache<number, number>(100)
    for (let i = 0; i < 10_000; i++) {
      cache.set(i, i * 2)
      expect(cache.size).toBe(Math.min(i + 1, 100))
    }
    expect(cache.get(9_999)).toBe(19_998)
    expect(cache.get(9_900)).toBe(19_800) // the 100 newest are all there
    expect(cache.get(9_899)).toBeUndefined()
    expect(cache.get(0)).toBeUndefined()
  })

  it('drops the least recently used: a read or a write keeps an entry', () => {
    const cache = new BoundedCache<string, string>(3)
    cache.set('a', '1')
    cache.set('b', '2')
    cache.set('c', '3')
    expect(cache.get('a')).toBe('1') // a is now the newest: b is the oldest
    cache.set('d', '4')
    expect(cache.has('b')).toBe(false)
    expect([cache.has('a'), cache.has('c'), cache.has('d')]).toEqual([true, true, true])
    cache.set('c', '33') // a write is a use too: a is now the oldest
    cache.set('e', '5')
    expect(cache.has('a')).toBe(false)
    expect(cache.get('c')).toBe('33')
    // the oldest and the newest themselves, read and dropped in turn
    cache.get('e')
    cache.set('f', '6')
    expect(cache.has('d')).toBe(false)
    expect(cache.size).toBe(3)
  })

  it('keeps what is in use: an entry read again survives the keys that come after it', () => {
    const cache = new BoundedCache<string, string>(10)
    cache.set('hot', 'yes')
    for (let i = 0; i < 1_000; i++) {
      cache.set(`k${i}`, 'v')
      expect(cache.get('hot')).toBe('yes')
    }
    expect(cache.get('k0')).toBeUndefined()
    expect(cache.size).toBe(10)
  })

  it('get, has, delete and clear; null is a value; a set replaces the value', () => {
    const cache = new BoundedCache<string, number | null>(4)
    cache.set('a', 1)
    cache.set('b', null)
    expect(cache.has('a')).toBe(true)
    expect(cache.get('b')).toBeNull()
    cache.set('a', 2)
    expect(cache.get('a')).toBe(2)
    expect(cache.size).toBe(2)
    cache.delete('a')
    cache.delete('a') // twice: nothing happens
    expect(cache.has('a')).toBe(false)
    expect(cache.get('a')).toBeUndefined()
    // the list stays whole after deletes: fill past the bound, the order still holds
    for (const k of ['c', 'd', 'e', 'f']) cache.set(k, 0)
    expect(cache.has('b')).toBe(false)
    expect(cache.size).toBe(4)
    cache.delete('f') // the newest
    cache.delete('c') // the oldest
    cache.set('g', 7)
    cache.set('h', 8)
    cache.set('i', 9)
    expect(cache.has('d')).toBe(false)
    expect([cache.get('e'), cache.get('g'), cache.get('h'), cache.get('i')]).toEqual([0, 7, 8, 9])
    cache.clear()
    expect(cache.size).toBe(0)
    expect(cache.get('e')).toBeUndefined()
    cache.set('j', 1)
    expect(cache.get('j')).toBe(1)
  })
})
