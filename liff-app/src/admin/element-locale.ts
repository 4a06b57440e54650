import en from 'element-plus/es/locale/lang/en.mjs'
import ja from 'element-plus/es/locale/lang/ja.mjs'
import type { Locale } from '../i18n/index.ts'

/** Element Plus's own texts (date picker, dialogs, selects) in the console's language. */
export function elementLocale(locale: Locale) {
  return locale === 'ja' ? ja : en
}
