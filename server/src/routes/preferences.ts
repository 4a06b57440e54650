import { preferencesSchema } from '@membercard/shared'
import { Hono } from 'hono'
import { validate } from '../http/validate.ts'
import type { Env, RouteDeps } from './deps.ts'

/** `GET` / `PUT /api/me/preferences`: the member's promotions preference. */
export function preferencesRoutes({ segments, customerAuth }: RouteDeps) {
  return new Hono<Env>()
    .get('/me/preferences', customerAuth, async (c) =>
      c.json(await segments.preferences(c.get('lineUserId')), 200),
    )
    .put('/me/preferences', customerAuth, validate('json', preferencesSchema), async (c) =>
      c.json(await segments.setPreferences(c.get('lineUserId'), c.req.valid('json')), 200),
    )
}
