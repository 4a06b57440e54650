import { describe, expect, it } from 'vitest'
import { cardNumberOf, importMembers, keyed, signIn, tokyo } from './admin-data-support.ts'
import { createMessagingContext, userEvent } from './messaging-support.ts'
import { linkBody } from './support.ts'

/**
 * `GET /api/admin/kpis` against figures computed by hand from a seeded story (Asia/Tokyo,
 * UTC+9): links either side of midnight in Tokyo (the same UTC day), till transactions in two
 * stores, follows and an unfollow, an unlink; the period before; the role checks.
 */
const ctx = await createMessagingContext()
const A = cardNumberOf('490000000000101')
const B = cardNumberOf('490000000000102')
const C = cardNumberOf('490000000000103')
const D = cardNumberOf('490000000000104')
const [uA, uB, uC, uD] = [ctx.newUser(), ctx.newUser(), ctx.newUser(), ctx.newUser()]

const follow = (user: string, type: 'follow' | 'unfollow') =>
  ctx.webhook({ destination: 'Udest', events: [userEvent(user, type)] }).then((r) => {
    expect(r.status).toBe(200)
  })
const link = async (user: string, card: string) => {
  const res = await ctx.call('POST', '/api/link', {
    headers: await ctx.userHeaders(user),
    body: linkBody(card, '1234'),
  })
  expect(res.status, JSON.stringify(res.json)).toBe(201)
  expect(res.json.bonusPoints).toBe(200)
}
const qrOf = async (user: string) => {
  const r = await ctx.call('GET', '/api/card/qr', { headers: await ctx.userHeaders(user) })
  expect(r.status).toBe(200)
  return r.json.token as string
}
/** At the till of `store`: a scan, then an award or a redemption. */
const till = async (store: string, user: string, body: Record<string, unknown>) => {
  const staff = await signIn(ctx, `clerk-${store}`, 'clerk', store)
  const qrToken = await qrOf(user)
  const scan = await ctx.call('POST', '/api/staff/scan', { headers: staff, body: { qrToken } })
  expect(scan.status).toBe(200)
  const res = await keyed(ctx, staff, '/api/staff/points', { qrToken, ...body })
  expect(res.status, JSON.stringify(res.json)).toBe(200)
  return res.json
}
const kpis = async (query: string, role: 'operator' | 'admin' = 'operator') => {
  const headers = await signIn(ctx, `kpi-${role}`, role)
  return ctx.call('GET', `/api/admin/kpis${query}`, { headers })
}

// The story (dates in Tokyo).
ctx.clock.set(tokyo('2026-11-19', '10:00'))
await importMembers(ctx, [
  { cardNumber: A, name: 'A', points: 100 },
  { cardNumber: B, name: 'B', points: 0 },
  { cardNumber: C, name: 'C', points: 50 },
  { cardNumber: D, name: 'D', points: 0 },
])
for (const u of [uA, uB, uC]) await follow(u, 'follow')
ctx.clock.set(tokyo('2026-11-20', '23:50')) // 14:50 UTC on the 20th
await link(uA, A)
ctx.clock.set(tokyo('2026-11-21', '00:10')) // 15:10 UTC, still the 20th in UTC
await link(uB, B)
ctx.clock.set(tokyo('2026-11-21', '00:20'))
await link(uD, D)
ctx.clock.set(tokyo('2026-11-21', '10:00'))
expect((await till('S001', uA, { type: 'award', purchaseAmount: 1000 })).points).toBe(10)
ctx.clock.set(tokyo('2026-11-21', '10:05'))
expect((await till('S001', uA, { type: 'award', purchaseAmount: 500 })).points).toBe(5)
ctx.clock.set(tokyo('2026-11-21', '23:59'))
expect((await till('S002', uB, { type: 'redeem', points: 50 })).points).toBe(-50)
ctx.clock.set(tokyo('2026-11-22', '00:01')) // 15:01 UTC on the 21st
expect((await till('S001', uB, { type: 'award', purchaseAmount: 2000 })).points).toBe(20)
ctx.clock.set(tokyo('2026-11-22', '09:00'))
await follow(uC, 'unfollow')
ctx.clock.set(tokyo('2026-11-22', '12:00'))
{
  const res = await ctx.call('DELETE', '/api/link', { headers: await ctx.userHeaders(uA) })
  expect(res.status).toBe(204)
}
ctx.clock.set(tokyo('2026-11-23', '08:00'))

