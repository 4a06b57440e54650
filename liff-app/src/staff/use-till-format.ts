import { computed } from 'vue'
import { useI18n } from '../i18n/index.ts'

/** Numbers as the till shows them, in the staff member's language. */
export function useTillFormat() {
  const { locale } = useI18n()
  const nf = computed(() => new Intl.NumberFormat(locale.value === 'ja' ? 'ja-JP' : 'en-US'))
  /** A signed number of points: `+50`, `−30`, `±0`. */
  function signed(n: number): string {
    return `${n > 0 ? '+' : n < 0 ? '−' : '±'}${nf.value.format(Math.abs(n))}`
  }
  return { nf, signed }
}
