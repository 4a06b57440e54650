import { describe, expect, it } from 'vitest'
import { QUIET_ZONE, qrPath } from './qr-svg.ts'

describe('the QR drawing', () => {
  it('draws the modules inside a four-module quiet zone', () => {
    const { d, size } = qrPath('hello')
    // Version 1 is 21 modules wide.
    expect(size).toBe(21 + 2 * QUIET_ZONE)
    const xs = [...d.matchAll(/M(\d+) (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])])
    expect(Math.min(...xs.map(([x]) => x ?? 0))).toBe(QUIET_ZONE)
    expect(Math.min(...xs.map(([, y]) => y ?? 0))).toBe(QUIET_ZONE)
    // The top-left finder pattern starts with a run of seven dark modules.
    expect(d.startsWith(`M${QUIET_ZONE} ${QUIET_ZONE}h7v1h-7z`)).toBe(true)
  })

  it('encodes a different token differently', () => {
    expect(qrPath('token-a').d).not.toBe(qrPath('token-b').d)
  })
})
