import { useI18n } from '../i18n/index.ts'
import { ApiFailure } from '../lib/api.ts'
import { failureMessage } from '../lib/error-messages.ts'

/**
 * The console's text: `t('dashboard.title')` reads `admin.dashboard.title`; `errorText` says,
 * for any failure, what went wrong and what to do (the shared code → message map).
 */
export function useAdminI18n() {
  const i18n = useI18n()
  const t = (key: string, named?: Record<string, unknown>) => i18n.t(`admin.${key}`, named)
  const te = (key: string) => i18n.te(`admin.${key}`)
  const n = (value: number) => i18n.n(value, 'integer')
  const dateTime = (iso: string) =>
    new Intl.DateTimeFormat(i18n.locale.value === 'ja' ? 'ja-JP' : 'en-GB', {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: 'Asia/Tokyo',
    }).format(new Date(iso))
  const date = (value: string) =>
    new Intl.DateTimeFormat(i18n.locale.value === 'ja' ? 'ja-JP' : 'en-GB', {
      dateStyle: 'medium',
      timeZone: value.length === 10 ? 'UTC' : 'Asia/Tokyo',
    }).format(new Date(value.length === 10 ? `${value}T00:00:00Z` : value))
  function errorText(err: unknown): string {
    if (!(err instanceof ApiFailure)) return t('errors.default')
    const minutes = Math.max(1, Math.ceil((err.retryAfterSeconds ?? 900) / 60))
    return failureMessage(err.code, i18n.locale.value, { minutes })
  }
  return { t, te, n, dateTime, date, errorText, locale: i18n.locale }
}
