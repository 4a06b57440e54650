import { HTTPFetchError } from '@line/bot-sdk'
import type { LineMessage, MessagingSettings } from '@membercard/shared'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import { NotFound } from '../domain/errors.ts'
import { LineUnavailable, MessagesInvalid } from '../domain/marketing-errors.ts'
import type { MessagingClient } from '../line/messaging-client.ts'
import type { Outbox } from '../line/outbox.ts'
import { campaigns } from '../repositories/campaigns.ts'
import { messagingSettings } from '../repositories/messaging-settings.ts'
import { testRecipients } from '../repositories/test-recipients.ts'
import type { AuditActor, AuditService } from './audit.ts'
import { readQuota } from './quota.ts'

const DAY_MS = 86_400_000

/** `yyyyMMdd` of an instant in Asia/Tokyo (LINE's statistics dates). */
function tokyoYmd(at: number): string {
  return new Date(at + 9 * 3_600_000).toISOString().slice(0, 10).replace(/-/g, '')
}

/** LINE's explanation of a 400 from the validation endpoint, in one line. */
function explanation(body: string): string {
  try {
    const b = JSON.parse(body) as {
      message?: string
      details?: { message?: string; property?: string }[]
    }
    const details = (b.details ?? []).map((d) => `${d.property ?? ''}: ${d.message ?? ''}`)
    return [b.message ?? 'invalid', ...details].join('; ').slice(0, 500)
  } catch {
    return body.slice(0, 200)
  }
}

export interface CampaignToolsDeps {
  db: Database
  clock: Clock
  client: MessagingClient
  outbox: Outbox
  kick: () => void
  audit: AuditService
}

/**
 * What the console needs around campaigns: LINE's validation of message objects, the test
 * recipients and the test send, the quota, the unit statistics, and the messaging settings
 * (frequency cap, automation hour).
 */
export function createCampaignTools(deps: CampaignToolsDeps) {
  const { db, clock, client, audit } = deps
  return {
    /** Checks the messages with LINE (`POST /v2/bot/message/validate/multicast`). */
    async validate(messages: LineMessage[]): Promise<{ valid: true }> {
      if (!client.enabled) return { valid: true }
      try {
        await client.api().validateMulticast({ messages: messages as never })
      } catch (err) {
        if (err instanceof HTTPFetchError && err.status === 400) {
          throw new MessagesInvalid(explanation(err.body))
        }
        throw new LineUnavailable('message validation')
      }
      return { valid: true }
    },

    quota: () => readQuota(client),

    /** LINE's unit statistics of a campaign (null below 20 people, as LINE answers). */
    async insight(id: number) {
      const row = await campaigns.byId(db, id)
      if (!row) throw new NotFound('No campaign has this ID.')
      const base = { aggregationUnit: row.aggregationUnit }
      if (row.startedAt === null || !client.enabled) {
        return {
          ...base,
          uniqueImpression: null,
          uniqueClick: null,
          note: 'Not sent yet: statistics appear once the campaign has been sent.',
        }
      }
      const from = row.startedAt
      const to = Math.min(clock.now(), from + 29 * DAY_MS)
      let overview: { uniqueImpression?: number | null; uniqueClick?: number | null }
      try {
        const stats = await client
          .insight()
          .getStatisticsPerUnit(row.aggregationUnit, tokyoYmd(from), tokyoYmd(to))
        overview = stats.overview ?? {}
      } catch {
        throw new LineUnavailable('unit statistics')
      }
      const uniqueImpression = overview.uniqueImpression ?? null
      const uniqueClick = overview.uniqueClick ?? null
      return {
        ...base,
        uniqueImpression,
        uniqueClick,
        note:
          uniqueImpression === null || uniqueClick === null
            ? 'LINE reports these figures only once at least 20 people have opened or tapped (null below 20).'
            : "LINE's unit statistics (unique people), from the first day of sending for up to 30 days.",
      }
    },

    testRecipients: async () => ({ items: await testRecipients.list(db) }),

    async addTestRecipient(who: AuditActor, r: { lineUserId: string; label: string }) {
      await db.transaction(async (tx) => {
        await testRecipients.upsert(tx, { ...r, at: clock.now() })
        await audit.record(tx, { ...who, action: 'test_recipient.add', target: r.lineUserId })
      })
      return r
    },

    async removeTestRecipient(who: AuditActor, lineUserId: string) {
      await db.transaction(async (tx) => {
        if (!(await testRecipients.remove(tx, lineUserId))) {
          throw new NotFound('No test recipient has this LINE user ID.')
        }
        await audit.record(tx, { ...who, action: 'test_recipient.remove', target: lineUserId })
      })
    },

    /** Pushes the messages to every test recipient (not a promotion: the cap is not touched). */
    async testSend(who: AuditActor, messages: LineMessage[]): Promise<{ sentTo: number }> {
      return db.transaction(async (tx) => {
        const recipients = await testRecipients.list(tx)
        for (const r of recipients) {
          await deps.outbox.enqueue(
            tx,
            'push',
            { to: r.lineUserId, messages },
            { userId: r.lineUserId },
          )
        }
        await audit.record(tx, {
          ...who,
          action: 'campaign.test_send',
          detail: { recipients: recipients.length },
        })
        if (recipients.length > 0) tx.afterCommit(deps.kick)
        return { sentTo: recipients.length }
      })
    },

    async settings(): Promise<MessagingSettings> {
      const s = await messagingSettings.get(db)
      return {
        frequencyCap: { messages: s.capMessages, days: s.capDays },
        automationHour: s.automationHour,
      }
    },

    async putSettings(who: AuditActor, s: MessagingSettings): Promise<MessagingSettings> {
      await db.transaction(async (tx) => {
        await messagingSettings.put(
          tx,
          {
            capMessages: s.frequencyCap.messages,
            capDays: s.frequencyCap.days,
            automationHour: s.automationHour,
          },
          clock.now(),
        )
        await audit.record(tx, { ...who, action: 'messaging_settings.update', detail: s })
      })
      return s
    },
  }
}

export type CampaignTools = ReturnType<typeof createCampaignTools>
