import { type automationPutSchema, type LineMessage, lineMessagesSchema } from '@membercard/shared'
import type { z } from 'zod'
import type { Clock } from '../clock.ts'
import type { Database, Executor } from '../db/seam.ts'
import { DomainError, NotFound } from '../domain/errors.ts'
import type { Outbox } from '../line/outbox.ts'
import { type Candidate, tokyoDate } from '../repositories/automation-candidates.ts'
import { type AutomationRunRow, automations } from '../repositories/automations.ts'
import { coupons as couponRows } from '../repositories/coupons.ts'
import { tokyoDay } from '../repositories/member-facts.ts'
import type { AuditActor, AuditService } from './audit.ts'
import { AUTOMATION_KINDS, type DueContext, isAutomationKind } from './automation-kinds.ts'
import type { CouponsService } from './coupons.ts'
import { queueMulticasts } from './deliveries.ts'
import { admitPromotions, excludedTotal } from './promotions.ts'

/** An automation as the API answers it. */
export interface Automation {
  kind: string
  enabled: boolean
  messages: LineMessage[]
  params: Record<string, unknown>
  lastRun: RunItem | null
}

/** A run as the API answers it. */
export interface RunItem {
  id: number
  kind: string
  runDate: string
  startedAt: string
  finishedAt: string | null
  targeted: number
  sent: number
  excluded: number
  failed: number
}

/** What one kind's run did (or would do, in a dry run). */
export interface RunOutcome {
  kind: string
  /** False when the day's run of this kind had been taken before (or the kind is off). */
  ran: boolean
  reason?: string
  targeted: number
  queued: number
  excluded: number
}

const runItem = (r: AutomationRunRow): RunItem => ({
  id: r.id,
  kind: r.kind,
  runDate: r.runDate,
  startedAt: new Date(r.startedAt).toISOString(),
  finishedAt: r.finishedAt === null ? null : new Date(r.finishedAt).toISOString(),
  targeted: r.targeted,
  sent: r.sent,
  excluded: r.excluded,
  failed: r.failed,
})

class InvalidAutomation extends DomainError {
  constructor(message: string) {
    super('VALIDATION_FAILED', message)
  }
}

export interface AutomationsDeps {
  db: Database
  clock: Clock
  outbox: Outbox
  kick: () => void
  audit: AuditService
  expiryDays: number
  /** Issues `params.couponId` to each member a run messages. */
  coupons: Pick<CouponsService, 'issueToCard'>
}

const PAGE = 50

/**
 * Automated messages (docs/segments.md): birthday, pointsExpiring, winBack, couponExpiring,
 * each configured
 * in the console and run daily. A kind's run on an Asia/Tokyo date is taken once (a unique
 * key, in the transaction that queues its messages: two instances at once, or the command
 * and a server, run it once); each member gets an occurrence (a birthday year, an expiry
 * date, a lapse, a member coupon) at most once, through the promotions gate (opt-out, blocked,
 * cap). With `params.couponId`, each member messaged is issued that coupon in the same run.
 */
