/** Dates as the console shows and sends them: `YYYY-MM-DD` in the till's time zone. */
export const TIME_ZONE = 'Asia/Tokyo'

/** Today's date in Tokyo. */
export function todayInTokyo(now: Date = new Date()): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(now)
}

/** The date `days` after `date` (negative: before). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

/** Days from `from` to `to`, both ends included. */
export function daysBetween(from: string, to: string): number {
  return (
    Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1
  )
}

/** The last `days` days ending today (Tokyo), both ends included. */
export function lastDays(days: number, now: Date = new Date()): { from: string; to: string } {
  const to = todayInTokyo(now)
  return { from: addDays(to, -(days - 1)), to }
}
