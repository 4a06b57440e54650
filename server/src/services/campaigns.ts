import { randomBytes } from 'node:crypto'
import type { CampaignCreate, Segment } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database, Executor, Tx } from '../db/seam.ts'
import { NotFound } from '../domain/errors.ts'
import { CampaignFinished, QuotaExceeded } from '../domain/marketing-errors.ts'
import type { MessagingClient } from '../line/messaging-client.ts'
import { CLAIM_LEASE_MS, type Outbox } from '../line/outbox.ts'
import type { Logger } from '../logger.ts'
import { type CampaignRow, campaigns } from '../repositories/campaigns.ts'
import { tokyoDay } from '../repositories/member-facts.ts'
import { outbox as outboxRows } from '../repositories/outbox.ts'
import { promoSends } from '../repositories/promo-sends.ts'
import { type SegmentContext, segmentMembers } from '../repositories/segments.ts'
import type { AuditActor, AuditService } from './audit.ts'
import { batchRetryKeys, campaignSource, queueMulticasts } from './deliveries.ts'
import type { IdempotencyClaim } from './idempotency.ts'
import { admitPromotions, excludedTotal } from './promotions.ts'
import { type Quota, readQuota } from './quota.ts'

/** A campaign as the API answers it. */
export interface Campaign {
  id: number
  name: string
  status: CampaignRow['status']
  recipients: number
  sent: number
  failed: number
  excluded: number
  excludedBy: { optedOut: number; blocked: number; frequencyCap: number }
  segment: Segment
  messages: unknown[]
  scheduledAt: string | null
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  aggregationUnit: string
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString())

export function campaignOf(r: CampaignRow): Campaign {
  const excludedBy = {
    optedOut: r.excludedOptedOut,
    blocked: r.excludedBlocked,
    frequencyCap: r.excludedCap,
  }
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    recipients: r.recipients,
    sent: r.sent,
    failed: r.failed,
    excluded: excludedTotal(excludedBy),
    excludedBy,
    segment: JSON.parse(r.segment) as Segment,
    messages: JSON.parse(r.messages) as unknown[],
    scheduledAt: iso(r.scheduledAt),
    createdAt: iso(r.createdAt) as string,
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    aggregationUnit: r.aggregationUnit,
  }
}

export interface CampaignsDeps {
  db: Database
  clock: Clock
  logger: Logger
  client: MessagingClient
  outbox: Outbox
  /** Runs the outbox worker soon (after a commit). */
  kick: () => void
  audit: AuditService
  /** Days without activity after which a balance expires (segments' `pointsExpiring…`). */
  expiryDays: number
}

const PAGE = 50

/**
 * Campaigns (docs/segments.md): created now or for later, sent through the outbox as
 * multicast batches of ≤ 500 to the segment's members who may receive a promotion (friends,
 * promotions on, under the frequency cap), each member once; refused when the plan's quota
 * cannot cover them; cancellable until the last batch has gone.
 */
