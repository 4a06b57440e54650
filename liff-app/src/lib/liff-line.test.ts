import { beforeEach, describe, expect, it, vi } from 'vitest'

// The real LIFF SDK (pluggable core), replaced by a recording fake.
const sdk = vi.hoisted(() => ({
  used: [] as string[],
  init: vi.fn(async (_opts: unknown) => undefined),
  isInClient: vi.fn(() => false),
  isLoggedIn: vi.fn(() => true),
  login: vi.fn(),
  logout: vi.fn(),
  getIDToken: vi.fn(() => 'id-token'),
  getDecodedIDToken: vi.fn((): { exp: number; name?: string } | null => ({
    exp: Date.now() / 1000 + 3600,
    name: 'LINE 太郎',
  })),
  getFriendship: vi.fn(async () => ({ friendFlag: false })),
  permissionState: 'prompt' as 'prompt' | 'granted' | 'unavailable',
  requestAll: vi.fn(async () => undefined),
  getProfile: vi.fn(async () => ({ displayName: 'プロフィール 花子' })),
  createShortcutOnHomeScreen: vi.fn(async (_p: { url: string }) => undefined),
}))
vi.mock('@line/liff/core', () => ({
  default: {
    use: (m: { name: string }) => sdk.used.push(m.name),
    init: sdk.init,
    isInClient: sdk.isInClient,
    isLoggedIn: sdk.isLoggedIn,
    login: sdk.login,
    logout: sdk.logout,
    getIDToken: sdk.getIDToken,
    getDecodedIDToken: sdk.getDecodedIDToken,
    getFriendship: sdk.getFriendship,
    permission: {
      query: async () => ({ state: sdk.permissionState }),
      requestAll: sdk.requestAll,
    },
    getProfile: sdk.getProfile,
    createShortcutOnHomeScreen: sdk.createShortcutOnHomeScreen,
  },
}))
for (const [path, name] of [
  ['@line/liff/get-decoded-id-token', 'getDecodedIDToken'],
  ['@line/liff/get-id-token', 'getIDToken'],
  ['@line/liff/is-in-client', 'isInClient'],
  ['@line/liff/is-logged-in', 'isLoggedIn'],
  ['@line/liff/login', 'login'],
  ['@line/liff/logout', 'logout'],
  ['@line/liff/get-friendship', 'getFriendship'],
  ['@line/liff/permission', 'permission'],
  ['@line/liff/get-profile', 'getProfile'],
  ['@line/liff/create-shortcut-on-home-screen', 'createShortcutOnHomeScreen'],
] as const) {
  vi.doMock(path, () => ({
    default: class {
      name = name
    },
  }))
}

const config = {
  mode: 'line' as const,
  liffId: '1234567890-abcdefgh',
  storeName: 'S',
  bonusPoints: 200,
  consentVersion: 'v1',
  privacyPolicyUrl: '/privacy',
  qrTtlSeconds: 60,
  oaBasicId: null,
}

