import { ApiFailure } from './api.ts'

type Translate = (key: string, named?: Record<string, unknown>) => string

const KNOWN = new Set([
  'NETWORK',
  'CARD_NUMBER_INVALID',
  'CARD_OR_PIN_WRONG',
  'CARD_ALREADY_LINKED',
  'ALREADY_LINKED',
  'CONSENT_REQUIRED',
  'CONSENT_OUTDATED',
  'TOO_MANY_ATTEMPTS',
  'NOT_LINKED',
  'INVALID_ID_TOKEN',
  'ID_TOKEN_EXPIRED',
  'SERVICE_UNAVAILABLE',
])

/** A time on this device's clock: `14:05` today, `12/1 14:05` on another day. */
function clockTime(at: Date, now = new Date()): string {
  const hm = `${at.getHours()}:${String(at.getMinutes()).padStart(2, '0')}`
  return at.toDateString() === now.toDateString()
    ? hm
    : `${at.getMonth() + 1}/${at.getDate()} ${hm}`
}

/** A plain message in the user's language that says what to do, for any failure. */
export function errorMessage(t: Translate, err: unknown): string {
  if (!(err instanceof ApiFailure)) return t('errors.default')
  if (err.code === 'TOO_MANY_ATTEMPTS') {
    const seconds = err.retryAfterSeconds ?? 900
    const minutes = Math.max(1, Math.ceil(seconds / 60))
    if (minutes < 60) return t('errors.TOO_MANY_ATTEMPTS', { minutes })
    return t('errors.TOO_MANY_ATTEMPTS_UNTIL', {
      time: clockTime(new Date(Date.now() + seconds * 1000)),
    })
  }
  return KNOWN.has(err.code) ? t(`errors.${err.code}`) : t('errors.default')
}
