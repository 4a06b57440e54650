import { historyQuerySchema } from '@membercard/shared'
import { Hono } from 'hono'
import { ApiError } from '../http/api-error.ts'
import { validate } from '../http/validate.ts'
import { decodeCursor } from '../services/membership.ts'
import type { Env, RouteDeps } from './deps.ts'

/** `GET /api/points/history`: the linked card's ledger, newest first, by opaque cursor. */
export function pointsRoutes({ membership, customerAuth }: RouteDeps) {
  return new Hono<Env>().get(
    '/points/history',
    customerAuth,
    validate('query', historyQuerySchema),
    async (c) => {
      const { cursor, limit } = c.req.valid('query')
      let before: number | undefined
      if (cursor !== undefined && cursor !== '') {
        before = decodeCursor(cursor)
        if (before === undefined)
          throw new ApiError('VALIDATION_FAILED', 'cursor: not a valid cursor')
      }
      return c.json(await membership.history(c.get('lineUserId'), before, limit ?? 20), 200)
    },
  )
}
