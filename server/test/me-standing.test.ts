import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.ts'
import { createDailyStats } from '../src/services/daily-stats.ts'
import { appendToLedger } from '../src/services/ledger.ts'
import { addCard, createTestContext, linkBody } from './support.ts'

const ctx = await createTestContext({
  env: { POINTS_RANK_THRESHOLDS: 'gold:2000,silver:500', POINTS_EXPIRY_DAYS: '30' },
})
const { db, secrets, call } = ctx
const DAY = 86_400_000
/** The dashboard's counters the ledger keeps (not what this file tests). */
const STATS = createDailyStats('Asia/Tokyo')

async function linkedMember(o: { rank: string; points?: number }) {
  const card = await addCard(db, secrets, o)
  const user = ctx.newUser()
  const headers = await ctx.userHeaders(user)
  const linked = await call('POST', '/api/link', {
    headers,
    body: linkBody(card.cardNumber, card.pin),
  })
  expect(linked.status).toBe(201)
  return { card, user, headers }
}

describe('GET /api/me: expiry and rank', () => {
  it('shows when the balance expires, the rank’s multiplier and the progress to the next rank', async () => {
    const { card, headers } = await linkedMember({ rank: 'silver', points: 10 })
    const now = ctx.clock.now()
    await db.transaction(async (tx) => {
      // Older than a year: not counted towards the next rank.
      await appendToLedger(tx, STATS, {
        cardId: card.cardId,
        type: 'award',
        points: 900,
        at: now - 400 * DAY,
      })
      await appendToLedger(tx, STATS, {
        cardId: card.cardId,
        type: 'award',
        points: 300,
        at: now - DAY,
      })
      // A voided award does not count; a redemption does not reduce what was earned.
      const voided = await appendToLedger(tx, STATS, {
        cardId: card.cardId,
        type: 'award',
        points: 50,
        at: now,
      })
      await appendToLedger(tx, STATS, {
        cardId: card.cardId,
        type: 'void',
        points: -50,
        voidsEntryId: voided.id,
        at: now,
      })
      await appendToLedger(tx, STATS, {
        cardId: card.cardId,
        type: 'redeem',
        points: -100,
        at: now,
      })
    })
    const res = await call('GET', '/api/me', { headers })
    expect(res.status).toBe(200)
    const m = res.json.member
    expect(m).toMatchObject({ rank: 'silver', rankMultiplier: 1.5 })
    // The link bonus (200) and the award of yesterday (300).
    expect(m.nextRank).toEqual({ rank: 'gold', threshold: 2000, earned: 500, multiplier: 2 })
    expect(Date.parse(m.pointsExpireAt)).toBe(now + 30 * DAY)
  })

  it('has no next rank at the top, and no expiry with no balance', async () => {
    const { headers } = await linkedMember({ rank: 'gold' })
    const m = (await call('GET', '/api/me', { headers })).json.member
    expect(m.rankMultiplier).toBe(2)
    expect(m.nextRank).toBeNull()
    // The link bonus is a balance: it expires.
    expect(m.pointsExpireAt).not.toBeNull()
    const regular = await linkedMember({ rank: 'regular' })
    const r = (await call('GET', '/api/me', { headers: regular.headers })).json.member
    expect(r.nextRank).toMatchObject({ rank: 'silver', threshold: 500, earned: 200 })
    expect(r.rankMultiplier).toBe(1)
  })

  it('counts an award towards the next rank until it is a year old, with nothing written in between', async () => {
    const { card, user, headers } = await linkedMember({ rank: 'regular' })
    await db.transaction(async (tx) => {
      await appendToLedger(tx, STATS, {
        cardId: card.cardId,
        type: 'award',
        points: 300,
        at: ctx.clock.now() - 360 * DAY,
      })
    })
    const earned = async (h: Record<string, string>) =>
      (await call('GET', '/api/me', { headers: h })).json.member.nextRank.earned
    // The link bonus (200) and the award of 360 days ago, read twice (the second from memory).
    expect(await earned(headers)).toBe(500)
    expect(await earned(headers)).toBe(500)
    ctx.clock.advance(6 * DAY)
    // The award is now 366 days old; the bonus still counts.
    const later = await ctx.userHeaders(user)
    expect(await earned(later)).toBe(200)
  })

  it('reads POINTS_RANK_THRESHOLDS lowest first, allows none, and refuses a malformed one', () => {
    expect(
      loadConfig({ POINTS_RANK_THRESHOLDS: 'gold:2000, silver:500' }).points.rankThresholds,
    ).toEqual([
      { rank: 'silver', points: 500 },
      { rank: 'gold', points: 2000 },
    ])
    expect(loadConfig({ POINTS_RANK_THRESHOLDS: '' }).points.rankThresholds).toEqual([])
    expect(() => loadConfig({ POINTS_RANK_THRESHOLDS: 'gold=2000' })).toThrow(
      /POINTS_RANK_THRESHOLDS/,
    )
  })
})
