import { staffCardAwardSchema, staffCardLookupSchema } from '@membercard/shared'
import { Hono } from 'hono'
import { idempotencyKey } from '../http/idempotency.ts'
import { validate } from '../http/validate.ts'
import { createCardNumberTill } from '../services/card-number-till.ts'
import type { Env, RouteDeps } from './deps.ts'

/**
 * The till's card-number path (decision 092), for a customer who hands over the plastic card:
 * `POST /card/lookup` {cardNumber} → {member, linked}; `POST /card/award` (Idempotency-Key)
 * {cardNumber, purchaseAmount} → {transactionId, points, balance}. Award only: redeeming and
 * coupons need the member's QR or short code. Mounted under `/api/staff`.
 */
export function staffCardRoutes(deps: RouteDeps) {
  const { staffAuth, clientAddress } = deps
  const till = createCardNumberTill({ db: deps.db, clock: deps.clock, points: deps.points })
  const idem = idempotencyKey(deps.idempotency)
  return new Hono<Env>()
    .post('/card/lookup', staffAuth, validate('json', staffCardLookupSchema), async (c) => {
      const { cardNumber } = c.req.valid('json')
      return c.json(await till.lookup(c.get('staff'), cardNumber, clientAddress(c)), 200)
    })
    .post('/card/award', staffAuth, idem, validate('json', staffCardAwardSchema), async (c) => {
      const [who, body, claim] = [c.get('staff'), c.req.valid('json'), c.get('idempotency')]
      return c.json(await till.award(who, body, claim, clientAddress(c)), 200)
    })
}
