import { createI18n } from 'vue-i18n'
import { compileMessage } from './compile.ts'
import { en } from './en.ts'
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

/** The app's i18n instance (Composition API mode). */
export function createAppI18n(locale: Locale = initialLocale()) {
  return createI18n<[Messages], Locale, false>({
    legacy: false,
    locale,
    fallbackLocale: 'ja',
    messageCompiler: compileMessage,
    messages: { ja, en },
  })
}

export type AppI18n = ReturnType<typeof createAppI18n>

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