describe('the real LIFF session', () => {
  beforeEach(() => {
    vi.clearAllMocks()
    sdk.used.length = 0
    localStorage.clear()
    sessionStorage.clear()
  })

  it('initialises with the LIFF ID, no automatic LIFF login outside LINE, using only the modules it needs', async () => {
    const { initLineLiff } = await import('./liff-line.ts')
    const session = await initLineLiff(config)
    expect(sdk.init).toHaveBeenCalledWith({
      liffId: '1234567890-abcdefgh',
      withLoginOnExternalBrowser: false,
    })
    expect(sdk.used.sort()).toEqual(
      ['getDecodedIDToken', 'getIDToken', 'isInClient', 'isLoggedIn', 'login', 'logout'].sort(),
    )
    expect(session.kind).toBe('liff')
    expect(session.idToken()).toBe('id-token')
    expect(session.displayName()).toBe('LINE 太郎')
  })

  it('outside LINE and not logged in: signed out (the app offers LINE Login on the web), no LIFF login', async () => {
    sdk.isLoggedIn.mockReturnValueOnce(false)
    const { initLineLiff } = await import('./liff-line.ts')
    const session = await initLineLiff(config)
    expect(session.kind).toBe('none')
    expect(session.idToken()).toBeNull()
    expect(sdk.login).not.toHaveBeenCalled()
  })

  it('recovers once outside LINE by clearing the cache and logging in again, then leaves it to the user', async () => {
    const { initLineLiff } = await import('./liff-line.ts')
    const session = await initLineLiff(config)
    localStorage.setItem('LIFF_STORE:1234567890-abcdefgh:IDToken', 'stale')
    void session.recover()
    expect(localStorage.getItem('LIFF_STORE:1234567890-abcdefgh:IDToken')).toBeNull()
    expect(sdk.logout).toHaveBeenCalledTimes(1)
    expect(sdk.login).toHaveBeenCalledTimes(1)
    // A second expiry right after: no login loop, the app shows "sign in again".
    expect(await session.recover()).toBe(false)
    expect(sdk.login).toHaveBeenCalledTimes(1)
  })

  it('does not start with a cached token that has already expired', async () => {
    sdk.getDecodedIDToken.mockReturnValue({ exp: Date.now() / 1000 - 60 })
    const { initLineLiff } = await import('./liff-line.ts')
    void initLineLiff(config)
    await vi.waitFor(() => expect(sdk.login).toHaveBeenCalledTimes(1))
    expect(sessionStorage.getItem('membercard.relogin')).toBe('1')
  })

  it('loads getFriendship only when asked, and tells whether the user is a friend', async () => {
    sdk.getDecodedIDToken.mockReturnValue({ exp: Date.now() / 1000 + 3600, name: 'LINE 太郎' })
    const { initLineLiff } = await import('./liff-line.ts')
    const session = await initLineLiff(config)
    expect(sdk.used).not.toContain('getFriendship')
    expect(await session.friendship?.()).toBe(false)
    expect(sdk.used).toContain('getFriendship')
    sdk.getFriendship.mockResolvedValueOnce({ friendFlag: true })
    expect(await session.friendship?.()).toBe(true)
  })

  it('asks for the profile permission (requestAll) only when the token has no name, as a MINI App may', async () => {
    sdk.getDecodedIDToken.mockReturnValue({ exp: Date.now() / 1000 + 3600, name: 'LINE 太郎' })
    const { initLineLiff } = await import('./liff-line.ts')
    const named = await initLineLiff(config)
    expect(await named.profileName?.()).toBe('LINE 太郎')
    expect(sdk.requestAll).not.toHaveBeenCalled()
    // Consent simplification: only `openid` granted, so the token carries no name.
    sdk.getDecodedIDToken.mockReturnValue({ exp: Date.now() / 1000 + 3600 })
    sdk.requestAll.mockImplementationOnce(async () => {
      sdk.permissionState = 'granted'
    })
    expect(await named.profileName?.()).toBe('プロフィール 花子')
    expect(sdk.requestAll).toHaveBeenCalledTimes(1)
    // Refused: no name, and no profile read.
    sdk.permissionState = 'unavailable'
    sdk.getProfile.mockClear()
    expect(await named.profileName?.()).toBeNull()
    expect(sdk.getProfile).not.toHaveBeenCalled()
  })

  it('offers the home-screen shortcut only inside LINE, to the card', async () => {
    sdk.getDecodedIDToken.mockReturnValue({ exp: Date.now() / 1000 + 3600, name: 'LINE 太郎' })
    const { initLineLiff } = await import('./liff-line.ts')
    expect((await initLineLiff(config)).createShortcut).toBeUndefined()
    sdk.isInClient.mockReturnValue(true)
    const inLine = await initLineLiff(config)
    await inLine.createShortcut?.()
    expect(sdk.createShortcutOnHomeScreen).toHaveBeenCalledWith({
      url: 'https://liff.line.me/1234567890-abcdefgh/card',
    })
    sdk.isInClient.mockReturnValue(false)
  })
})
