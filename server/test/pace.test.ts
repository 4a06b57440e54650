import { describe, expect, it } from 'vitest'
import { paceOf } from '../src/line/pace.ts'

describe('the outbox pace', () => {
  it('keeps every one-second span under the limit, whatever the limit', () => {
    for (let max = 2; max <= 5000; max++) {
      const { windowMs, perWindow } = paceOf(max)
      // A second touches at most (windows a second + 1) windows.
      const touched = 1_000 / windowMs + 1
      expect(Number.isInteger(windowMs)).toBe(true)
      expect(perWindow).toBeGreaterThanOrEqual(1)
      expect(perWindow * touched, `limit ${max}`).toBeLessThanOrEqual(max)
    }
  })

  it('sends LINE’s 200 multicasts a second as 18 every 100 ms, and a limit of 1 once a second', () => {
    expect(paceOf(200)).toEqual({ windowMs: 100, perWindow: 18 })
    expect(paceOf(2000)).toEqual({ windowMs: 100, perWindow: 181 })
    expect(paceOf(1)).toEqual({ windowMs: 1_000, perWindow: 1 })
    // Sustained, at least half the limit from 2 up.
    for (let max = 2; max <= 5000; max++) {
      const { windowMs, perWindow } = paceOf(max)
      expect(perWindow * (1_000 / windowMs), `limit ${max}`).toBeGreaterThanOrEqual(max / 2)
    }
  })
})
