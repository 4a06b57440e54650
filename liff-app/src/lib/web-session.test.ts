import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { initLiff } from './liff-session.ts'
import { hasWebSession, PLAIN_BROWSER_KEY, webLoginUrl } from './web-session.ts'

const demoConfig = {
  mode: 'demo' as const,
  liffId: 'demo',
  storeName: 'S',
  bonusPoints: 200,
  consentVersion: 'v1',
  privacyPolicyUrl: '/privacy',
  qrTtlSeconds: 60,
  oaBasicId: null,
}

describe('the web session (LINE Login on the web)', () => {
  beforeEach(() => {
    localStorage.clear()
    // biome-ignore lint/suspicious/noDocumentCookie: the app reads this cookie; the test sets it
    document.cookie = 'mc_signed_in=; max-age=0; path=/'
  })
  afterEach(() => {
    vi.restoreAllMocks()
    vi.unstubAllGlobals()
  })

  it('knows a web session only by the hint cookie', () => {
    expect(hasWebSession('a=1; mc_signed_in=1')).toBe(true)
    expect(hasWebSession('mc_signed_in=0; xmc_signed_in=1')).toBe(false)
    expect(hasWebSession('')).toBe(false)
  })

  it('signs in on the web back to the current screen', () => {
    expect(webLoginUrl('/history?x=1')).toBe('/login/line?next=%2Fhistory%3Fx%3D1')
  })

  it('with the hint cookie: a web session without LIFF, which signs out with DELETE /api/session', async () => {
    // biome-ignore lint/suspicious/noDocumentCookie: as the server's Set-Cookie would
    document.cookie = 'mc_signed_in=1; path=/'
    const fetchMock = vi.fn(async () => new Response(null, { status: 204 }))
    vi.stubGlobal('fetch', fetchMock)
    const session = await initLiff(demoConfig)
    expect(session.kind).toBe('web')
    expect(session.idToken()).toBeNull()
    expect(await session.recover()).toBe(false)
    // The demo remembers this browser plays a plain browser.
    expect(localStorage.getItem(PLAIN_BROWSER_KEY)).toBe('1')
    await session.signOut()
    expect(fetchMock).toHaveBeenCalledWith('/api/session', { method: 'DELETE' })
  })

  it('demo: a plain browser without a session is signed out (no mock sign-in)', async () => {
    localStorage.setItem(PLAIN_BROWSER_KEY, '1')
    const fetchMock = vi.fn()
    vi.stubGlobal('fetch', fetchMock)
    const session = await initLiff(demoConfig)
    expect(session.kind).toBe('none')
    expect(fetchMock).not.toHaveBeenCalled()
  })
})
