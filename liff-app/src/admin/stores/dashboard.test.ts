import { afterEach, describe, expect, it, vi } from 'vitest'
import { fakeAdmin } from '../../test/fake-admin.ts'
import { apiError, json } from '../../test/fake-api.ts'
import { lastDays } from '../period.ts'
import type { Kpis } from '../types.ts'
import { useDashboardStore } from './dashboard.ts'

function kpis(over: Partial<Kpis> = {}): Kpis {
  return {
    period: { from: '2026-03-03', to: '2026-04-01' },
    friends: 10,
    linkedMembers: 4,
    linkRate: 0.4,
    newLinks: 3,
    bonusPointsGranted: 600,
    pointsAwarded: 150,
    pointsRedeemed: 0,
    pointsExpired: 0,
    outstandingPoints: 750,
    activeMembers30: 2,
    activeMembers90: 3,
    couponsIssued: 5,
    couponsUsed: 2,
    previous: {
      period: { from: '2026-02-01', to: '2026-03-02' },
      friends: 8,
      linkedMembers: 2,
      linkRate: 0.25,
      newLinks: 2,
      bonusPointsGranted: 400,
      pointsAwarded: 0,
      pointsRedeemed: 50,
      pointsExpired: 0,
      outstandingPoints: 600,
      activeMembers30: 1,
      activeMembers90: 1,
      linkedVsUnlinked: {
        linked: { members: 2, visitsPerMemberPerMonth: 1, averagePurchaseYen: 1000 },
        unlinked: { members: 6, visitsPerMemberPerMonth: 1, averagePurchaseYen: 900 },
      },
    },
    linkedVsUnlinked: {
      linked: { members: 4, visitsPerMemberPerMonth: 2, averagePurchaseYen: 1500 },
      unlinked: { members: 6, visitsPerMemberPerMonth: 1, averagePurchaseYen: 900 },
    },
    byStore: [{ storeCode: 'S001', scans: 3, awards: 2, redeems: 0 }],
    daily: [],
    ...over,
  }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('the dashboard store', () => {
  it('defaults to the last 30 days ending today in Tokyo, across the UTC date line', () => {
    // 15:30 UTC on 31 March is 00:30 on 1 April in Tokyo.
    expect(lastDays(30, new Date('2026-03-31T15:30:00Z'))).toEqual({
      from: '2026-03-03',
      to: '2026-04-01',
    })
    expect(lastDays(30, new Date('2026-03-31T14:59:00Z'))).toEqual({
      from: '2026-03-02',
      to: '2026-03-31',
    })
    vi.useFakeTimers({ now: new Date('2026-03-31T15:30:00Z'), toFake: ['Date'] })
    fakeAdmin({}, { signedIn: {} })
    expect(useDashboardStore().period).toEqual({ from: '2026-03-03', to: '2026-04-01' })
  })

  it('loads the period and compares each flow figure with the previous period', async () => {
    const { calls } = fakeAdmin({ 'GET /api/admin/kpis': () => json(kpis()) }, { signedIn: {} })
    const dashboard = useDashboardStore()
    await dashboard.setPeriod('2026-03-03', '2026-04-01')
    const url = new URL(calls[0]?.url ?? '')
    expect(url.searchParams.get('from')).toBe('2026-03-03')
    expect(url.searchParams.get('to')).toBe('2026-04-01')
    expect(dashboard.comparisons?.newLinks).toEqual({ value: 3, previous: 2, change: 0.5 })
    expect(dashboard.comparisons?.pointsRedeemed).toEqual({ value: 0, previous: 50, change: -1 })
    // From nothing: no percentage to show.
    expect(dashboard.comparisons?.pointsAwarded).toEqual({ value: 150, previous: 0, change: null })
    // States compare with the end of the period before.
    expect(dashboard.comparisons?.friends).toEqual({ value: 10, previous: 8, change: 0.25 })
    expect(dashboard.comparisons?.linkedMembers).toEqual({ value: 4, previous: 2, change: 1 })
    expect(dashboard.error).toBeNull()
    expect(dashboard.loading).toBe(false)
  })

  it('refuses a reversed or over-long period without asking the server', async () => {
    fakeAdmin({}, { signedIn: {} })
    const dashboard = useDashboardStore()
    await dashboard.setPeriod('2026-04-02', '2026-04-01')
    expect(dashboard.periodProblem).toBe('order')
    await dashboard.setPeriod('2025-01-01', '2026-01-02')
    expect(dashboard.periodProblem).toBe('length')
    expect(dashboard.kpis).toBeNull()
  })

  it('keeps the latest period when an earlier answer arrives last', async () => {
    let releaseFirst: (r: Response) => void = () => undefined
    const first = new Promise<Response>((r) => {
      releaseFirst = r
    })
    fakeAdmin(
      {
        'GET /api/admin/kpis': [() => first, () => json(kpis({ newLinks: 7 }))],
      },
      { signedIn: {} },
    )
    const dashboard = useDashboardStore()
    const older = dashboard.setPeriod('2026-01-01', '2026-01-31')
    await dashboard.setPeriod('2026-02-01', '2026-02-28')
    releaseFirst(json(kpis({ newLinks: 1 })))
    await older
    expect(dashboard.kpis?.newLinks).toBe(7)
  })

  it('keeps the failure to show, and clears it on the next success', async () => {
    fakeAdmin(
      {
        'GET /api/admin/kpis': [() => apiError('SERVICE_UNAVAILABLE', 503), () => json(kpis())],
      },
      { signedIn: {} },
    )
    const dashboard = useDashboardStore()
    await dashboard.load()
    expect(dashboard.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' })
    await dashboard.load()
    expect(dashboard.error).toBeNull()
    expect(dashboard.kpis?.friends).toBe(10)
  })
})
