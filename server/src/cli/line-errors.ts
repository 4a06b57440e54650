import { HTTPFetchError } from '@line/bot-sdk'

/** One line saying what went wrong with a LINE call (never the token). */
export function describeLineError(err: unknown): string {
  if (err instanceof HTTPFetchError) {
    return `LINE answered ${err.status} ${err.statusText}: ${err.body.slice(0, 300)}`
  }
  if (err instanceof TypeError && /fetch failed/.test(err.message)) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? 'network error'
    return `cannot reach the LINE API (${cause}). In demo mode, start the server first (pnpm start).`
  }
  return err instanceof Error ? err.message : String(err)
}
