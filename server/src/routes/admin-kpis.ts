import { adminKpisQuerySchema } from '@membercard/shared'
import { Hono } from 'hono'
import { validate } from '../http/validate.ts'
import type { KpiService } from '../services/kpis.ts'
import type { Env } from './deps.ts'

/** `GET /api/admin/kpis?from=&to=`: the dashboard's figures (operator or admin). */
export function adminKpiRoutes(kpis: KpiService) {
  return new Hono<Env>().get('/kpis', validate('query', adminKpisQuerySchema), async (c) => {
    const { from, to } = c.req.valid('query')
    return c.json(await kpis.kpis(from, to), 200)
  })
}
