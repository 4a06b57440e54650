import type { Rank, Segment, SegmentCondition, SegmentItem } from '@membercard/shared'

/**
 * The segment builder's model and its two mappings (pure, unit-tested): the contract's segment
 * JSON (`{"all"|"any": [...]}` of groups and `{field, op, value}` conditions) to a tree the
 * screen edits, and back. The screen never shows JSON; every field gets the operators and the
 * kind of input the contract allows (docs/segments.md).
 */

export type SegmentField = SegmentCondition['field']
export type SegmentOp = SegmentCondition['op']
export type GroupMode = 'all' | 'any'

/** How a field's value is entered. */
export type FieldInput =
  | { kind: 'ranks' }
  | { kind: 'months' }
  | { kind: 'stores' }
  | { kind: 'number'; unit: 'points' | 'days' | 'visits'; min: number; max: number }

export interface FieldSpec {
  field: SegmentField
  ops: readonly SegmentOp[]
  input: FieldInput
}

const DAYS_MAX = 36_500

/**
 * The ranks, as the shared list (`RANKS`) has them; a copy so the console does not load the
 * shared schemas (zod) for one list. The test checks they are the same.
 */
export const RANKS: readonly Rank[] = ['regular', 'silver', 'gold']

/** Every field of the contract, in the order the builder offers them. */
export const FIELD_SPECS: readonly FieldSpec[] = [
  { field: 'rank', ops: ['in'], input: { kind: 'ranks' } },
  {
    field: 'points',
    ops: ['>=', '<='],
    input: { kind: 'number', unit: 'points', min: -1_000_000_000, max: 1_000_000_000 },
  },
  { field: 'birthMonth', ops: ['in'], input: { kind: 'months' } },
  {
    field: 'lastVisitDaysAgo',
    ops: ['>=', '<='],
    input: { kind: 'number', unit: 'days', min: 0, max: DAYS_MAX },
  },
  {
    field: 'visitsInLast90Days',
    ops: ['>=', '<='],
    input: { kind: 'number', unit: 'visits', min: 0, max: 90 },
  },
  {
    field: 'pointsExpiringWithinDays',
    ops: ['<='],
    input: { kind: 'number', unit: 'days', min: 0, max: DAYS_MAX },
  },
  {
    field: 'linkedDaysAgo',
    ops: ['>=', '<='],
    input: { kind: 'number', unit: 'days', min: 0, max: DAYS_MAX },
  },
  { field: 'visitedStore', ops: ['in'], input: { kind: 'stores' } },
]

export function fieldSpec(field: SegmentField): FieldSpec {
  const spec = FIELD_SPECS.find((s) => s.field === field)
  if (!spec) throw new Error(`unknown segment field ${field}`)
  return spec
}

/** A condition as the screen edits it: a list (ranks, months, stores) or a number. */
export interface ConditionNode {
  id: number
  type: 'condition'
  field: SegmentField
  op: SegmentOp
  /** Ranks or store codes (strings), or months 1–12 (numbers). */
  list: (string | number)[]
  /** The number of a `>=`/`<=` condition; null while empty. */
  number: number | null
}

export interface GroupNode {
  id: number
  type: 'group'
  mode: GroupMode
  items: SegmentNode[]
}

export type SegmentNode = ConditionNode | GroupNode

/** Why a tree cannot be sent yet; `id` names the node so the screen marks it. */
export interface SegmentProblem {
  id: number
  problem: 'chooseValues' | 'enterNumber' | 'outOfRange' | 'emptyGroup'
}

let nextId = 1
const newId = () => nextId++

/** A condition on `field` with its first operator and an empty value. */
export function newCondition(field: SegmentField = 'rank'): ConditionNode {
  const spec = fieldSpec(field)
  return {
    id: newId(),
    type: 'condition',
    field,
    op: spec.ops[0] as SegmentOp,
    list: [],
    number: null,
  }
}

export function newGroup(mode: GroupMode = 'all', items: SegmentNode[] = []): GroupNode {
  return { id: newId(), type: 'group', mode, items }
}

/**
 * The same condition on another field: the operator is kept when the new field allows it, the
 * value is kept when it is of the same kind (a number stays a number), else cleared.
 */