export function createAutomations(deps: AutomationsDeps) {
  const { db, clock, audit } = deps

  async function configs(ex: Executor) {
    const stored = new Map((await automations.configs(ex)).map((r) => [r.kind, r]))
    return Object.entries(AUTOMATION_KINDS).map(([kind, k]) => {
      const r = stored.get(kind)
      return {
        kind,
        enabled: r ? Number(r.enabled) === 1 : false,
        messages: r ? (JSON.parse(r.messages) as LineMessage[]) : [],
        params: r ? (JSON.parse(r.params) as Record<string, unknown>) : { ...k.defaults },
      }
    })
  }

  function dueContext(now: number): DueContext {
    const [year, month] = tokyoDate(now).split('-').map(Number) as [number, number]
    return { now, today: tokyoDay(now), year, month, expiryDays: deps.expiryDays }
  }

  /** Candidates not messaged for their occurrence before, one per LINE user. */
  async function dueFor(
    ex: Executor,
    kind: string,
    params: Record<string, unknown>,
    x: DueContext,
  ): Promise<Candidate[]> {
    const all = (await AUTOMATION_KINDS[kind]?.candidates(ex, params, x)) ?? []
    const out: Candidate[] = []
    const users = new Set<string>()
    for (let i = 0; i < all.length; i += 500) {
      const chunk = all.slice(i, i + 500)
      const before = await automations.sentBefore(
        ex,
        kind,
        chunk.map((c) => c.cardId),
      )
      for (const c of chunk) {
        if (before.has(`${c.cardId}:${c.occurrence}`) || users.has(c.lineUserId)) continue
        users.add(c.lineUserId)
        out.push(c)
      }
    }
    return out
  }

  /** Runs one configured kind for today, in one transaction. */
  async function runKind(
    config: Awaited<ReturnType<typeof configs>>[number],
    now: number,
  ): Promise<RunOutcome> {
    const base = { kind: config.kind, targeted: 0, queued: 0, excluded: 0 }
    if (!config.enabled || config.messages.length === 0) {
      return { ...base, ran: false, reason: 'off' }
    }
    const x = dueContext(now)
    const runDate = tokyoDate(now)
    return db.transaction(async (tx) => {
      const runId = await automations.startRun(tx, { kind: config.kind, runDate, at: now })
      if (runId === undefined) return { ...base, ran: false, reason: 'already ran today' }
      const due = await dueFor(tx, config.kind, config.params, x)
      const admission = await admitPromotions(tx, {
        users: due.map((c) => c.lineUserId),
        source: `automation:${config.kind}:${runDate}`,
        now,
      })
      const admitted = new Set(admission.admitted)
      const sends = due.filter((c) => admitted.has(c.lineUserId))
      for (let i = 0; i < sends.length; i += 500) {
        await automations.recordSends(tx, config.kind, sends.slice(i, i + 500), now)
      }
      await AUTOMATION_KINDS[config.kind]?.onSent?.(tx, sends, now)
      const couponId = config.params.couponId
      if (typeof couponId === 'number') {
        // Each member messaged gets the coupon with the message (a usable copy held: none).
        for (const c of sends)
          await deps.coupons.issueToCard(tx, couponId, c.cardId, 'automation', now)
      }
      const batches = await queueMulticasts(tx, deps.outbox, {
        prefix: `automation-run:${runId}`,
        owner: { automationRunId: runId },
        users: admission.admitted,
        messages: config.messages,
        unit: `automation_${config.kind}`.slice(0, 30),
        at: now,
      })
      const excluded = excludedTotal(admission.excluded)
      await automations.setQueued(tx, {
        id: runId,
        targeted: due.length,
        excluded,
        batches,
        at: now,
      })
      if (batches > 0) tx.afterCommit(deps.kick)
      return {
        ...base,
        ran: true,
        targeted: due.length,
        queued: admission.admitted.length,
        excluded,
      }
    })
  }

  return {
    async list(): Promise<{ items: Automation[] }> {
      const last = new Map((await automations.lastRuns(db)).map((r) => [r.kind, runItem(r)]))
      const items = (await configs(db)).map((c) => ({ ...c, lastRun: last.get(c.kind) ?? null }))
      return { items }
    },

    /** Configures a kind: params checked by its schema; enabled needs 1–5 messages. */
    async put(
      who: AuditActor,
      kind: string,
      body: z.infer<typeof automationPutSchema>,
    ): Promise<Automation> {
      if (!isAutomationKind(kind)) throw new NotFound(`No automation is called "${kind}".`)
      const k = AUTOMATION_KINDS[kind] as (typeof AUTOMATION_KINDS)[string]
      const params = k.params.safeParse(body.params)
      if (!params.success) {
        const issue = params.error.issues[0]
        const where = issue?.path.length ? `params.${issue.path.join('.')}: ` : 'params: '
        throw new InvalidAutomation(
          issue?.code === 'unrecognized_keys'
            ? `${where}unknown field(s): ${issue.keys.join(', ')}`
            : `${where}${issue?.message ?? 'invalid'}`,
        )
      }
      if (body.enabled && !lineMessagesSchema.safeParse(body.messages).success) {
        throw new InvalidAutomation('messages: an enabled automation needs 1 to 5 messages')
      }
      const couponId = params.data.couponId
      if (typeof couponId === 'number') {
        const c = await couponRows.byId(db, couponId)
        if (!c) throw new InvalidAutomation(`params.couponId: no coupon ${couponId}`)
        if (c.endedAt !== null || clock.now() >= Number(c.endsAt)) {
          throw new InvalidAutomation(`params.couponId: coupon ${couponId} has ended`)
        }
      }
      await db.transaction(async (tx) => {
        await automations.put(tx, {
          kind,
          enabled: body.enabled ? 1 : 0,
          messages: JSON.stringify(body.messages),
          params: JSON.stringify(params.data),
          at: clock.now(),
        })
        await audit.record(tx, {
          ...who,
          action: 'automation.update',
          target: `automation:${kind}`,
          detail: { enabled: body.enabled, params: params.data },
        })
      })
      const item = (await this.list()).items.find((a) => a.kind === kind)
      if (!item) throw new NotFound(`No automation is called "${kind}".`)
      return item
    },

    async runs(cursor?: string): Promise<{ items: RunItem[]; nextCursor: string | null }> {
      const before = cursor ? Number(cursor) : Number.MAX_SAFE_INTEGER
      const rows = await automations.runsPage(db, before, PAGE + 1)
      const items = rows.slice(0, PAGE).map(runItem)
      const last = items.at(-1)
      return { items, nextCursor: rows.length > PAGE && last ? String(last.id) : null }
    },

    /**
     * Runs every enabled kind that has not run today (Asia/Tokyo): idempotent, on any number of
     * instances at once. Resolves with what each kind did.
     */
    async runDue(): Promise<RunOutcome[]> {
      const now = clock.now()
      const out: RunOutcome[] = []
      for (const config of await configs(db)) out.push(await runKind(config, now))
      return out
    },
  }
}

export type AutomationsService = ReturnType<typeof createAutomations>
