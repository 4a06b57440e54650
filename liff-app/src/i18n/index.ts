import { type App, type InjectionKey, inject, type Ref, ref, shallowRef } from 'vue'
import { ja, type Messages } from './ja.ts'

/** The languages the app speaks. */
export const LOCALES = ['ja', 'en'] as const
export type Locale = (typeof LOCALES)[number]

const LANG_KEY = 'membercard.lang'

/** The user's chosen language, else the device's: English for an English device, else Japanese. */
export function initialLocale(
  stored: string | null = safeGet(LANG_KEY),
  device: readonly string[] = typeof navigator === 'undefined' ? [] : navigator.languages,
): Locale {
  if (stored === 'ja' || stored === 'en') return stored
  for (const lang of device) {
    const l = lang.toLowerCase()
    if (l.startsWith('ja')) return 'ja'
    if (l.startsWith('en')) return 'en'
  }
  return 'ja'
}

/** Remembers the user's choice of language. */
export function rememberLocale(locale: Locale): void {
  try {
    localStorage.setItem(LANG_KEY, locale)
  } catch {
    // private mode: the choice lasts for this visit only
  }
}

function safeGet(key: string): string | null {
  try {
    return localStorage.getItem(key)
  } catch {
    return null
  }
}

/** Loads one language's messages. */
export type MessagesLoader = (locale: Locale) => Promise<MessageTree>

let englishLoading: Promise<Messages> | null = null

/**
 * Japanese is in the first bundle (the first screen's messages; the other screens' come with
 * the router: `ja-screens.ts`); English, all of it, is its own chunk, downloaded only when it is
 * needed (once: a failed download may be tried again).
 */
export const loadMessages: MessagesLoader = (locale) => {
  if (locale === 'ja') return Promise.resolve(ja)
  englishLoading ??= import('./en.ts').then(
    (m) => m.en,
    (err: unknown) => {
      englishLoading = null
      throw err
    },
  )
  return englishLoading
}

/** A tree of messages: each leaf is plain text with `{name}` placeholders. */
export interface MessageTree {
  [key: string]: string | MessageTree
}

/** Values for a message's `{name}` placeholders. */
export type Named = Record<string, unknown>

/** The translation functions a component uses (`useI18n()`), and the app's language. */
export interface Composer {
  /** The language on screen: every text using `t`/`n` re-renders when it changes. */
  readonly locale: Ref<Locale>
  /** The languages whose messages are loaded. */
  readonly availableLocales: Locale[]
  /**
   * The message at `key` (a dotted path) in the current language, else in Japanese, else the
   * key itself; `{name}` placeholders take `named[name]` (missing: empty).
   */
  t(key: string, named?: Named): string
  /** Whether the current language has a message at `key`. */
  te(key: string): boolean
  /** A number in the current language's digits; `'integer'`: no fraction digits. */
  n(value: number, format?: 'integer'): string
  /** Deep-merges `messages` into a language's (the till's go under `staff`). */
  mergeLocaleMessage(locale: Locale, messages: MessageTree): void
}

/** The app's i18n: a Vue plugin providing `useI18n()` and `$t`, plus its global composer. */
export interface AppI18n {
  readonly global: Composer
  install(app: App): void
}

declare module 'vue' {
  interface ComponentCustomProperties {
    $t: Composer['t']
  }
}

const I18N: InjectionKey<Composer> = Symbol('i18n')

/** The app's translation functions, from the plugin installed on the app. */
export function useI18n(): Composer {
  const composer = inject(I18N, null)
  if (!composer) throw new Error('useI18n() needs the i18n plugin installed on the app')
  return composer
}

function lookup(tree: MessageTree | undefined, key: string): string | undefined {
  let node: string | MessageTree | undefined = tree
  for (const part of key.split('.')) {
    if (typeof node !== 'object') return undefined
    node = node[part]
  }
  return typeof node === 'string' ? node : undefined
}

function merge(into: MessageTree, from: MessageTree): MessageTree {
  const out = { ...into }
  for (const [key, value] of Object.entries(from)) {
    const have = out[key]
    out[key] = typeof value === 'object' && typeof have === 'object' ? merge(have, value) : value
  }
  return out
}

/** What switching language needs of the composer (`i18n.global` or `useI18n()`). */
export type LocaleHost = Pick<Composer, 'locale' | 'mergeLocaleMessage'>

