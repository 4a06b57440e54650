import { startOfDay } from './points.ts'

const DAY_MS = 86_400_000

/**
 * Calendar days in the till's time zone, as integers (days since 1970-01-01 there): what the
 * daily counters are keyed by, and what the dashboard's `YYYY-MM-DD` dates mean.
 */
export interface Calendar {
  readonly timeZone: string
  /** The day containing the instant `at` (Unix ms). */
  dayOf(at: number): number
  /** `YYYY-MM-DD` of a day. */
  format(day: number): string
  /** The day of a `YYYY-MM-DD` date, or undefined when it is not a real date. */
  parse(date: string): number | undefined
}

export function createCalendar(timeZone: string): Calendar {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  })
  // The last day computed and its bounds: consecutive writes fall on the same day.
  let cached = { start: 0, end: 0, day: 0 }
  function localDay(at: number): number {
    const p = parts.formatToParts(new Date(at))
    const get = (t: string) => Number(p.find((x) => x.type === t)?.value)
    return Math.floor(Date.UTC(get('year'), get('month') - 1, get('day')) / DAY_MS)
  }
  return {
    timeZone,
    dayOf(at) {
      if (at >= cached.start && at < cached.end) return cached.day
      const day = localDay(at)
      const start = startOfDay(at, timeZone)
      // The next day starts within 23 to 25 hours (daylight saving time): 30 hours is past it.
      const end = startOfDay(start + 30 * 3_600_000, timeZone)
      cached = { start, end, day }
      return day
    },
    format: (day) => new Date(day * DAY_MS).toISOString().slice(0, 10),
    parse(date) {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
      if (!m) return undefined
      const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
      const day = Math.floor(ms / DAY_MS)
      return new Date(ms).toISOString().slice(0, 10) === date ? day : undefined
    },
  }
}

/** The zone's offset from UTC at `at`, in ms (Asia/Tokyo: 9 hours). */
export function utcOffsetMs(timeZone: string, at: number): number {
  const p = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(new Date(at))
  const get = (t: string) => Number(p.find((x) => x.type === t)?.value)
  const wall = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  )
  return wall - (at - (at % 1000))
}
