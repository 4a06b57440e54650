import { describe, expect, it } from 'vitest'
import { fakeAdmin } from '../../test/fake-admin.ts'
import { json } from '../../test/fake-api.ts'
import type { AuditEntry } from '../types.ts'
import { useAuditStore } from './audit.ts'

const entry = (n: number): AuditEntry => ({
  id: String(n),
  at: `2026-03-0${n}T00:00:00.000Z`,
  actor: 'hq-admin',
  action: 'member.adjust',
  target: 'c1',
  address: '127.0.0.1',
  detail: { points: 50, reason: '補正' },
})

describe('the audit store', () => {
  it('sends only the filters that are set, and pages on with the cursor', async () => {
    const { calls } = fakeAdmin(
      {
        'GET /api/admin/audit': [
          () => json({ items: [entry(3), entry(2)], nextCursor: 'c2' }),
          () => json({ items: [entry(1)], nextCursor: null }),
        ],
      },
      { signedIn: {} },
    )
    const audit = useAuditStore()
    await audit.load({ actor: 'hq-admin', action: 'member.adjust', from: '', to: ' ' })
    const first = new URL(calls[0]?.url ?? '').searchParams
    expect(Object.fromEntries(first)).toEqual({ actor: 'hq-admin', action: 'member.adjust' })
    await audit.more()
    const second = new URL(calls[1]?.url ?? '').searchParams
    expect(Object.fromEntries(second)).toEqual({
      actor: 'hq-admin',
      action: 'member.adjust',
      cursor: 'c2',
    })
    expect(audit.items.map((e) => e.at)).toEqual([entry(3).at, entry(2).at, entry(1).at])
    expect(audit.nextCursor).toBeNull()
  })

  it('starts again from the first page when the filter changes', async () => {
    fakeAdmin(
      {
        'GET /api/admin/audit': [
          () => json({ items: [entry(3)], nextCursor: 'c2' }),
          () => json({ items: [entry(1)], nextCursor: null }),
        ],
      },
      { signedIn: {} },
    )
    const audit = useAuditStore()
    await audit.load()
    await audit.load({ from: '2026-03-01', to: '2026-03-01' })
    expect(audit.items).toEqual([entry(1)])
    expect(audit.filter).toEqual({ from: '2026-03-01', to: '2026-03-01' })
  })
})
