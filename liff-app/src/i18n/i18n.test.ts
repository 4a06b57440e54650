import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createAppI18n,
  initialLocale,
  loadMessages,
  type MessagesLoader,
  startI18n,
  switchLocale,
} from './index.ts'
import { ja, type Messages } from './ja.ts'

// Counts the times en.ts is evaluated: it must be only when English is needed.
const english = vi.hoisted(() => ({ imports: 0 }))
vi.mock('./en.ts', async (importOriginal) => {
  english.imports++
  return importOriginal()
})

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  )
}

/** A loader that answers when told to, or fails. */
function controlledLoader() {
  const pending: {
    locale: string
    resolve: (m: Messages) => void
    reject: (e: unknown) => void
  }[] = []
  const load = vi.fn<MessagesLoader>(
    (locale) =>
      new Promise<Messages>((resolve, reject) => {
        pending.push({ locale, resolve, reject })
      }),
  )
  return { load, pending }
}

const fakeEnglish = { ...ja, settings: { ...ja.settings, title: 'Settings' } } as Messages

afterEach(() => {
  document.documentElement.lang = ''
})

describe('English loads lazily', () => {
  // First in the file: nothing has imported en.ts yet.
  it('is not downloaded for a Japanese start', async () => {
    const i18n = await startI18n('ja')
    expect(i18n.global.t('settings.title')).toBe('設定')
    expect(i18n.global.locale.value).toBe('ja')
    expect(i18n.global.availableLocales).toEqual(['ja'])
    expect(english.imports).toBe(0)
  })

  it('is downloaded before an English start resolves, so the first render is English', async () => {
    const i18n = await startI18n('en')
    expect(english.imports).toBe(1)
    expect(i18n.global.locale.value).toBe('en')
    expect(i18n.global.t('settings.title')).toBe('Settings')
    expect(i18n.global.t('link.bonus', { points: 200 })).toBe('Get 200 points for linking')
    expect(document.documentElement.lang).toBe('en')
    // Another instance reuses the module.
    expect((await startI18n('en')).global.t('app.title')).toBe('Member card')
    expect(english.imports).toBe(1)
    expect(await loadMessages('en')).toBe(await loadMessages('en'))
  })

  it('keeps Japanese on screen until English has arrived, then switches in one step', async () => {
    const i18n = createAppI18n()
    const { load, pending } = controlledLoader()
    const switching = switchLocale(i18n.global, 'en', load)
    expect(load).toHaveBeenCalledWith('en')
    expect(i18n.global.locale.value).toBe('ja')
    expect(i18n.global.t('settings.title')).toBe('設定')
    pending[0]!.resolve(fakeEnglish)
    await switching
    expect(i18n.global.locale.value).toBe('en')
    expect(i18n.global.t('settings.title')).toBe('Settings')
    // Back and forth: no second download.
    await switchLocale(i18n.global, 'ja', load)
    await switchLocale(i18n.global, 'en', load)
    expect(load).toHaveBeenCalledOnce()
    expect(i18n.global.t('settings.title')).toBe('Settings')
  })

  it('lets a later choice win over a slower download', async () => {
    const i18n = createAppI18n()
    const { load, pending } = controlledLoader()
    const toEnglish = switchLocale(i18n.global, 'en', load)
    await switchLocale(i18n.global, 'ja', load)
    pending[0]!.resolve(fakeEnglish)
    await toEnglish
    expect(i18n.global.locale.value).toBe('ja')
  })

  it('starts in Japanese when English cannot be downloaded, and a switch can retry', async () => {
    const failing = vi.fn<MessagesLoader>(async (l) => {
      if (l === 'ja') return ja
      throw new Error('offline')
    })
    const i18n = await startI18n('en', failing)
    expect(i18n.global.locale.value).toBe('ja')
    expect(document.documentElement.lang).toBe('ja')
    await expect(switchLocale(i18n.global, 'en', failing)).rejects.toThrow('offline')
    expect(i18n.global.locale.value).toBe('ja')
    await switchLocale(i18n.global, 'en', async () => fakeEnglish)
    expect(i18n.global.locale.value).toBe('en')
  })

  it('keeps messages merged under `staff` when English arrives after them', async () => {
    const i18n = createAppI18n()
    i18n.global.mergeLocaleMessage('en', { staff: { title: 'Till' } } as never)
    await switchLocale(i18n.global, 'en', async () => fakeEnglish)
    expect(i18n.global.t('staff.title')).toBe('Till')
    expect(i18n.global.t('settings.title')).toBe('Settings')
  })
})

describe('languages', () => {
  it('follows the device: Japanese by default, English on an English phone', () => {
    expect(initialLocale(null, ['ja-JP'])).toBe('ja')
    expect(initialLocale(null, ['en-US', 'ja'])).toBe('en')
    expect(initialLocale(null, ['ko-KR'])).toBe('ja')
    expect(initialLocale(null, [])).toBe('ja')
  })

  it('keeps the language the user chose', () => {
    expect(initialLocale('en', ['ja-JP'])).toBe('en')
    expect(initialLocale('fr', ['ja-JP'])).toBe('ja')
  })

  it('has every message in both languages', async () => {
    const { en } = await import('./en.ts')
    expect(keys(en).sort()).toEqual(keys(ja).sort())
  })
})
