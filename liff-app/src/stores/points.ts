import type { HistoryItem } from '@membercard/shared'
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ApiFailure } from '../lib/api.ts'
import { services } from '../lib/services.ts'

/** The points history, newest first, loaded page by page with the server's cursor. */
export const usePointsStore = defineStore('points', () => {
  const items = ref<HistoryItem[]>([])
  const nextCursor = ref<string | null>(null)
  const loading = ref(false)
  const done = ref(false)
  const error = ref<ApiFailure | null>(null)
  /** When the balance expires (from the newest page), or null. */
  const expiring = ref<{ points: number; expiresAt: string } | null>(null)

  function reset() {
    items.value = []
    nextCursor.value = null
    done.value = false
    error.value = null
  }

  /** Loads the next page; the first call loads the newest. */
  async function loadMore(): Promise<void> {
    if (loading.value || done.value) return
    loading.value = true
    error.value = null
    const first = items.value.length === 0 && nextCursor.value === null
    try {
      const page = await services().api.history(nextCursor.value ?? undefined)
      const seen = new Set(items.value.map((i) => i.id))
      items.value = [
        ...items.value,
        ...(page.items as HistoryItem[]).filter((i) => !seen.has(i.id)),
      ]
      nextCursor.value = page.nextCursor
      if (first) expiring.value = page.expiring ?? null
      done.value = page.nextCursor === null
    } catch (err) {
      error.value = err as ApiFailure
    } finally {
      loading.value = false
    }
  }

  /** Starts again from the newest entry. */
  async function reload(): Promise<void> {
    reset()
    await loadMore()
  }

  return { items, nextCursor, loading, done, error, expiring, reset, loadMore, reload }
})
