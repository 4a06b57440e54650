import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { InsufficientPoints } from '../src/domain/errors.ts'
import { createDailyStats } from '../src/services/daily-stats.ts'
import { appendToLedger } from '../src/services/ledger.ts'

const STATS = createDailyStats('Asia/Tokyo')

import { addCard, balances, createTestContext, linkBody, row } from './support.ts'

const ctx = await createTestContext()
const { db, secrets, call } = ctx

describe('GET /api/points/history', () => {
  it('pages the ledger newest first by an opaque cursor, with nothing lost or repeated', async () => {
    const card = await addCard(db, secrets, { points: 1 })
    const user = ctx.newUser()
    const headers = await ctx.userHeaders(user)
    await call('POST', '/api/link', { headers, body: linkBody(card.cardNumber, card.pin) })
    await db.transaction(async (tx) => {
      for (let i = 1; i <= 45; i++)
        await appendToLedger(tx, STATS, {
          cardId: card.cardId,
          type: 'adjust',
          points: i,
          at: ctx.clock.now() + i,
        })
    })
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const q: string = cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''
      const res = await call('GET', `/api/points/history${q}`, { headers })
      expect(res.status).toBe(200)
      seen.push(...res.json.items.map((i: { id: string }) => i.id))
      cursor = res.json.nextCursor
      pages++
    } while (cursor && pages < 10)
    expect(pages).toBe(3)
    expect(seen).toHaveLength(47) // import + bonus + 45
    expect(new Set(seen).size).toBe(47)
    const ids = seen.map(Number)
    expect([...ids].sort((a, b) => b - a)).toEqual(ids)
    const first = (await call('GET', '/api/points/history', { headers })).json.items[0]
    expect(first).toMatchObject({ type: 'adjust', points: 45, balance: 1 + 200 + (45 * 46) / 2 })
    expect(typeof first.createdAt).toBe('string')
  })

  it('rejects a forged cursor with 400 and answers an empty list for an unlinked user', async () => {
    const headers = await ctx.userHeaders(ctx.newUser())
    const bad = await call('GET', '/api/points/history?cursor=not-a-cursor', { headers })
    expect(bad.status).toBe(400)
    expect(bad.json.error.code).toBe('VALIDATION_FAILED')
    const empty = await call('GET', '/api/points/history', { headers })
    expect(empty.json).toEqual({ items: [], nextCursor: null, expiring: null })
  })

  it('shows only the linked card’s entries', async () => {
    const a = await addCard(db, secrets, { points: 7 })
    await addCard(db, secrets, { points: 99 })
    const headers = await ctx.userHeaders(ctx.newUser())
    await call('POST', '/api/link', { headers, body: linkBody(a.cardNumber, a.pin) })
    const res = await call('GET', '/api/points/history', { headers })
    expect(res.json.items.map((i: { points: number }) => i.points)).toEqual([200, 7])
  })
})

describe('points about to expire', () => {
  it('tells when the balance expires: the last activity plus POINTS_EXPIRY_DAYS', async () => {
    const card = await addCard(db, secrets, { points: 30 })
    const headers = await ctx.userHeaders(ctx.newUser())
    await call('POST', '/api/link', { headers, body: linkBody(card.cardNumber, card.pin) })
    const last = await row<{ t: number }>(
      db,
      sql`SELECT last_activity_at AS t FROM point_cards WHERE id = ${card.cardId}`,
    )
    const res = await call('GET', '/api/points/history', { headers })
    expect(res.json.expiring).toEqual({
      points: 230,
      expiresAt: new Date(
        Number(last?.t) + ctx.config.points.expiryDays * 86_400_000,
      ).toISOString(),
    })
    expect(ctx.config.points.expiryDays).toBe(365)
  })

  it('is null with nothing to expire', async () => {
    const zero = await createTestContext({ env: { LINK_BONUS_POINTS: '0' } })
    const card = await addCard(zero.db, zero.secrets, { points: 0 })
    const headers = await zero.userHeaders(zero.newUser())
    await zero.call('POST', '/api/link', { headers, body: linkBody(card.cardNumber, card.pin) })
    expect((await zero.call('GET', '/api/points/history', { headers })).json.expiring).toBeNull()
  })
})

describe('the ledger', () => {
  it('is append-only and never lets a balance go negative', async () => {
    const card = await addCard(db, secrets, { points: 10 })
    const redeem = db.transaction((tx) =>
      appendToLedger(tx, STATS, { cardId: card.cardId, type: 'redeem', points: -11, at: 1 }),
    )
    await expect(redeem).rejects.toBeInstanceOf(InsufficientPoints)
    await expect(redeem).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS' })
    await expect(
      db.execute(sql`UPDATE ledger SET points = 1000 WHERE card_id = ${card.cardId}`),
    ).rejects.toThrow(/append-only/)
    await expect(
      db.execute(sql`DELETE FROM ledger WHERE card_id = ${card.cardId}`),
    ).rejects.toThrow(/append-only/)
    await expect(
      db.execute(sql`UPDATE point_cards SET points = -1 WHERE id = ${card.cardId}`),
    ).rejects.toThrow(/point_cards_points_nonnegative/)
    await expect(
      // @ts-expect-error: the database is not a transaction; the types refuse it as well
      appendToLedger(db, STATS, { cardId: card.cardId, type: 'adjust', points: 1, at: 1 }),
    ).rejects.toThrow(/transaction/)
    expect(await balances(db, card.cardId)).toEqual({ ledger: 10, stored: 10 })
  })
})
