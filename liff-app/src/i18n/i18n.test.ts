import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, nextTick } from 'vue'
import {
  createAppI18n,
  initialLocale,
  loadMessages,
  type MessagesLoader,
  startI18n,
  switchLocale,
  useI18n,
} from './index.ts'
import { ja, type Messages } from './ja.ts'
import { jaScreens } from './ja-screens.ts'

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

const fakeEnglish = {
  ...ja,
  ...jaScreens,
  settings: { ...jaScreens.settings, title: 'Settings' },
} as Messages

/** The app's i18n once the router has arrived with the other screens' messages (main.ts). */
function appI18n() {
  const i18n = createAppI18n()
  i18n.global.mergeLocaleMessage('ja', jaScreens)
  return i18n
}

afterEach(() => {
  document.documentElement.lang = ''
})

describe('English loads lazily', () => {
  // First in the file: nothing has imported en.ts yet.
  it('is not downloaded for a Japanese start', async () => {
    const i18n = await startI18n('ja')
    expect(i18n.global.t('app.nav.settings')).toBe('設定')
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
    const i18n = appI18n()
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
    const i18n = appI18n()
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
    const i18n = appI18n()
    i18n.global.mergeLocaleMessage('en', { staff: { title: 'Till' } } as never)
    await switchLocale(i18n.global, 'en', async () => fakeEnglish)
    expect(i18n.global.t('staff.title')).toBe('Till')
    expect(i18n.global.t('settings.title')).toBe('Settings')
  })
})

describe('the first screen and the others', () => {
  it("the first bundle's Japanese is the frame's and the card's; the other screens' come later", () => {
    expect(Object.keys(ja)).toEqual(['app', 'card'])
    const i18n = createAppI18n()
    expect(i18n.global.t('card.title')).toBe('会員証')
    expect(i18n.global.te('settings.title')).toBe(false)
    i18n.global.mergeLocaleMessage('ja', jaScreens)
    expect(i18n.global.t('settings.title')).toBe('設定')
    expect(i18n.global.t('card.title')).toBe('会員証')
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
    expect(keys(en).sort()).toEqual(keys({ ...ja, ...jaScreens }).sort())
  })
})

describe('t, te and n', () => {
  it('fills {name} placeholders, leaving a missing value empty', () => {
    const { t } = appI18n().global
    expect(t('link.bonus', { points: 200 })).toBe('連携で200\u2060ポイントプレゼント')
    expect(t('history.expiring', { points: '1,200', date: '1月1日' })).toBe(
      '1,200\u00a0ptが1月1日に失効します。お買い物かポイントのご利用で期限が延びます。',
    )
    expect(t('link.bonus')).toBe('連携で\u2060ポイントプレゼント')
    expect(t('link.bonus', { other: 1 })).toBe('連携で\u2060ポイントプレゼント')
  })

  it('answers a missing key with the key, and a branch of the tree is not a message', () => {
    const { t, te } = appI18n().global
    expect(t('card.nope')).toBe('card.nope')
    expect(t('card')).toBe('card')
    expect(t('card.title.deeper')).toBe('card.title.deeper')
    expect(t('constructor')).toBe('constructor')
    expect(te('card.ranks.gold')).toBe(true)
    expect(te('card.ranks.platinum')).toBe(false)
    expect(te('card.ranks')).toBe(false)
    expect(te('toString')).toBe(false)
  })

  it('falls back to Japanese for a message English lacks; te looks at English only', async () => {
    const i18n = appI18n()
    const partial = { card: { title: 'Member card' } } as unknown as Messages
    await switchLocale(i18n.global, 'en', async () => partial)
    expect(i18n.global.t('card.title')).toBe('Member card')
    expect(i18n.global.t('card.points')).toBe('ポイント残高')
    expect(i18n.global.te('card.title')).toBe(true)
    expect(i18n.global.te('card.points')).toBe(false)
  })

  it('formats numbers in the current language, one formatter per language and format', async () => {
    // Counts the formatters built: building one is the slow part, so each is built once.
    const Real = Intl.NumberFormat
    const built: unknown[][] = []
    class Counting extends Real {
      constructor(...args: ConstructorParameters<typeof Real>) {
        super(...args)
        built.push(args)
      }
    }
    Intl.NumberFormat = Counting as typeof Real
    try {
      const i18n = appI18n()
      const { n } = i18n.global
      expect(n(1234567, 'integer')).toBe('1,234,567')
      expect(n(2.5, 'integer')).toBe(new Real('ja', { maximumFractionDigits: 0 }).format(2.5))
      expect(n(1.25)).toBe('1.25')
      expect(built).toEqual([
        ['ja', { maximumFractionDigits: 0 }],
        ['ja', {}],
      ])
      n(1, 'integer')
      n(2)
      expect(built).toHaveLength(2)
      await switchLocale(i18n.global, 'en', async () => fakeEnglish)
      expect(n(1000, 'integer')).toBe('1,000')
      expect(built[2]).toEqual(['en', { maximumFractionDigits: 0 }])
    } finally {
      Intl.NumberFormat = Real
    }
  })

  it("merges deeply: the till's messages sit beside the app's, a later merge wins per key", () => {
    const i18n = appI18n()
    i18n.global.mergeLocaleMessage('ja', { staff: { title: 'レジ', header: { till: 'レジ' } } })
    i18n.global.mergeLocaleMessage('ja', { staff: { header: { today: '本日' } } })
    expect(i18n.global.t('staff.title')).toBe('レジ')
    expect(i18n.global.t('staff.header.till')).toBe('レジ')
    expect(i18n.global.t('staff.header.today')).toBe('本日')
    expect(i18n.global.t('card.title')).toBe('会員証')
  })
})

describe('the plugin', () => {
  const Probe = defineComponent({
    setup() {
      const { t, n } = useI18n()
      return () => h('p', [t('settings.title'), ' ', n(1200, 'integer')])
    },
  })

  it('re-renders components when the language switches, and when English messages merge', async () => {
    const i18n = appI18n()
    const wrapper = mount(Probe, { global: { plugins: [i18n] } })
    expect(wrapper.text()).toBe('設定 1,200')
    await switchLocale(i18n.global, 'en', async () => fakeEnglish)
    await nextTick()
    expect(wrapper.text()).toBe('Settings 1,200')
    i18n.global.mergeLocaleMessage('en', { settings: { title: 'Preferences' } })
    await nextTick()
    expect(wrapper.text()).toBe('Preferences 1,200')
    i18n.global.locale.value = 'ja'
    await nextTick()
    expect(wrapper.text()).toBe('設定 1,200')
  })

  it('gives templates $t', () => {
    const Template = defineComponent({
      render() {
        return h('p', this.$t('link.bonus', { points: 200 }))
      },
    })
    const wrapper = mount(Template, { global: { plugins: [appI18n()] } })
    expect(wrapper.text()).toBe('連携で200\u2060ポイントプレゼント')
  })

  it('useI18n() outside an app with the plugin is a clear error', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    expect(() => mount(Probe)).toThrow('i18n plugin')
    warn.mockRestore()
  })
})
