import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import type { LineMessaging } from '../line/line-service.ts'
import type { Logger } from '../logger.ts'
import type { AuditService } from './audit.ts'
import { createAutomations } from './automations.ts'
import { createCampaignTools } from './campaign-tools.ts'
import { createCampaigns } from './campaigns.ts'
import type { CouponsService } from './coupons.ts'
import { createSavedSegments } from './saved-segments.ts'

export interface MarketingDeps {
  db: Database
  clock: Clock
  logger: Logger
  line: Pick<LineMessaging, 'client' | 'outbox' | 'kickSoon'>
  audit: AuditService
  expiryDays: number
  /** Issues an automation's `params.couponId`. */
  coupons: Pick<CouponsService, 'issueToCard'>
}

/** Segment delivery (docs/segments.md): saved segments, campaigns, their tools, automations. */
export function createMarketing(deps: MarketingDeps) {
  const { db, clock, logger, line, audit } = deps
  const base = { db, clock, client: line.client, outbox: line.outbox, kick: line.kickSoon, audit }
  return {
    savedSegments: createSavedSegments({ db, clock, audit, expiryDays: deps.expiryDays }),
    campaigns: createCampaigns({ ...base, logger, expiryDays: deps.expiryDays }),
    campaignTools: createCampaignTools(base),
    automations: createAutomations({
      ...base,
      expiryDays: deps.expiryDays,
      coupons: deps.coupons,
    }),
  }
}

export type Marketing = ReturnType<typeof createMarketing>
