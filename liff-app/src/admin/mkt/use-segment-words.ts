import type { SegmentCondition } from '@membercard/shared'
import { useAdminI18n } from '../use-admin-i18n.ts'
import { fieldSpec, type SegmentWords } from './segment-model.ts'

/** The words of `describeSegment` in the console's language. */
export function useSegmentWords(): SegmentWords {
  const { t, n } = useAdminI18n()
  const value = (c: SegmentCondition): string => {
    const spec = fieldSpec(c.field)
    if (!Array.isArray(c.value)) {
      const unit = spec.input.kind === 'number' ? t(`mkt.units.${spec.input.unit}`) : ''
      return `${n(c.value)} ${unit}`.trim()
    }
    if (spec.input.kind === 'ranks') return c.value.map((r) => t(`member.ranks.${r}`)).join('・')
    if (spec.input.kind === 'months') return c.value.map((m) => t('mkt.month', { n: m })).join('・')
    return c.value.join('・')
  }
  return {
    condition: (c) => `${t(`mkt.fields.${c.field}`)}：${value(c)} ${t(`mkt.ops.${c.op}`)}`,
    and: t('mkt.words.and'),
    or: t('mkt.words.or'),
    everyone: t('mkt.segment.everyone'),
  }
}
