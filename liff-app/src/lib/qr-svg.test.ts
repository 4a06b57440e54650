import { createRequire } from 'node:module'
import { describe, expect, it, vi } from 'vitest'
import { QUIET_ZONE, qrPath } from './qr-svg.ts'

/** qrcode's own (CommonJS) segments module, the one its encoder calls. */
const Segments = createRequire(import.meta.url)('qrcode/lib/core/segments.js') as {
  fromString: (data: string, version: number) => unknown[]
}

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

describe('the QR encoding', () => {
  it('puts a QR token (base32) in alphanumeric mode: version 2, without the mixed-mode optimiser', () => {
    // 36 alphanumeric characters at level M fit version 2 (25 modules); byte mode would need 3.
    // (dijkstrajs is stubbed to throw, as in the build: reaching it fails this test.)
    expect(qrPath('ABCDEFGHIJKLMNOPQRSTUVWXYZ2345672345').size).toBe(25 + 2 * QUIET_ZONE)
  })

  it('falls back to byte mode for any other text', () => {
    // 18 UTF-8 bytes: more than version 1 holds at level M (14).
    expect(qrPath('トークン-token').size).toBe(25 + 2 * QUIET_ZONE)
  })

  it('never reaches the mixed-mode optimiser, whose dijkstrajs the build stubs out', () => {
    const fromString = vi.spyOn(Segments, 'fromString')
    qrPath('ABCDEFGHIJKLMNOPQRSTUVWXYZ2345672346')
    qrPath('any other text')
    expect(fromString).not.toHaveBeenCalled()
    fromString.mockRestore()
  })

  it('draws the same text once', () => {
    expect(qrPath('same')).toBe(qrPath('same'))
  })
})