describe('GET /api/admin/kpis', () => {
  it('answers the period with the hand-computed figures, Tokyo days across UTC midnight', async () => {
    const res = await kpis('?from=2026-11-21&to=2026-11-22')
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    const k = res.json
    expect(k.period).toEqual({ from: '2026-11-21', to: '2026-11-22' })
    // Now: uA and uB follow (uC unfollowed; uD never followed); B and D are linked (A
    // unlinked); of the linked, only B's user is a friend.
    expect(k.friends).toBe(2)
    expect(k.linkedMembers).toBe(2)
    expect(k.linkRate).toBe(0.5)
    // In the period: B's and D's links (A's, at 23:50 on the 20th, is not in it).
    expect(k.newLinks).toBe(2)
    expect(k.bonusPointsGranted).toBe(400)
    expect(k.pointsAwarded).toBe(35)
    expect(k.pointsRedeemed).toBe(50)
    expect(k.pointsExpired).toBe(0)
    // 150 imported + 600 bonus + 35 awarded − 50 redeemed.
    expect(k.outstandingPoints).toBe(735)
    expect(k.byStore).toEqual([
      { storeCode: 'S001', scans: 3, awards: 3, redeems: 0 },
      { storeCode: 'S002', scans: 1, awards: 0, redeems: 1 },
    ])
    expect(k.daily).toEqual([
      { date: '2026-11-21', newLinks: 2, pointsAwarded: 15, pointsRedeemed: 50 },
      { date: '2026-11-22', newLinks: 0, pointsAwarded: 20, pointsRedeemed: 0 },
    ])
    // A visited on the 21st, B on the 21st and the 22nd.
    expect(k.activeMembers30).toBe(2)
    expect(k.activeMembers90).toBe(2)
    // Linked at the end of the 22nd: B and D; 3 visits in 2 days = 3 / 2 / (2 / 30) a month.
    expect(k.linkedVsUnlinked).toEqual({
      linked: { members: 2, visitsPerMemberPerMonth: 22.5, averagePurchaseYen: 1167 },
      unlinked: { members: 2, visitsPerMemberPerMonth: 0, averagePurchaseYen: null },
    })
  })

  it('answers the period before with its flows and the states at its end', async () => {
    const { previous } = (await kpis('?from=2026-11-21&to=2026-11-22')).json
    expect(previous).toMatchObject({
      period: { from: '2026-11-19', to: '2026-11-20' },
      // At the end of the 20th: three friends, A linked (its user a friend).
      friends: 3,
      linkedMembers: 1,
      linkRate: 0.3333,
      newLinks: 1,
      bonusPointsGranted: 200,
      pointsAwarded: 0,
      pointsRedeemed: 0,
      outstandingPoints: 350,
      activeMembers30: 0,
      activeMembers90: 0,
    })
    expect(previous.linkedVsUnlinked.linked).toEqual({
      members: 1,
      visitsPerMemberPerMonth: 0,
      averagePurchaseYen: null,
    })
  })

  it('puts a link at 23:50 and one at 00:10 in Tokyo on different days', async () => {
    const the20th = (await kpis('?from=2026-11-20&to=2026-11-20')).json
    const the21st = (await kpis('?from=2026-11-21&to=2026-11-21', 'admin')).json
    expect([the20th.newLinks, the21st.newLinks]).toEqual([1, 2])
    expect(the21st.daily).toEqual([
      { date: '2026-11-21', newLinks: 2, pointsAwarded: 15, pointsRedeemed: 50 },
    ])
    // B's redemption at 23:59 on the 21st and award at 00:01 on the 22nd: two visits.
    expect(the21st.linkedVsUnlinked.linked.visitsPerMemberPerMonth).toBe(
      Math.round((2 / 3 / (1 / 30)) * 100) / 100,
    )
  })

  it('defaults to the 30 days ending today, in Tokyo', async () => {
    const k = (await kpis('')).json
    expect(k.period).toEqual({ from: '2026-10-25', to: '2026-11-23' })
    expect(k.daily).toHaveLength(30)
    expect(k.newLinks).toBe(3)
    expect(k.previous.period).toEqual({ from: '2026-09-25', to: '2026-10-24' })
  })

  it('refuses a reversed period, one over 366 days and a date that is not one', async () => {
    for (const q of [
      '?from=2026-11-22&to=2026-11-21',
      '?from=2025-11-21&to=2026-11-22',
      '?from=2026-02-30&to=2026-03-01',
      '?from=yesterday',
      '?period=1',
    ]) {
      const res = await kpis(q)
      expect(res.status, q).toBe(400)
      expect(res.json.error.code).toBe('VALIDATION_FAILED')
    }
    expect((await kpis('?from=2025-11-22&to=2026-11-22')).status).toBe(200)
  })

  it('answers 401 without credentials and 403 FORBIDDEN to a clerk and a manager', async () => {
    expect((await ctx.call('GET', '/api/admin/kpis')).status).toBe(401)
    for (const role of ['clerk', 'manager'] as const) {
      const headers = await signIn(ctx, `kpi-${role}`, role, 'S001')
      const res = await ctx.call('GET', '/api/admin/kpis', { headers })
      expect(res.status, role).toBe(403)
      expect(res.json.error.code).toBe('FORBIDDEN')
    }
  })
})