export function changeField(node: ConditionNode, field: SegmentField): ConditionNode {
  const before = fieldSpec(node.field)
  const after = fieldSpec(field)
  const op = after.ops.includes(node.op) ? node.op : (after.ops[0] as SegmentOp)
  const sameKind = before.input.kind === after.input.kind
  return {
    ...node,
    field,
    op,
    list: sameKind ? node.list : [],
    number: after.input.kind === 'number' && before.input.kind === 'number' ? node.number : null,
  }
}

function conditionProblem(node: ConditionNode): SegmentProblem['problem'] | null {
  const spec = fieldSpec(node.field)
  if (spec.input.kind !== 'number') return node.list.length === 0 ? 'chooseValues' : null
  if (node.number === null || !Number.isFinite(node.number)) return 'enterNumber'
  if (
    !Number.isInteger(node.number) ||
    node.number < spec.input.min ||
    node.number > spec.input.max
  )
    return 'outOfRange'
  return null
}

/**
 * What stops the tree from being a valid segment. The top group may be empty (every linked
 * member); a nested group may not (it would say nothing, and `any: []` matches no one).
 */
export function segmentProblems(root: GroupNode): SegmentProblem[] {
  const out: SegmentProblem[] = []
  const walk = (g: GroupNode, top: boolean) => {
    if (!top && g.items.length === 0) out.push({ id: g.id, problem: 'emptyGroup' })
    for (const item of g.items) {
      if (item.type === 'group') walk(item, false)
      else {
        const p = conditionProblem(item)
        if (p) out.push({ id: item.id, problem: p })
      }
    }
  }
  walk(root, true)
  return out
}

function conditionJson(node: ConditionNode): SegmentCondition {
  const spec = fieldSpec(node.field)
  switch (spec.input.kind) {
    case 'months':
      return {
        field: 'birthMonth',
        op: 'in',
        value: [...new Set(node.list.map(Number))].sort((a, b) => a - b),
      }
    case 'ranks':
    case 'stores':
      return {
        field: node.field as 'rank' | 'visitedStore',
        op: 'in',
        value: [...new Set(node.list.map(String))],
      }
    default:
      return { field: node.field, op: node.op, value: node.number ?? 0 } as SegmentCondition
  }
}

/** The tree as the contract's segment JSON (check `segmentProblems` first). */
export function toSegment(root: GroupNode): Segment {
  const items: SegmentItem[] = root.items.map((item) =>
    item.type === 'group' ? toSegment(item) : conditionJson(item),
  )
  return root.mode === 'all' ? { all: items } : { any: items }
}

function isGroup(item: SegmentItem): item is Segment {
  return !('field' in item)
}

function conditionNode(c: SegmentCondition): ConditionNode {
  const node = newCondition(c.field)
  node.op = c.op
  if (Array.isArray(c.value)) node.list = [...c.value]
  else node.number = c.value
  return node
}

/** A segment JSON (as saved or as the server answers it) as a tree for the screen. */
export function fromSegment(segment: Segment): GroupNode {
  const mode: GroupMode = 'all' in segment ? 'all' : 'any'
  const items = 'all' in segment ? segment.all : segment.any
  return newGroup(
    mode,
    items.map((item) => (isGroup(item) ? fromSegment(item) : conditionNode(item))),
  )
}

/** The tree without the node `id` (a condition or a nested group). */
export function removeNode(root: GroupNode, id: number): GroupNode {
  return {
    ...root,
    items: root.items
      .filter((item) => item.id !== id)
      .map((item) => (item.type === 'group' ? removeNode(item, id) : item)),
  }
}

/** How many conditions the tree has (for "everyone" versus a filter). */
export function conditionCount(root: GroupNode): number {
  return root.items.reduce((n, i) => n + (i.type === 'group' ? conditionCount(i) : 1), 0)
}

/** The words a segment is read out with (the screen's language). */
export interface SegmentWords {
  condition(c: SegmentCondition): string
  and: string
  or: string
  everyone: string
}

/** A segment in one line of words: `ランク: ゴールド かつ (… または …)`. */
export function describeSegment(segment: Segment, words: SegmentWords, nested = false): string {
  const items = 'all' in segment ? segment.all : segment.any
  if (items.length === 0) return words.everyone
  const joiner = 'all' in segment ? words.and : words.or
  const text = items
    .map((item) => (isGroup(item) ? describeSegment(item, words, true) : words.condition(item)))
    .join(` ${joiner} `)
  return nested && items.length > 1 ? `(${text})` : text
}
