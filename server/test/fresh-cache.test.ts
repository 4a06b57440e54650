import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { createFreshness } from '../src/db/fresh-cache.ts'
import type { SqliteDatabase } from '../src/db/sqlite.ts'

const dir = mkdtempSync(join(tmpdir(), 'fresh-cache-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function open(path: string) {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  return db
}

/** A database with a table `t (k, v)`, a fresh-cache over `SELECT v` and a count of loads. */
function setup(name: string, maxEntries?: number) {
  const path = join(dir, `${name}.db`)
  const db = open(path)
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)')
  db.prepare('INSERT INTO t VALUES (?, ?), (?, ?), (?, ?)').run('a', 1, 'b', 2, 'c', 3)
  const select = db.prepare<[string], { v: number }>('SELECT v FROM t WHERE k = ?')
  let loads = 0
  /** For each load: whether it ran inside a transaction. */
  const inTransaction: boolean[] = []
  const get = createFreshness(db).cache((k: string) => {
    loads++
    inTransaction.push(db.inTransaction)
    if (k === 'boom') throw new Error('boom')
    return select.get(k)?.v ?? null
  }, maxEntries)
  return { db, path, get, loads: () => loads, inTransaction }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

describe('fresh-cache', () => {
  it('serves a repeated read from memory while nothing changes', async () => {
    const { get, loads } = setup('repeat')
    expect(get('a')).toBe(1)
    expect(get('a')).toBe(1)
    await nextTurn()
    expect(get('a')).toBe(1)
    expect(get('missing')).toBeNull()
    expect(get('missing')).toBeNull()
    expect(loads()).toBe(2)
  })

  it('never serves a value after a write on the same connection, even in the same turn', () => {
    const { db, get } = setup('own')
    expect(get('a')).toBe(1)
    db.prepare('UPDATE t SET v = 10 WHERE k = ?').run('a')
    expect(get('a')).toBe(10)
    // a write to another row also empties the cache (coarse, exact)
    expect(get('b')).toBe(2)
    db.prepare('INSERT INTO t VALUES (?, ?)').run('d', 4)
    db.prepare('UPDATE t SET v = 20 WHERE k = ?').run('b')
    expect(get('b')).toBe(20)
    expect(get('d')).toBe(4)
  })

  it("sees another connection's commit from the next turn of the event loop", async () => {
    const { path, get } = setup('other')
    const other = open(path)
    expect(get('a')).toBe(1)
    other.prepare('UPDATE t SET v = 100 WHERE k = ?').run('a')
    await nextTurn()
    expect(get('a')).toBe(100)
    // and a commit from another process's connection is the same: a separate file handle
    other.prepare('DELETE FROM t WHERE k = ?').run('a')
    await nextTurn()
    expect(get('a')).toBeNull()
    other.close()
  })

  it('does not cache what it reads inside a transaction (it may be rolled back)', () => {
    const { db, get, loads } = setup('tx')
    expect(get('c')).toBe(3)
    const before = loads()
    expect(() =>
      db.transaction(() => {
        db.prepare('UPDATE t SET v = 99 WHERE k = ?').run('c')
        expect(get('c')).toBe(99) // inside: the transaction's own view, loaded not cached
        expect(get('c')).toBe(99)
        throw new Error('roll back')
      })(),
    ).toThrow('roll back')
    expect(loads() - before).toBe(2)
    expect(get('c')).toBe(3)
  })

  it('batched: the misses of one turn are read together in one read transaction, then cached', async () => {
    const { db, get, loads, inTransaction } = setup('batched')
    const asked = [get.batched('a'), get.batched('b'), get.batched('missing')]
    for (const p of asked) expect(p).toBeInstanceOf(Promise)
    expect(loads()).toBe(0) // nothing read yet: at the end of the turn
    expect(await Promise.all(asked)).toEqual([1, 2, null])
    expect(inTransaction).toEqual([true, true, true])
    expect(db.inTransaction).toBe(false) // the read transaction ended
    // now hits: answered at once, no promise, no read
    expect(get.batched('a')).toBe(1)
    expect(get.batched('missing')).toBeNull()
    expect(loads()).toBe(3)
    // one miss alone is read as before, without a transaction of its own
    expect(await get.batched('c')).toBe(3)
    expect(inTransaction.at(-1)).toBe(false)
  })

  it('batched: a write made after the ask and before the read is seen; a cached value after a write is not', async () => {
    const { db, get } = setup('batched-write')
    const a = get.batched('a')
    const b = get.batched('b')
    db.prepare('UPDATE t SET v = 11 WHERE k = ?').run('a')
    expect(await Promise.all([a, b])).toEqual([11, 2])
    db.prepare('UPDATE t SET v = 22 WHERE k = ?').run('b')
    expect(await get.batched('b')).toBe(22)
  })

  it('batched: a failing read fails only its own caller, and no transaction is left open', async () => {
    const { db, get } = setup('batched-error')
    const [a, boom, c] = await Promise.allSettled([
      get.batched('a'),
      get.batched('boom'),
      get.batched('c'),
    ])
    expect(a).toEqual({ status: 'fulfilled', value: 1 })
    expect(boom).toMatchObject({ status: 'rejected', reason: new Error('boom') })
    expect(c).toEqual({ status: 'fulfilled', value: 3 })
    expect(db.inTransaction).toBe(false)
    db.transaction(() => db.prepare('INSERT INTO t VALUES (?, ?)').run('e', 5)).immediate()
    expect(await get.batched('e')).toBe(5)
  })

  it('batched: inside a transaction it reads at once and caches nothing', () => {
    const { db, get, loads } = setup('batched-tx')
    db.transaction(() => {
      db.prepare('UPDATE t SET v = 77 WHERE k = ?').run('a')
      expect(get.batched('a')).toBe(77)
    })()
    expect(loads()).toBe(1)
    expect(get('a')).toBe(77)
    expect(loads()).toBe(2)
  })

  it('keeps at most maxEntries values, dropping the least recently used', () => {
    const { get, loads } = setup('bounded', 4)
    for (let i = 0; i < 200; i++) {
      get('a') // in use all along: stays cached
      get(`other-${i}`)
    }
    expect(loads()).toBe(201)
    get('other-0') // long gone
    expect(loads()).toBe(202)
  })
})

describe('the card routes read through it and still follow every change at once', async () => {
  const { checkQrToken } = await import('../src/services/qr-token.ts')
  const { addCard, createTestContext, linkBody } = await import('./support.ts')
  const ctx = await createTestContext({ databasePath: join(dir, 'app.db') })
  const { db, secrets, call } = ctx

  it('balance, link and unlink: GET /api/me and GET /api/card/qr never answer from before', async () => {
    const user = ctx.newUser()
    const headers = await ctx.userHeaders(user)
    const first = await addCard(db, secrets, { points: 10 })
    const second = await addCard(db, secrets, { points: 70 })
    expect((await call('GET', '/api/me', { headers })).json).toEqual({ linked: false })
    expect((await call('GET', '/api/card/qr', { headers })).status).toBe(404)
    expect(
      (await call('POST', '/api/link', { headers, body: linkBody(first.cardNumber, first.pin) }))
        .status,
    ).toBe(201)
    const me = async () => (await call('GET', '/api/me', { headers })).json
    const qrLink = async () => {
      const res = await call('GET', '/api/card/qr', { headers })
      const check = checkQrToken(secrets.qrTokenKey, res.json.token, ctx.clock.now())
      return check.ok ? check.payload.linkId : null
    }
    expect((await me()).member.points).toBe(210)
    const firstLink = await qrLink()
    expect(firstLink).not.toBeNull()
    // a change through this process's connection, in the same turn as the reads around it
    const { sqlite } = db as SqliteDatabase
    sqlite.prepare('UPDATE point_cards SET points = 333 WHERE id = ?').run(first.cardId)
    expect((await me()).member.points).toBe(333)
    // a commit by another connection (another process: points:expire, cards:import)
    const other = new Database(join(dir, 'app.db'))
    other.prepare('UPDATE point_cards SET points = 444 WHERE id = ?').run(first.cardId)
    other.close()
    await nextTurn()
    expect((await me()).member.points).toBe(444)
    // unlink, then link another card: the QR names the new link at once
    expect((await call('DELETE', '/api/link', { headers })).status).toBe(204)
    expect(await me()).toEqual({ linked: false })
    expect((await call('GET', '/api/card/qr', { headers })).status).toBe(404)
    expect(
      (await call('POST', '/api/link', { headers, body: linkBody(second.cardNumber, second.pin) }))
        .status,
    ).toBe(201)
    const secondLink = await qrLink()
    expect(secondLink).not.toBeNull()
    expect(secondLink).not.toBe(firstLink)
    expect((await me()).member.points).toBe(70)
  })
})
