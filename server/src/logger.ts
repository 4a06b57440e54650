/** Structured JSON logs, one line each. Never pass tokens, PINs or full card numbers. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  /** Whether lines of this level are written at all. */
  enabled(level: Exclude<keyof typeof LEVELS, 'silent'>): boolean
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const

/** A logger writing JSON lines to `write` (stdout by default) at or above `level`. */
export function createLogger(
  level: keyof typeof LEVELS = 'info',
  write: (line: string) => void = (line) => {
    console.log(line)
  },
): Logger {
  const min = LEVELS[level]
  const log =
    (name: Exclude<keyof typeof LEVELS, 'silent'>) =>
    (msg: string, fields?: Record<string, unknown>) => {
      if (LEVELS[name] < min) return
      write(JSON.stringify({ time: new Date().toISOString(), level: name, msg, ...fields }))
    }
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    enabled: (name) => LEVELS[name] >= min,
  }
}

/** A logger that keeps its lines, for tests. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  return Object.assign(
    createLogger('debug', (l) => lines.push(l)),
    { lines },
  )
}
