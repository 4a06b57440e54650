import { en } from 'primelocale/js/en.js'
import { ja } from 'primelocale/js/ja.js'
import type { Locale } from '../i18n/index.ts'

/** PrimeVue's own texts (date picker, table, dialogs) in the console's language. */
export function primeLocale(locale: Locale) {
  return locale === 'ja' ? ja : en
}
