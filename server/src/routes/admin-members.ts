import {
  adminAdjustRequestSchema,
  adminEraseRequestSchema,
  adminHistoryQuerySchema,
  adminMembersQuerySchema,
} from '@membercard/shared'
import { Hono } from 'hono'
import { auditActor } from '../http/audit-actor.ts'
import { idempotencyKey } from '../http/idempotency.ts'
import { validate } from '../http/validate.ts'
import type { MembersService } from '../services/members.ts'
import type { Env, RouteDeps } from './deps.ts'

/** A card ID in the path (1 to 15 digits). */
const CARD = '/members/:cardId{[0-9]{1,15}}'

/**
 * `/api/admin/members…`: search, a member's page and history (operator or admin), and the
 * actions on a member: adjust (Idempotency-Key), unlink, clear the PIN lock (operator or
 * admin), erase (admin). Mounted behind `adminAuth`.
 */
export function adminMemberRoutes(deps: RouteDeps, members: MembersService) {
  const { clientAddress, requireAdmin } = deps
  // The console's keys are each account's own (the till's are its store's).
  const idem = idempotencyKey(deps.idempotency, 'account')
  const cardId = (c: { req: { param(name: 'cardId'): string } }) => Number(c.req.param('cardId'))
  return new Hono<Env>()
    .get('/members', validate('query', adminMembersQuerySchema), async (c) => {
      const { q, cursor } = c.req.valid('query')
      return c.json(await members.search(q, cursor), 200)
    })
    .get(CARD, async (c) => c.json(await members.detail(cardId(c)), 200))
    .get(`${CARD}/history`, validate('query', adminHistoryQuerySchema), async (c) => {
      return c.json(await members.history(cardId(c), c.req.valid('query').cursor), 200)
    })
    .post(`${CARD}/adjust`, idem, validate('json', adminAdjustRequestSchema), async (c) => {
      const who = { actor: c.get('principal').staffId, address: clientAddress(c) }
      const body = c.req.valid('json')
      return c.json(await members.adjust(who, cardId(c), body, c.get('idempotency')), 200)
    })
    .post(`${CARD}/unlink`, async (c) => {
      await members.unlink(auditActor(c, clientAddress), cardId(c))
      return c.body(null, 204)
    })
    .post(`${CARD}/clear-lock`, async (c) => {
      await members.clearLock(auditActor(c, clientAddress), cardId(c))
      return c.body(null, 204)
    })
    .post(`${CARD}/erase`, requireAdmin, validate('json', adminEraseRequestSchema), async (c) => {
      const { reason } = c.req.valid('json')
      await members.erase(auditActor(c, clientAddress), cardId(c), reason)
      return c.body(null, 204)
    })
}