/** The languages whose messages each composer already holds. */
const loaded = new WeakMap<LocaleHost, Set<Locale>>()
/** Each composer's latest requested language: an earlier, slower switch must not win. */
const latest = new WeakMap<LocaleHost, Locale>()

/**
 * Makes `next` the app's language once its messages are there (downloading English on first
 * use), so the screen switches in one step, never through a fallback to Japanese. Merged, not
 * set: the till's messages may already sit under `staff`. Rejects when the download fails
 * (the language stays as it was).
 */
export async function switchLocale(
  host: LocaleHost,
  next: Locale,
  load: MessagesLoader = loadMessages,
): Promise<void> {
  latest.set(host, next)
  const have = loaded.get(host) ?? new Set<Locale>(['ja'])
  loaded.set(host, have)
  if (!have.has(next)) {
    const messages = await load(next)
    if (!have.has(next)) host.mergeLocaleMessage(next, messages)
    have.add(next)
  }
  if (latest.get(host) !== next) return
  host.locale.value = next
  if (typeof document !== 'undefined') document.documentElement.lang = next
}

const INTEGER = { maximumFractionDigits: 0 } as const

/**
 * The app's i18n, in Japanese (the first screen's messages; the other screens' are merged when
 * the router arrives, English by `switchLocale` when it is needed). A few
 * lines instead of vue-i18n: the app uses plain messages with `{name}` placeholders, `te` and
 * one number format only (docs/decisions/019).
 */
export function createAppI18n(): AppI18n {
  const locale = ref<Locale>('ja')
  // Replaced (not mutated) on each merge: a shallow ref is all the reactivity `t` needs.
  const messages = shallowRef<Partial<Record<Locale, MessageTree>>>({ ja })
  // One formatter per language and format: building an Intl.NumberFormat is the slow part.
  const formats = new Map<string, Intl.NumberFormat>()
  const own = (key: string) => lookup(messages.value[locale.value], key)
  const global: Composer = {
    locale,
    get availableLocales() {
      return Object.keys(messages.value).sort() as Locale[]
    },
    t(key, named) {
      const message = own(key) ?? lookup(messages.value.ja, key)
      if (message === undefined) return key
      return message.replace(/\{(\w+)\}/g, (_, name: string) => String(named?.[name] ?? ''))
    },
    te: (key) => own(key) !== undefined,
    n(value, format) {
      const id = `${locale.value}:${format ?? ''}`
      let formatter = formats.get(id)
      if (!formatter) {
        formatter = new Intl.NumberFormat(locale.value, format === 'integer' ? INTEGER : {})
        formats.set(id, formatter)
      }
      return formatter.format(value)
    },
    mergeLocaleMessage(l, more) {
      messages.value = { ...messages.value, [l]: merge(messages.value[l] ?? {}, more) }
    },
  }
  return {
    global,
    install(app) {
      app.provide(I18N, global)
      app.config.globalProperties.$t = global.t
    },
  }
}

/**
 * The app's i18n instance, speaking `locale` from the first render: English messages are
 * awaited before it resolves. If they cannot be downloaded, the app starts in Japanese.
 */
export async function startI18n(
  locale: Locale = initialLocale(),
  load: MessagesLoader = loadMessages,
): Promise<AppI18n> {
  const i18n = createAppI18n()
  try {
    await switchLocale(i18n.global, locale, load)
  } catch {
    await switchLocale(i18n.global, 'ja', load)
  }
  return i18n
}

/**
 * Formats one number in a task of its own. A page's first number format costs the browser tens
 * of milliseconds, once (the ICU number data is loaded; 25–85 ms measured in Chromium, four
 * times that at Lighthouse's mobile CPU). Called at start-up, that happens while the app waits
 * for the network, not inside the card's first render (which shows the balance).
 */
export function warmNumberFormat(i18n: AppI18n): void {
  setTimeout(() => {
    i18n.global.n(0, 'integer')
  }, 0)
}

let staffLoaded: Promise<void> | null = null

/**
 * Merges the till's messages under the `staff` key, loaded only when a staff page opens so
 * the customer's card never downloads them.
 */
export function loadStaffMessages(i18n: AppI18n): Promise<void> {
  staffLoaded ??= import('../staff/messages.ts').then(({ staffMessages }) => {
    for (const l of LOCALES) {
      i18n.global.mergeLocaleMessage(l, { staff: staffMessages[l] })
    }
  })
  return staffLoaded
}
