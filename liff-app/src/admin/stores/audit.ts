import { defineStore } from 'pinia'
import { ref } from 'vue'
import { adminApi } from '../services.ts'
import type { AuditEntry, AuditFilter } from '../types.ts'

/** The audit trail, newest first, filtered, a page at a time. */
export const useAuditStore = defineStore('admin-audit', () => {
  const filter = ref<AuditFilter>({})
  const items = ref<AuditEntry[]>([])
  const nextCursor = ref<string | null>(null)
  const loading = ref(false)
  const error = ref<unknown>(null)

  let seq = 0
  /** The first page for `next` (the current filter when left out). */
  async function load(next: AuditFilter = filter.value): Promise<void> {
    const clean = Object.fromEntries(
      Object.entries(next).filter(([, v]) => typeof v === 'string' && v.trim() !== ''),
    ) as AuditFilter
    filter.value = clean
    const ask = ++seq
    loading.value = true
    error.value = null
    try {
      const page = await adminApi().audit(clean)
      if (ask !== seq) return
      items.value = page.items
      nextCursor.value = page.nextCursor
    } catch (err) {
      if (ask === seq) error.value = err
    } finally {
      if (ask === seq) loading.value = false
    }
  }

  /** Appends the next page. */
  async function more(): Promise<void> {
    if (!nextCursor.value || loading.value) return
    const ask = seq
    loading.value = true
    try {
      const page = await adminApi().audit(filter.value, nextCursor.value)
      if (ask !== seq) return
      items.value = [...items.value, ...page.items]
      nextCursor.value = page.nextCursor
    } catch (err) {
      error.value = err
    } finally {
      loading.value = false
    }
  }

  return { filter, items, nextCursor, loading, error, load, more }
})
