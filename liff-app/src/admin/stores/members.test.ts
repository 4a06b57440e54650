import { describe, expect, it } from 'vitest'
import { bodyOf, fakeAdmin } from '../../test/fake-admin.ts'
import { apiError, json } from '../../test/fake-api.ts'
import type { MemberDetail } from '../types.ts'
import { searchTerm, useMembersStore } from './members.ts'

const row = {
  cardId: 'c1',
  cardNumber: '4900 **** **** 0011',
  name: '山田 花子',
  rank: 'silver',
  points: 300,
  linked: true,
}

function detail(points: number, over: Partial<MemberDetail> = {}): MemberDetail {
  return {
    cardId: 'c1',
    cardNumber: '4900 **** **** 0011',
    name: '山田 花子',
    rank: 'silver',
    points,
    birthDate: null,
    linked: true,
    linkedAt: '2026-03-01T01:00:00.000Z',
    friend: true,
    locked: null,
    erasedAt: null,
    consents: [{ version: '2026-11-01', acceptedAt: '2026-03-01T01:00:00.000Z' }],
    messages: [],
    ...over,
  }
}
const noHistory = () => json({ items: [], nextCursor: null })

describe('the members store', () => {
  it('sends a card number typed with spaces as digits, and a name as typed', () => {
    expect(searchTerm('4900 0000 0000 0011')).toBe('4900000000000011')
    expect(searchTerm('4900-0000-0000-0011')).toBe('4900000000000011')
    expect(searchTerm('0011')).toBe('0011')
    expect(searchTerm('山田 花子')).toBe('山田 花子')
  })

  it('searches by the last 4 digits and pages on with the cursor', async () => {
    const { calls } = fakeAdmin(
      {
        'GET /api/admin/members': [
          () => json({ items: [row], nextCursor: 'n1' }),
          () => json({ items: [{ ...row, cardId: 'c2' }], nextCursor: null }),
        ],
      },
      { signedIn: {} },
    )
    const members = useMembersStore()
    await members.search(' 0011 ')
    expect(new URL(calls[0]?.url ?? '').searchParams.get('q')).toBe('0011')
    expect(members.results).toEqual([row])
    await members.more()
    const next = new URL(calls[1]?.url ?? '').searchParams
    expect([next.get('q'), next.get('cursor')]).toEqual(['0011', 'n1'])
    expect(members.results?.map((r) => r.cardId)).toEqual(['c1', 'c2'])
    expect(members.nextCursor).toBeNull()
  })

  it('does not call the server for an empty search', async () => {
    const { calls } = fakeAdmin({}, { signedIn: {} })
    const members = useMembersStore()
    await members.search('   ')
    expect(calls).toHaveLength(0)
    expect(members.results).toBeNull()
  })

  it('adjusts with the reason and the dialog’s Idempotency-Key, then shows the new balance', async () => {
    const { calls } = fakeAdmin(
      {
        'GET /api/admin/members': () => json({ items: [row], nextCursor: null }),
        'GET /api/admin/members/c1': [() => json(detail(300)), () => json(detail(350))],
        'GET /api/admin/members/c1/history': noHistory,
        'POST /api/admin/members/c1/adjust': () =>
          json({ transactionId: 't1', points: 50, balance: 350 }),
      },
      { signedIn: { csrfToken: 'csrf-x' } },
    )
    const members = useMembersStore()
    await members.search('0011')
    await members.open('c1')
    const result = await members.adjust(50, 'レシート再発行の付与漏れ', 'key-1')
    expect(result.balance).toBe(350)
    const post = calls.find((c) => c.method === 'POST') as Request
    expect(post.headers.get('idempotency-key')).toBe('key-1')
    expect(post.headers.get('x-csrf-token')).toBe('csrf-x')
    expect(await bodyOf(post)).toEqual({ points: 50, reason: 'レシート再発行の付与漏れ' })
    expect(members.member?.points).toBe(350)
    expect(members.results?.[0]?.points).toBe(350)
  })

  it('rejects with INSUFFICIENT_POINTS and leaves the balance as it was', async () => {
    fakeAdmin(
      {
        'GET /api/admin/members/c1': () => json(detail(30)),
        'GET /api/admin/members/c1/history': noHistory,
        'POST /api/admin/members/c1/adjust': () => apiError('INSUFFICIENT_POINTS', 422),
      },
      { signedIn: {} },
    )
    const members = useMembersStore()
    await members.open('c1')
    await expect(members.adjust(-50, '誤付与の取り消し', 'key-2')).rejects.toMatchObject({
      code: 'INSUFFICIENT_POINTS',
    })
    expect(members.member?.points).toBe(30)
  })

  it('says when a member is not there', async () => {
    fakeAdmin(
      {
        'GET /api/admin/members/zz': () => apiError('CARD_NOT_FOUND', 404),
        'GET /api/admin/members/zz/history': () => apiError('CARD_NOT_FOUND', 404),
      },
      { signedIn: {} },
    )
    const members = useMembersStore()
    await members.open('zz')
    expect(members.memberError).toMatchObject({ code: 'CARD_NOT_FOUND', status: 404 })
    expect(members.member).toBeNull()
  })

  it('unlinks, clears the lock and erases with the reason, each reflected on the page', async () => {
    const { calls } = fakeAdmin(
      {
        'GET /api/admin/members/c1': [
          () => json(detail(300, { locked: { until: '2026-04-01T00:00:00.000Z' } })),
          () => json(detail(300, { linked: false, linkedAt: null })),
          () =>
            json(
              detail(300, {
                name: '',
                linked: false,
                linkedAt: null,
                erasedAt: '2026-04-01T00:00:00.000Z',
              }),
            ),
        ],
        'GET /api/admin/members/c1/history': noHistory,
        'POST /api/admin/members/c1/clear-lock': () => new Response(null, { status: 204 }),
        'POST /api/admin/members/c1/unlink': () => new Response(null, { status: 204 }),
        'POST /api/admin/members/c1/erase': () => new Response(null, { status: 204 }),
      },
      { signedIn: {} },
    )
    const members = useMembersStore()
    await members.open('c1')
    await members.clearLock()
    expect(members.member?.locked).toBeNull()
    await members.unlink()
    expect(members.member?.linked).toBe(false)
    await members.erase('受付番号 R-12')
    expect(members.member?.erasedAt).not.toBeNull()
    expect(members.member?.name).toBe('')
    const erase = calls.find((c) => c.url.endsWith('/erase')) as Request
    expect(await bodyOf(erase)).toEqual({ reason: '受付番号 R-12' })
  })
})
