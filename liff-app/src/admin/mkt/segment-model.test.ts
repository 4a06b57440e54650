import { RANKS as SHARED_RANKS, segmentSchema } from '@membercard/shared'
import { describe, expect, it } from 'vitest'
import {
  changeField,
  conditionCount,
  describeSegment,
  FIELD_SPECS,
  fromSegment,
  newCondition,
  newGroup,
  RANKS,
  removeNode,
  segmentProblems,
  toSegment,
} from './segment-model.ts'

describe('the segment builder model', () => {
  it('offers every field of the contract with exactly its operators', () => {
    expect(Object.fromEntries(FIELD_SPECS.map((s) => [s.field, s.ops]))).toEqual({
      rank: ['in'],
      points: ['>=', '<='],
      birthMonth: ['in'],
      lastVisitDaysAgo: ['>=', '<='],
      visitsInLast90Days: ['>=', '<='],
      pointsExpiringWithinDays: ['<='],
      linkedDaysAgo: ['>=', '<='],
      visitedStore: ['in'],
    })
    expect(RANKS).toEqual(SHARED_RANKS)
  })

  it('builds the contract JSON from clicks, with a nested any-group, and the server schema accepts it', () => {
    const gold = newCondition('rank')
    gold.list = ['gold', 'silver']
    const months = newCondition('birthMonth')
    months.list = [12, 1, 12]
    const lapsed = newCondition('lastVisitDaysAgo')
    lapsed.number = 60
    const store = newCondition('visitedStore')
    store.list = ['S001']
    const root = newGroup('all', [gold, months, newGroup('any', [lapsed, store])])
    expect(segmentProblems(root)).toEqual([])
    const json = toSegment(root)
    expect(json).toEqual({
      all: [
        { field: 'rank', op: 'in', value: ['gold', 'silver'] },
        { field: 'birthMonth', op: 'in', value: [1, 12] },
        {
          any: [
            { field: 'lastVisitDaysAgo', op: '>=', value: 60 },
            { field: 'visitedStore', op: 'in', value: ['S001'] },
          ],
        },
      ],
    })
    expect(segmentSchema.safeParse(json).success).toBe(true)
    expect(conditionCount(root)).toBe(4)
  })

  it('turns every field and operator of a saved segment back into the same JSON', () => {
    const saved = {
      any: [
        { field: 'points', op: '<=', value: -5 },
        { field: 'points', op: '>=', value: 1000 },
        { field: 'pointsExpiringWithinDays', op: '<=', value: 30 },
        { field: 'visitsInLast90Days', op: '<=', value: 0 },
        { field: 'linkedDaysAgo', op: '<=', value: 7 },
        { all: [{ any: [{ field: 'rank', op: 'in', value: ['regular'] }] }] },
      ],
    } as const
    const tree = fromSegment(structuredClone(saved) as never)
    expect(tree.mode).toBe('any')
    expect(tree.items[5]?.type).toBe('group')
    expect(toSegment(tree)).toEqual(saved)
  })

  it('names what is missing: values, numbers, range, and an empty nested group', () => {
    const noRank = newCondition('rank')
    const noDays = newCondition('linkedDaysAgo')
    const tooMany = newCondition('visitsInLast90Days')
    tooMany.number = 91
    const fraction = newCondition('points')
    fraction.number = 1.5
    const empty = newGroup('any')
    const root = newGroup('all', [noRank, noDays, tooMany, fraction, empty])
    expect(segmentProblems(root)).toEqual([
      { id: noRank.id, problem: 'chooseValues' },
      { id: noDays.id, problem: 'enterNumber' },
      { id: tooMany.id, problem: 'outOfRange' },
      { id: fraction.id, problem: 'outOfRange' },
      { id: empty.id, problem: 'emptyGroup' },
    ])
    // The top group alone may be empty: every linked member.
    expect(segmentProblems(newGroup('all'))).toEqual([])
    expect(toSegment(newGroup('all'))).toEqual({ all: [] })
  })

  it('keeps what still fits when the field changes, and clears what does not', () => {
    const c = newCondition('points')
    c.op = '<='
    c.number = 30
    const days = changeField(c, 'pointsExpiringWithinDays')
    expect([days.op, days.number]).toEqual(['<=', 30])
    const ge = changeField({ ...c, op: '>=' }, 'pointsExpiringWithinDays')
    expect(ge.op).toBe('<=')
    const rank = changeField(days, 'rank')
    expect([rank.op, rank.list, rank.number]).toEqual(['in', [], null])
    rank.list = ['gold']
    expect(changeField(rank, 'birthMonth').list).toEqual([])
  })

  it('removes a condition anywhere in the tree', () => {
    const a = newCondition('rank')
    const b = newCondition('points')
    const inner = newGroup('any', [b])
    const root = newGroup('all', [a, inner])
    const after = removeNode(root, b.id)
    expect(after.items).toHaveLength(2)
    expect((after.items[1] as typeof inner).items).toEqual([])
    expect(removeNode(root, inner.id).items).toEqual([a])
  })
})

describe('a segment in words', () => {
  it('reads groups with and/or and brackets a nested group', () => {
    const words = {
      condition: (c: { field: string; op: string; value: unknown }) =>
        `${c.field} ${c.op} ${JSON.stringify(c.value)}`,
      and: 'かつ',
      or: 'または',
      everyone: '全員',
    }
    expect(
      describeSegment(
        {
          all: [
            { field: 'rank', op: 'in', value: ['gold'] },
            {
              any: [
                { field: 'points', op: '>=', value: 100 },
                { field: 'birthMonth', op: 'in', value: [1] },
              ],
            },
          ],
        },
        words,
      ),
    ).toBe('rank in ["gold"] かつ (points >= 100 または birthMonth in [1])')
    expect(describeSegment({ any: [] }, words)).toBe('全員')
  })
})
