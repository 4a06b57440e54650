import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/client.ts'
import { errorBody } from '../http/api-error.ts'
import type { CollectedStats, Metrics } from '../metrics.ts'

const digest = (s: string) => createHash('sha256').update(s).digest()

/**
 * `GET /metrics`: Prometheus text to `Authorization: Bearer <METRICS_TOKEN>`; 401 to any other
 * caller; 404 when no token is configured (the route is not offered at all).
 */
export function metricsHandler(opts: { token: string | undefined; metrics: Metrics }) {
  const { token, metrics } = opts
  // Both sides hashed to one length, so the comparison takes the same time whatever was sent.
  const expected = token === undefined ? undefined : digest(token)
  return async function metricsRoute(c: Context) {
    if (expected === undefined) return c.json(errorBody('NOT_FOUND', 'No such route.'), 404)
    const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('Authorization') ?? '')
    if (!m?.[1] || !timingSafeEqual(digest(m[1]), expected)) {
      c.header('WWW-Authenticate', 'Bearer realm="metrics"')
      return c.json(errorBody('INVALID_CREDENTIALS', 'The metrics token is missing or wrong.'), 401)
    }
    c.header('Cache-Control', 'no-store')
    c.header('Content-Type', metrics.contentType)
    return c.body(await metrics.render(), 200)
  }
}

/**
 * The outbox and pool figures of the SQLite database: one connection, never waited for; the
 * backlog is every row neither sent nor given up on.
 */
export function sqliteStats(db: Db, clock: Clock): () => CollectedStats {
  const pending = db.$client.prepare<[], { n: number; oldest: number | null }>(
    'SELECT count(*) AS n, min(created_at) AS oldest FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL',
  )
  return () => {
    const row = pending.get() ?? { n: 0, oldest: null }
    return {
      outbox: {
        backlog: row.n,
        oldestAgeSeconds: row.oldest === null ? 0 : Math.max(0, (clock.now() - row.oldest) / 1000),
      },
      pool: { total: 1, idle: 1, waiting: 0 },
    }
  }
}
