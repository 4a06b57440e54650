import { describe, expect, it } from 'vitest'
import { bodyOf, fakeAdmin } from '../../test/fake-admin.ts'
import { apiError, json } from '../../test/fake-api.ts'
import type { StaffAccount } from '../types.ts'
import { useStaffStore } from './staff.ts'

const admin: StaffAccount = {
  staffId: 'hq-admin',
  role: 'admin',
  storeCode: null,
  disabled: false,
  totpEnrolled: true,
  lastSignInAt: null,
}
const clerk: StaffAccount = { ...admin, staffId: 'clerk-1', role: 'clerk', storeCode: 'S001' }
const stores = { items: [{ code: 'S001', name: '本店', active: true }] }

describe('the stores and staff store', () => {
  it('loads stores and accounts together', async () => {
    fakeAdmin(
      {
        'GET /api/admin/stores': () => json(stores),
        'GET /api/admin/staff': () => json({ items: [admin] }),
      },
      { signedIn: {} },
    )
    const staff = useStaffStore()
    await staff.load()
    expect(staff.stores).toEqual(stores.items)
    expect(staff.staff).toEqual([admin])
    expect(staff.error).toBeNull()
  })

  it('adds a clerk at a store and shows the new list', async () => {
    const { calls } = fakeAdmin(
      {
        'POST /api/admin/staff': () => json(clerk, 201),
        'GET /api/admin/staff': () => json({ items: [admin, clerk] }),
      },
      { signedIn: {} },
    )
    const staff = useStaffStore()
    await staff.addStaff({
      staffId: ' clerk-1 ',
      role: 'clerk',
      storeCode: 'S001',
      password: 'long-enough-pw',
    })
    expect(await bodyOf(calls[0] as Request)).toEqual({
      staffId: 'clerk-1',
      role: 'clerk',
      storeCode: 'S001',
      password: 'long-enough-pw',
    })
    expect(staff.staff.map((s) => s.staffId)).toEqual(['hq-admin', 'clerk-1'])
  })

  it('resets another account’s second factor and shows it not enrolled', async () => {
    const other = { ...admin, staffId: 'hq-admin-2' }
    const { calls } = fakeAdmin(
      {
        'DELETE /api/admin/staff/hq-admin-2/totp': () => new Response(null, { status: 204 }),
        'GET /api/admin/staff': () => json({ items: [admin, { ...other, totpEnrolled: false }] }),
      },
      { signedIn: {} },
    )
    const staff = useStaffStore()
    await staff.resetSecondFactor('hq-admin-2')
    expect((calls[0] as Request).method).toBe('DELETE')
    expect(new URL((calls[0] as Request).url).pathname).toBe('/api/admin/staff/hq-admin-2/totp')
    expect(staff.staff.find((s) => s.staffId === 'hq-admin-2')?.totpEnrolled).toBe(false)
  })

  it('passes on the refusal to disable the last admin, list unchanged', async () => {
    fakeAdmin(
      {
        'GET /api/admin/stores': () => json(stores),
        'GET /api/admin/staff': () => json({ items: [admin] }),
        'PATCH /api/admin/staff/hq-admin': () => apiError('VALIDATION_FAILED', 409),
      },
      { signedIn: {} },
    )
    const staff = useStaffStore()
    await staff.load()
    await expect(staff.updateStaff('hq-admin', { disabled: true })).rejects.toMatchObject({
      status: 409,
    })
    expect(staff.staff).toEqual([admin])
  })

  it('deactivates a store and resets a password', async () => {
    const { calls } = fakeAdmin(
      {
        'PATCH /api/admin/stores/S001': () => json({ ...stores.items[0], active: false }),
        'GET /api/admin/stores': () =>
          json({ items: [{ code: 'S001', name: '本店', active: false }] }),
        'POST /api/admin/staff/clerk-1/password': () => new Response(null, { status: 204 }),
      },
      { signedIn: {} },
    )
    const staff = useStaffStore()
    await staff.updateStore('S001', { active: false })
    expect(staff.stores[0]?.active).toBe(false)
    await staff.resetPassword('clerk-1', 'another-long-pw')
    expect(await bodyOf(calls[0] as Request)).toEqual({ active: false })
    expect(await bodyOf(calls[2] as Request)).toEqual({ password: 'another-long-pw' })
  })
})
