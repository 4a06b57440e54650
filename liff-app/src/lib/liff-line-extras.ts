import liff from '@line/liff/core'

/**
 * The real LIFF SDK's LINE MINI App features, loaded only when used (not with the card): is
 * the user a friend of the Official Account, the profile when the app needs it, and the
 * home-screen shortcut. Each installs its SDK module on first use.
 */

/** `liff.getFriendship()`: whether the user is a friend of the Official Account. */
export async function friendship(): Promise<boolean> {
  const { default: GetFriendship } = await import('@line/liff/get-friendship')
  liff.use(new GetFriendship())
  return (await liff.getFriendship()).friendFlag
}

/**
 * The LINE display name. With consent simplification a MINI App may have only `openid`: the
 * token has no name, so the profile permission is asked for (`permission.requestAll()`) now.
 */
export async function profileName(): Promise<string | null> {
  const name = liff.getDecodedIDToken()?.name
  if (name) return name
  const [{ default: Permission }, { default: GetProfile }] = await Promise.all([
    import('@line/liff/permission'),
    import('@line/liff/get-profile'),
  ])
  liff.use(new Permission())
  liff.use(new GetProfile())
  if ((await liff.permission.query('profile')).state === 'prompt') {
    await liff.permission.requestAll()
  }
  if ((await liff.permission.query('profile')).state !== 'granted') return null
  return (await liff.getProfile()).displayName
}

/** Adds a shortcut to the member card on the home screen (LINE asks the user). */
export async function createShortcut(liffId: string): Promise<void> {
  const { default: Shortcut } = await import('@line/liff/create-shortcut-on-home-screen')
  liff.use(new Shortcut())
  await liff.createShortcutOnHomeScreen({ url: `https://liff.line.me/${liffId}/card` })
}
