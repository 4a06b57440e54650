import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { errorBody } from '../http/api-error.ts'
import type { CollectedStats, Metrics } from '../metrics.ts'
import { outbox } from '../repositories/outbox.ts'

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

/** The outbox backlog and the database's connection figures, read at each scrape. */
export function dataStats(db: Database, clock: Clock): () => Promise<CollectedStats> {
  return async () => {
    const row = await outbox.backlog(db)
    return {
      outbox: {
        backlog: row.n,
        oldestAgeSeconds: row.oldest === null ? 0 : Math.max(0, (clock.now() - row.oldest) / 1000),
      },
      pool: db.connections(),
    }
  }
}
