import { describe, expect, it, vi } from 'vitest'
import { fakeToken } from '../test/fake-api.ts'
import { applyLiffState, clearLiffCache, decodeJwtPayload } from './liff-session.ts'

describe('LIFF helpers', () => {
  it("clears LIFF's cached tokens and keeps the app's own keys", () => {
    localStorage.clear()
    localStorage.setItem('LIFF_STORE:123-abc:IDToken', 'x')
    localStorage.setItem('LIFF_STORE:123-abc:decodedIDToken', 'y')
    localStorage.setItem('membercard.lang', 'en')
    clearLiffCache()
    expect(Object.keys(localStorage)).toEqual(['membercard.lang'])
  })

  it('reads a token payload for display (UTF-8 names included)', () => {
    expect(decodeJwtPayload(fakeToken('Uabc'))).toMatchObject({ sub: 'Uabc', name: 'テスト 太郎' })
    expect(decodeJwtPayload('not-a-token')).toBeNull()
    expect(decodeJwtPayload('a.%%%.c')).toBeNull()
  })

  it('moves to a deep link given as liff.state, and only to a path of this app', () => {
    const hist = { replaceState: vi.fn() } as unknown as History
    applyLiffState({ search: '?liff.state=%2Fhistory' } as Location, hist)
    expect(hist.replaceState).toHaveBeenCalledWith(null, '', '/history')
    const other = { replaceState: vi.fn() } as unknown as History
    applyLiffState({ search: '?liff.state=%2F%2Fevil.example%2F' } as Location, other)
    applyLiffState({ search: '?liff.state=https%3A%2F%2Fevil.example' } as Location, other)
    applyLiffState({ search: '' } as Location, other)
    expect(other.replaceState).not.toHaveBeenCalled()
  })
})

describe('deep links through permanent links', () => {
  it('keep their path and query (and parameters LINE put beside liff.state)', () => {
    const hist = { replaceState: vi.fn() } as unknown as History
    applyLiffState(
      {
        search: `?liff.state=${encodeURIComponent('/history?from=push#top')}&utm_source=poster`,
      } as Location,
      hist,
    )
    expect(hist.replaceState).toHaveBeenCalledWith(
      null,
      '',
      '/history?from=push&utm_source=poster#top',
    )
  })
})
