import { defineStore } from 'pinia'
import { ref } from 'vue'
import { adminApi } from '../services.ts'
import type { AdjustResult, HistoryItem, MemberDetail, MemberRow } from '../types.ts'

/** A card number typed with spaces or hyphens is sent as its digits; a name as typed. */
export function searchTerm(text: string): string {
  const digits = text.replace(/[\s-]/g, '')
  return /^\d+$/.test(digits) ? digits : text
}

/** Members: the search and the member page open now (its history and actions). */
export const useMembersStore = defineStore('admin-members', () => {
  const query = ref('')
  const results = ref<MemberRow[] | null>(null)
  const nextCursor = ref<string | null>(null)
  const searching = ref(false)
  const searchError = ref<unknown>(null)

  const member = ref<MemberDetail | null>(null)
  const memberError = ref<unknown>(null)
  const history = ref<HistoryItem[]>([])
  const historyCursor = ref<string | null>(null)
  const historyLoading = ref(false)

  let searchSeq = 0
  /** Searches by full card number, its last 4 digits or part of a name. */
  async function search(q: string): Promise<void> {
    const text = q.trim()
    query.value = searchTerm(text)
    const ask = ++searchSeq
    searchError.value = null
    if (!text) {
      results.value = null
      nextCursor.value = null
      return
    }
    searching.value = true
    try {
      const page = await adminApi().members(searchTerm(text))
      if (ask !== searchSeq) return
      results.value = page.items
      nextCursor.value = page.nextCursor
    } catch (err) {
      if (ask === searchSeq) searchError.value = err
    } finally {
      if (ask === searchSeq) searching.value = false
    }
  }

  /** The next page of the same search. */
  async function more(): Promise<void> {
    if (!nextCursor.value || searching.value) return
    searching.value = true
    try {
      const page = await adminApi().members(query.value, nextCursor.value)
      results.value = [...(results.value ?? []), ...page.items]
      nextCursor.value = page.nextCursor
    } catch (err) {
      searchError.value = err
    } finally {
      searching.value = false
    }
  }

  /** Opens a member's page: the member and the first page of history. */
  async function open(cardId: string): Promise<void> {
    if (member.value?.cardId !== cardId) {
      member.value = null
      history.value = []
      historyCursor.value = null
    }
    memberError.value = null
    try {
      const [detail, page] = await Promise.all([
        adminApi().member(cardId),
        adminApi().history(cardId),
      ])
      member.value = detail
      history.value = page.items
      historyCursor.value = page.nextCursor
    } catch (err) {
      memberError.value = err
    }
  }

  async function moreHistory(): Promise<void> {
    const m = member.value
    if (!m || !historyCursor.value || historyLoading.value) return
    historyLoading.value = true
    try {
      const page = await adminApi().history(m.cardId, historyCursor.value)
      history.value = [...history.value, ...page.items]
      historyCursor.value = page.nextCursor
    } finally {
      historyLoading.value = false
    }
  }

  function requireMember(): MemberDetail {
    if (!member.value) throw new Error('no member open')
    return member.value
  }

  /** Reflects a new balance in the search results too. */
  function showBalance(cardId: string, points: number) {
    if (member.value?.cardId === cardId) member.value = { ...member.value, points }
    results.value = results.value?.map((r) => (r.cardId === cardId ? { ...r, points } : r)) ?? null
  }

  /**
   * Adjusts the open member's points. `idempotencyKey` belongs to one attempt (the dialog's):
   * sent again after a lost answer, the server applies it once.
   */
  async function adjust(
    points: number,
    reason: string,
    idempotencyKey: string,
  ): Promise<AdjustResult> {
    const m = requireMember()
    const result = await adminApi().adjust(m.cardId, { points, reason }, idempotencyKey)
    showBalance(m.cardId, result.balance)
    await open(m.cardId)
    return result
  }

  async function unlink(): Promise<void> {
    const m = requireMember()
    await adminApi().unlink(m.cardId)
    await open(m.cardId)
  }

  async function clearLock(): Promise<void> {
    const m = requireMember()
    await adminApi().clearLock(m.cardId)
    member.value = { ...m, locked: null }
  }

  async function erase(reason: string): Promise<void> {
    const m = requireMember()
    await adminApi().erase(m.cardId, reason)
    await open(m.cardId)
  }

  return {
    query,
    results,
    nextCursor,
    searching,
    searchError,
    member,
    memberError,
    history,
    historyCursor,
    historyLoading,
    search,
    more,
    open,
    moreHistory,
    adjust,
    unlink,
    clearLock,
    erase,
  }
})
