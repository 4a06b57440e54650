/**
 * Database errors by kind, the same for SQLite and PostgreSQL: by error code; only the pool's
 * own errors, which carry none, by their fixed text.
 */

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** A unique (or primary-key) constraint refused the write. */
export function isUniqueViolation(err: unknown): boolean {
  const code = codeOf(err)
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  )
}

/** SQLite codes that mean the storage, not the request, is at fault. */
const SQLITE_FAULTS = [
  'SQLITE_READONLY',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
]

/**
 * Node's error codes for a database server that cannot be reached. Not ECONNRESET or EPIPE:
 * a client that drops its own request raises those too; a connection to PostgreSQL that
 * breaks surfaces as the pool's "Connection terminated" or a class 08/57P code instead.
 */
const NETWORK_FAULTS = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
])

/**
 * The database is unavailable (a full disk, a locked file, a server that is down or
 * restarting, no free connection): the request may succeed later, so it is a 503.
 */
export function isUnavailable(err: unknown): boolean {
  const code = codeOf(err)
  if (code) {
    if (SQLITE_FAULTS.some((f) => code.startsWith(f))) return true
    if (NETWORK_FAULTS.has(code)) return true
    // PostgreSQL classes 08 (connection), 53 (resources), 57P (operator intervention).
    if (/^(08|53|57P)/.test(code)) return true
  }
  const message = err instanceof Error ? err.message : ''
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  )
}
