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

/** A plain message in the user's language that says what to do, for any failure. */
export function errorMessage(t: Translate, err: unknown): string {
  if (!(err instanceof ApiFailure)) return t('errors.default')
  if (err.code === 'TOO_MANY_ATTEMPTS') {
    const minutes = Math.max(1, Math.ceil((err.retryAfterSeconds ?? 900) / 60))
    return t('errors.TOO_MANY_ATTEMPTS', { minutes })
  }
  return KNOWN.has(err.code) ? t(`errors.${err.code}`) : t('errors.default')
}
