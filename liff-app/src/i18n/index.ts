import { createI18n } from 'vue-i18n'
import { compileMessage } from './compile.ts'
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
export type MessagesLoader = (locale: Locale) => Promise<Messages>

let englishLoading: Promise<Messages> | null = null

/**
 * Japanese is in the first bundle; English is its own chunk, downloaded only when it is needed
 * (once: a failed download may be tried again).
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

/** What switching language needs of vue-i18n's global composer (`i18n.global` or `useI18n()`). */
export interface LocaleHost {
  locale: { value: string }
  mergeLocaleMessage: (locale: string, messages: never) => void
}

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
    if (!have.has(next)) host.mergeLocaleMessage(next, messages as never)
    have.add(next)
  }
  if (latest.get(host) !== next) return
  host.locale.value = next
  if (typeof document !== 'undefined') document.documentElement.lang = next
}

const INTEGER = { maximumFractionDigits: 0 } as const

/** The app's i18n instance (Composition API mode), with the Japanese messages only. */
export function createAppI18n() {
  return createI18n<[Messages], Locale, false>({
    legacy: false,
    locale: 'ja',
    fallbackLocale: 'ja',
    messageCompiler: compileMessage,
    // English is merged by `switchLocale` when it is needed.
    messages: { ja } as Record<Locale, Messages>,
    // A named format: vue-i18n keeps one Intl.NumberFormat per locale for it, where a plain
    // `n(value)` builds a new one on each call (each render of the balance).
    numberFormats: { ja: { integer: INTEGER }, en: { integer: INTEGER } },
  })
}

export type AppI18n = ReturnType<typeof createAppI18n>

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
      i18n.global.mergeLocaleMessage(l, { staff: staffMessages[l] } as never)
    }
  })
  return staffLoaded
}
