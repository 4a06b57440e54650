import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { couponsApi } from '../coupons/api.ts'
import { sortCoupons } from '../coupons/logic.ts'
import type { MemberCoupon } from '../coupons/types.ts'
import { services } from '../lib/services.ts'

/**
 * The member's coupons (`GET /api/coupons`): the coupons tab, a coupon's page and the card's
 * count read them. Not part of the card's first JavaScript: the card loads it after its QR.
 */
export const useCouponsStore = defineStore('coupons', () => {
  const items = ref<MemberCoupon[]>([])
  const loaded = ref(false)
  const loading = ref(false)
  const error = ref<unknown>(null)
  /** One coupon opened directly (a link to `/coupons/:id`) before the list was loaded. */
  const opened = ref<MemberCoupon | null>(null)

  const sorted = computed(() => sortCoupons(items.value))
  /** How many the member can use now. */
  const availableCount = computed(() => sorted.value.available.length)

  let inFlight: Promise<void> | null = null
  /** Loads the list (calls made together share one request). */
  function load(): Promise<void> {
    inFlight ??= (async () => {
      loading.value = true
      error.value = null
      try {
        items.value = (await couponsApi(services().api).list()).items
        loaded.value = true
      } catch (err) {
        error.value = err
      } finally {
        loading.value = false
        inFlight = null
      }
    })()
    return inFlight
  }

  /** One coupon: from the list when it is loaded, else from the server (a direct link). */
  async function open(id: number): Promise<MemberCoupon> {
    const known = items.value.find((c) => c.id === id)
    if (known) return known
    const one = await couponsApi(services().api).one(id)
    opened.value = one
    return one
  }

  return { items, loaded, loading, error, opened, sorted, availableCount, load, open }
})
