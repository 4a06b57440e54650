import {
  campaignCreateSchema,
  formatIssuePath,
  listCursorQuerySchema,
  messagesBodySchema,
  messagingSettingsSchema,
  testRecipientCreateSchema,
} from '@membercard/shared'
import { Hono } from 'hono'
import { ApiError } from '../http/api-error.ts'
import { auditActor } from '../http/audit-actor.ts'
import { idempotencyKey } from '../http/idempotency.ts'
import { validate } from '../http/validate.ts'
import type { Env, RouteDeps } from './deps.ts'

const CAMPAIGN = '/campaigns/:id{[0-9]{1,15}}'

/**
 * `/api/admin/campaigns…`, `/messages/validate`, `/test-recipients…`, `/quota`,
 * `/messaging-settings` (operator or admin; docs/segments.md). Mounted behind `adminAuth`.
 */
export function adminCampaignRoutes(deps: RouteDeps) {
  const { campaigns, campaignTools: tools } = deps.marketing
  const who = (c: Parameters<typeof auditActor>[0]) => auditActor(c, deps.clientAddress)
  const id = (c: { req: { param(name: 'id'): string } }) => Number(c.req.param('id'))
  const idem = idempotencyKey(deps.idempotency, 'account')
  return new Hono<Env>()
    .post('/campaigns', idem, async (c) => {
      const body = await c.req.json().catch(() => {
        throw new ApiError('VALIDATION_FAILED', 'The body must be JSON.')
      })
      const parsed = campaignCreateSchema.safeParse(body)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        const where = issue?.path.length ? `${formatIssuePath(issue.path)}: ` : ''
        const message =
          issue?.code === 'unrecognized_keys'
            ? `${where}unknown field(s): ${issue.keys.join(', ')}`
            : `${where}${issue?.message ?? 'invalid campaign'}`
        throw new ApiError('VALIDATION_FAILED', message)
      }
      const actor = { actor: c.get('principal').staffId, address: deps.clientAddress(c) }
      return c.json(await campaigns.create(actor, parsed.data, c.get('idempotency')), 201)
    })
    .get('/campaigns', validate('query', listCursorQuerySchema), async (c) =>
      c.json(await campaigns.list(c.req.valid('query').cursor), 200),
    )
    .post('/campaigns/test', validate('json', messagesBodySchema), async (c) =>
      c.json(await tools.testSend(who(c), c.req.valid('json').messages), 200),
    )
    .get(CAMPAIGN, async (c) => c.json(await campaigns.get(id(c)), 200))
    .post(`${CAMPAIGN}/cancel`, async (c) => c.json(await campaigns.cancel(who(c), id(c)), 200))
    .get(`${CAMPAIGN}/insight`, async (c) => c.json(await tools.insight(id(c)), 200))
    .post('/messages/validate', validate('json', messagesBodySchema), async (c) =>
      c.json(await tools.validate(c.req.valid('json').messages), 200),
    )
    .get('/test-recipients', async (c) => c.json(await tools.testRecipients(), 200))
    .post('/test-recipients', validate('json', testRecipientCreateSchema), async (c) =>
      c.json(await tools.addTestRecipient(who(c), c.req.valid('json')), 201),
    )
    .delete('/test-recipients/:lineUserId{U[0-9a-f]{32}}', async (c) => {
      await tools.removeTestRecipient(who(c), c.req.param('lineUserId'))
      return c.body(null, 204)
    })
    .get('/quota', async (c) => c.json(await tools.quota(), 200))
    .get('/messaging-settings', async (c) => c.json(await tools.settings(), 200))
    .put('/messaging-settings', validate('json', messagingSettingsSchema), async (c) =>
      c.json(await tools.putSettings(who(c), c.req.valid('json')), 200),
    )
}
