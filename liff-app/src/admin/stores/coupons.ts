import type { Segment } from '@membercard/shared'
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { Coupon, CouponDetail, NewCoupon } from '../../coupons/types.ts'
import { ApiFailure } from '../../lib/api.ts'
import { couponsAdminApi, type SavedSegment } from '../coupons-api.ts'
import { adminApi } from '../services.ts'

/** What an issue sends: the same input keeps its Idempotency-Key until it has gone through. */
export interface IssueInput {
  segment: Segment
  notify: boolean
  message?: string
}

/** A new idempotency key (the console runs on HTTPS or localhost: a secure context). */
const newKey = () => crypto.randomUUID()

/** Coupons in the console: the list, one coupon's figures, creating, issuing, ending. */
export const useCouponsAdminStore = defineStore('admin-coupons', () => {
  const api = () => couponsAdminApi(adminApi())
  const items = ref<Coupon[]>([])
  const nextCursor = ref<string | null>(null)
  const listLoading = ref(false)
  const listError = ref<unknown>(null)

  const detail = ref<CouponDetail | null>(null)
  const detailLoading = ref(false)
  const detailError = ref<unknown>(null)

  /** The key of the issue being sent, with the input it belongs to. */
  let issueKey: { key: string; input: string } | null = null
  const savedSegments = ref<SavedSegment[] | null>(null)

  async function loadList(more = false): Promise<void> {
    listLoading.value = true
    listError.value = null
    try {
      const page = await api().list(more ? (nextCursor.value ?? undefined) : undefined)
      items.value = more ? [...items.value, ...page.items] : page.items
      nextCursor.value = page.nextCursor
    } catch (err) {
      listError.value = err
    } finally {
      listLoading.value = false
    }
  }

  async function load(id: number): Promise<void> {
    detailLoading.value = true
    detailError.value = null
    if (detail.value?.id !== id) detail.value = null
    try {
      detail.value = await api().get(id)
    } catch (err) {
      detailError.value = err
    } finally {
      detailLoading.value = false
    }
  }

  /** Creates a coupon (never changed afterwards; only ended). */
  async function create(body: NewCoupon): Promise<Coupon> {
    const coupon = await api().create(body)
    items.value = [coupon, ...items.value.filter((c) => c.id !== coupon.id)]
    return coupon
  }

  /** Ends a coupon early: it can no longer be used. */
  async function end(id: number): Promise<void> {
    const ended = await api().end(id)
    items.value = items.value.map((c) => (c.id === id ? ended : c))
    if (detail.value?.id === id) detail.value = { ...detail.value, ...ended }
  }

  /**
   * Issues the coupon to a segment's members. A retry of the same input (a lost answer) sends
   * the same key, so nobody gets it twice; another input is another issue.
   */
  async function issue(id: number, input: IssueInput) {
    const signature = JSON.stringify([id, input])
    if (issueKey?.input !== signature) issueKey = { key: newKey(), input: signature }
    try {
      const res = await api().issue(
        id,
        {
          segment: input.segment,
          notify: input.notify,
          ...(input.notify && input.message ? { message: input.message } : {}),
        },
        issueKey.key,
      )
      issueKey = null
      await load(id)
      return res
    } catch (err) {
      if (!(err instanceof ApiFailure && err.code === 'NETWORK')) issueKey = null
      throw err
    }
  }

  /** How many members a segment matches (`POST /api/admin/segments/count`). */
  const count = (segment: Segment) => api().count(segment)

  /** The saved segments, when the server has them (else none: the JSON box stays). */
  async function loadSavedSegments(): Promise<void> {
    try {
      savedSegments.value = (await api().segments()).items
    } catch {
      savedSegments.value = []
    }
  }

  return {
    items,
    nextCursor,
    listLoading,
    listError,
    detail,
    detailLoading,
    detailError,
    savedSegments,
    loadList,
    load,
    create,
    end,
    issue,
    count,
    loadSavedSegments,
  }
})
