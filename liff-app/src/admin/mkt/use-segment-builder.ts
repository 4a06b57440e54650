import type { Segment } from '@membercard/shared'
import { computed, onMounted, ref } from 'vue'
import { adminApi } from '../services.ts'
import type { Store } from '../types.ts'
import {
  fromSegment,
  type GroupNode,
  newGroup,
  segmentProblems,
  toSegment,
} from './segment-model.ts'

/** The builder's state for a screen: the tree, its problems, its JSON, and the stores. */
export function useSegmentBuilder() {
  const root = ref<GroupNode>(newGroup('all'))
  const stores = ref<Store[]>([])
  const problems = computed(() => segmentProblems(root.value))
  /** The segment JSON, or null while a condition is incomplete. */
  const segment = computed<Segment | null>(() =>
    problems.value.length === 0 ? toSegment(root.value) : null,
  )
  function load(s: Segment) {
    root.value = fromSegment(s)
  }
  function clear() {
    root.value = newGroup('all')
  }
  onMounted(async () => {
    try {
      stores.value = (await adminApi().stores()).items
    } catch {
      // The store picker stays empty; the count still works.
    }
  })
  return { root, stores, problems, segment, load, clear }
}
