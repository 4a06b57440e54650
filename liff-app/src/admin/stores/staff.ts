import { defineStore } from 'pinia'
import { ref } from 'vue'
import { adminApi } from '../services.ts'
import type { Role, StaffAccount, Store } from '../types.ts'

/** Stores and staff accounts (admins change them; operators read). */
export const useStaffStore = defineStore('admin-staff', () => {
  const stores = ref<Store[]>([])
  const staff = ref<StaffAccount[]>([])
  const loading = ref(false)
  const error = ref<unknown>(null)

  async function load(): Promise<void> {
    loading.value = true
    error.value = null
    try {
      const [s, a] = await Promise.all([adminApi().stores(), adminApi().staff()])
      stores.value = s.items
      staff.value = a.items
    } catch (err) {
      error.value = err
    } finally {
      loading.value = false
    }
  }

  async function reloadStores() {
    stores.value = (await adminApi().stores()).items
  }
  async function reloadStaff() {
    staff.value = (await adminApi().staff()).items
  }

  async function addStore(code: string, name: string): Promise<void> {
    await adminApi().addStore({ code: code.trim(), name: name.trim() })
    await reloadStores()
  }
  async function updateStore(code: string, change: { name?: string; active?: boolean }) {
    await adminApi().updateStore(code, change)
    await reloadStores()
  }

  async function addStaff(input: {
    staffId: string
    role: Role
    storeCode?: string
    password: string
  }): Promise<void> {
    await adminApi().addStaff({
      staffId: input.staffId.trim(),
      role: input.role,
      password: input.password,
      ...(input.storeCode ? { storeCode: input.storeCode } : {}),
    })
    await reloadStaff()
  }
  async function updateStaff(
    staffId: string,
    change: { role?: Role; storeCode?: string | null; disabled?: boolean },
  ): Promise<void> {
    await adminApi().updateStaff(staffId, change)
    await reloadStaff()
  }
  async function resetPassword(staffId: string, password: string): Promise<void> {
    await adminApi().resetPassword(staffId, password)
  }
  /** Removes another account's TOTP and recovery codes and ends its sessions (admin). */
  async function resetSecondFactor(staffId: string): Promise<void> {
    await adminApi().resetSecondFactor(staffId)
    await reloadStaff()
  }
  async function removeStaff(staffId: string): Promise<void> {
    await adminApi().removeStaff(staffId)
    await reloadStaff()
  }

  return {
    stores,
    staff,
    loading,
    error,
    load,
    addStore,
    updateStore,
    addStaff,
    updateStaff,
    resetPassword,
    resetSecondFactor,
    removeStaff,
  }
})
