import { describe, expect, it } from 'vitest'
import { BoundedCache } from '../src/bounded-cache.ts'

describe('BoundedCache', () => {
  it('never holds more than its maximum, however many keys go through it', () => {
    const cache = new BoundedCache<number, number>(100)
    for (let i = 0; i < 10_000; i++) {
      cache.set(i, i * 2)
      expect(cache.size).toBeLessThanOrEqual(100)
    }
    expect(cache.get(9_999)).toBe(19_998)
    expect(cache.get(0)).toBeUndefined()
  })

  it('keeps what is in use: an entry read again survives the keys that come after it', () => {
    const cache = new BoundedCache<string, string>(10)
    cache.set('hot', 'yes')
    for (let i = 0; i < 1_000; i++) {
      cache.set(`k${i}`, 'v')
      expect(cache.get('hot')).toBe('yes')
    }
    expect(cache.get('k0')).toBeUndefined()
  })

  it('get, has, delete and clear see both generations; a set replaces an older value', () => {
    const cache = new BoundedCache<string, number | null>(4)
    cache.set('a', 1)
    cache.set('b', null) // fills the young half: a and b become the old generation
    expect(cache.has('a')).toBe(true)
    expect(cache.get('b')).toBeNull()
    cache.set('a', 2)
    expect(cache.get('a')).toBe(2)
    cache.delete('a')
    expect(cache.has('a')).toBe(false)
    expect(cache.get('a')).toBeUndefined()
    cache.clear()
    expect(cache.size).toBe(0)
    expect(cache.get('b')).toBeUndefined()
  })
})
