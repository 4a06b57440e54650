import { issueCardRequestSchema, linkRequestSchema } from '@membercard/shared'
import { Hono } from 'hono'
import { ApiError } from '../http/api-error.ts'
import { validate } from '../http/validate.ts'
import type { Env, RouteDeps } from './deps.ts'

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,128}$/

/** Linking a card (`POST /api/link`), unlinking, and issuing a new digital card. */
export function linkRoutes({ membership, customerAuth }: RouteDeps) {
  return new Hono<Env>()
    .post('/link', customerAuth, validate('json', linkRequestSchema), async (c) => {
      const result = await membership.link(c.get('lineUserId'), c.req.valid('json'))
      return c.json(result, 201)
    })
    .delete('/link', customerAuth, async (c) => {
      await membership.unlink(c.get('lineUserId'))
      return c.body(null, 204)
    })
    .post('/cards', customerAuth, validate('json', issueCardRequestSchema), async (c) => {
      const key = c.req.header('Idempotency-Key')
      if (!key || !IDEMPOTENCY_KEY.test(key)) {
        throw new ApiError(
          'IDEMPOTENCY_KEY_MISSING',
          'An Idempotency-Key header (8–128 characters) is required.',
        )
      }
      const result = await membership.issueCard(c.get('lineUserId'), key, c.req.valid('json'))
      return c.json(result, 201)
    })
}
