import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { daysBetween, lastDays } from '../period.ts'
import { adminApi } from '../services.ts'
import type { Kpis } from '../types.ts'

/** The longest period the server answers for. */
export const MAX_PERIOD_DAYS = 366

/** A figure of the period beside the period before it. */
export interface Comparison {
  value: number
  previous: number | null
  /** Relative change (0.25 = +25 %); null without a previous figure or when it was 0. */
  change: number | null
}

function compare(value: number, previous: unknown): Comparison {
  const p = typeof previous === 'number' ? previous : null
  return { value, previous: p, change: p === null || p === 0 ? null : (value - p) / p }
}

/**
 * The figures shown beside the period before's: flows in the period, and states (friends,
 * linked members, outstanding points, active members) at its end.
 */
const COMPARED = [
  'newLinks',
  'bonusPointsGranted',
  'pointsAwarded',
  'pointsRedeemed',
  'pointsExpired',
  'friends',
  'linkedMembers',
  'outstandingPoints',
  'activeMembers30',
] as const satisfies readonly (keyof Kpis & keyof Kpis['previous'])[]
type Compared = (typeof COMPARED)[number]

/** The dashboard: a period (the last 30 days by default) and its KPIs. */
export const useDashboardStore = defineStore('admin-dashboard', () => {
  const period = ref(lastDays(30))
  const kpis = ref<Kpis | null>(null)
  const loading = ref(false)
  const error = ref<unknown>(null)
  /** A period the server would refuse, said before asking it ('order' | 'length'). */
  const periodProblem = computed(() => {
    const { from, to } = period.value
    if (from > to) return 'order' as const
    if (daysBetween(from, to) > MAX_PERIOD_DAYS) return 'length' as const
    return null
  })

  let latest = 0
  /** Loads the KPIs of the chosen period; an older answer never replaces a newer one. */
  async function load(): Promise<void> {
    if (periodProblem.value) return
    const ask = ++latest
    loading.value = true
    error.value = null
    try {
      const answer = await adminApi().kpis(period.value.from, period.value.to)
      if (ask === latest) kpis.value = answer
    } catch (err) {
      if (ask === latest) error.value = err
    } finally {
      if (ask === latest) loading.value = false
    }
  }

  function setPeriod(from: string, to: string): Promise<void> {
    period.value = { from, to }
    return load()
  }

  /** The period's figures beside the previous period's. */
  const comparisons = computed(() => {
    const k = kpis.value
    if (!k) return null
    return Object.fromEntries(
      COMPARED.map((key) => [key, compare(k[key], k.previous?.[key])]),
    ) as Record<Compared, Comparison>
  })

  return { period, kpis, loading, error, periodProblem, comparisons, load, setPeriod }
})