export function createCampaigns(deps: CampaignsDeps) {
  const { db, clock, audit } = deps

  const context = (now: number): SegmentContext => ({
    now,
    today: tokyoDay(now),
    expiryDays: deps.expiryDays,
  })

  /** How many of the segment's members a campaign would reach now (nothing recorded). */
  async function reachableNow(ex: Database | Tx, segment: Segment, now: number): Promise<number> {
    const members = await segmentMembers.all(ex, segment, context(now))
    const admission = await admitPromotions(ex, {
      users: members.map((m) => m.lineUserId),
      source: 'quota-check',
      now,
      dryRun: true,
    })
    return admission.admitted.length
  }

  /**
   * Refuses (QUOTA_EXCEEDED) when `reachable` is more than the plan has left this month: what
   * LINE says remains (`quota`, read before), less the messages still queued in the outbox,
   * which LINE has not counted yet.
   */
  async function checkQuota(ex: Executor, quota: Quota, reachable: number): Promise<void> {
    if (quota.remaining === null) return
    const left = Math.max(0, quota.remaining - (await outboxRows.pendingQuotaMessages(ex)))
    if (reachable > left) throw new QuotaExceeded(reachable, left)
  }

  /**
   * Queues, in `tx`, the campaign's batches: its members now, through the promotions gate
   * (recorded for the cap), in multicasts of ≤ 500 with stable retry keys. The quota is checked
   * again here, under the gate's lock, so two campaigns started at once cannot both take the
   * same messages (QUOTA_EXCEEDED rolls the transaction back).
   */
  async function queue(tx: Tx, row: CampaignRow, now: number, quota: Quota): Promise<void> {
    const segment = JSON.parse(row.segment) as Segment
    const members = await segmentMembers.all(tx, segment, context(now))
    const source = campaignSource(row.id)
    const admission = await admitPromotions(tx, {
      users: members.map((m) => m.lineUserId),
      source,
      now,
    })
    await checkQuota(tx, quota, admission.admitted.length)
    const batches = await queueMulticasts(tx, deps.outbox, {
      prefix: source,
      owner: { campaignId: row.id },
      users: admission.admitted,
      messages: JSON.parse(row.messages) as unknown[],
      unit: row.aggregationUnit,
      at: now,
    })
    await campaigns.setQueued(tx, {
      id: row.id,
      recipients: admission.admitted.length,
      optedOut: admission.excluded.optedOut,
      blocked: admission.excluded.blocked,
      cap: admission.excluded.frequencyCap,
      batches,
      at: now,
    })
    if (batches > 0) tx.afterCommit(deps.kick)
  }

  async function byId(ex: Executor, id: number): Promise<CampaignRow> {
    const row = await campaigns.byId(ex, id)
    if (!row) throw new NotFound('No campaign has this ID.')
    return row
  }

  return {
    /**
     * Creates a campaign (Idempotency-Key): sending at once, or at `scheduledAt` when that is
     * later than now. QUOTA_EXCEEDED when the members it would reach now outnumber the
     * messages left this month.
     */
    async create(
      who: AuditActor,
      input: CampaignCreate,
      claim: IdempotencyClaim,
    ): Promise<Campaign> {
      const now = clock.now()
      const scheduledAt = input.scheduledAt ? Date.parse(input.scheduledAt) : null
      const later = scheduledAt !== null && scheduledAt > now
      const quota = await readQuota(deps.client)
      // A campaign sent now is checked where its batches are queued; a scheduled one here, and
      // again when it starts.
      if (later) await checkQuota(db, quota, await reachableNow(db, input.segment, now))
      return db.transaction(async (tx) => {
        await claim.enter(tx)
        const id = await campaigns.insert(tx, {
          name: input.name,
          status: later ? 'scheduled' : 'sending',
          segment: JSON.stringify(input.segment),
          messages: JSON.stringify(input.messages),
          unit: `campaign_${randomBytes(8).toString('hex')}`,
          scheduledAt: later ? scheduledAt : null,
          by: who.actor,
          at: now,
        })
        if (!later) await queue(tx, await byId(tx, id), now, quota)
        const campaign = campaignOf(await byId(tx, id))
        await audit.record(tx, {
          ...who,
          action: 'campaign.create',
          target: `campaign:${id}`,
          detail: { name: input.name, status: campaign.status, recipients: campaign.recipients },
        })
        await claim.complete(tx, 201, campaign)
        return campaign
      })
    },

    async get(id: number): Promise<Campaign> {
      return campaignOf(await byId(db, id))
    },

    /** Newest first, 50 a page; `cursor` is the previous page's `nextCursor`. */
    async list(cursor?: string): Promise<{ items: Campaign[]; nextCursor: string | null }> {
      const before = cursor ? Number(cursor) : Number.MAX_SAFE_INTEGER
      const rows = await campaigns.page(db, before, PAGE + 1)
      const items = rows.slice(0, PAGE).map(campaignOf)
      const last = items.at(-1)
      return { items, nextCursor: rows.length > PAGE && last ? String(last.id) : null }
    },

    /**
     * Cancels a scheduled or sending campaign: batches not yet claimed by a worker are given
     * up at once (their members' promotion records forgotten); a batch being sent right now
     * finishes. 409 when it finished already.
     */
    async cancel(who: AuditActor, id: number): Promise<Campaign> {
      const now = clock.now()
      return db.transaction(async (tx) => {
        const row = await byId(tx, id)
        const previous = await campaigns.cancel(tx, id, now)
        if (!previous) throw new CampaignFinished(row.status)
        if (previous === 'sending') {
          const source = campaignSource(id)
          const stopped = await outboxRows.cancelUnsent(tx, {
            retryKeys: batchRetryKeys(source, row.batches),
            at: now,
            leaseCutoff: now - CLAIM_LEASE_MS,
            error: 'cancelled: the campaign was cancelled',
          })
          for (const s of stopped) {
            const to = (JSON.parse(s.payload) as { to: string[] }).to
            await promoSends.forget(tx, source, to)
          }
          await campaigns.settle(tx, { id, sent: 0, failed: 0, batches: stopped.length, at: now })
        }
        await audit.record(tx, { ...who, action: 'campaign.cancel', target: `campaign:${id}` })
        return campaignOf(await byId(tx, id))
      })
    },

    /**
     * Starts the scheduled campaigns whose time has come; each is started by one caller only
     * (on any instance). One that the quota cannot cover fails with the reason. Returns how
     * many started.
     */
    async startDue(): Promise<number> {
      const now = clock.now()
      let started = 0
      for (const id of await campaigns.due(db, now)) {
        const row = await campaigns.byId(db, id)
        if (!row) continue
        const quota = await readQuota(deps.client)
        let quotaProblem: string | null = null
        try {
          await checkQuota(
            db,
            quota,
            await reachableNow(db, JSON.parse(row.segment) as Segment, now),
          )
          await db.transaction(async (tx) => {
            if (!(await campaigns.claimStart(tx, id, now))) return
            await queue(tx, await byId(tx, id), now, quota)
            started++
          })
        } catch (err) {
          if (!(err instanceof QuotaExceeded)) throw err
          quotaProblem = err.message
        }
        if (quotaProblem !== null) {
          const problem = quotaProblem
          await db.transaction(async (tx) => {
            if (!(await campaigns.claimStart(tx, id, now))) return
            await campaigns.fail(tx, id, now, problem)
            started++
          })
          deps.logger.warn('scheduled campaign refused by the quota', { id })
        }
      }
      return started
    },
  }
}

export type CampaignsService = ReturnType<typeof createCampaigns>
