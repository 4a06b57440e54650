import { LineUnavailable } from '../domain/marketing-errors.ts'
import type { MessagingClient } from '../line/messaging-client.ts'

/** The plan's message quota this month, as the dashboard shows it. */
export interface Quota {
  /** `limited`: a monthly limit; `none`: no limit. */
  type: 'limited' | 'none'
  limit: number | null
  /** Messages sent this month (LINE's consumption). */
  used: number
  /** What is left (`limit − used`, never below 0); null without a limit. */
  remaining: number | null
}

/**
 * Reads the quota (`GET /v2/bot/message/quota`) and this month's consumption
 * (`GET /v2/bot/message/quota/consumption`) from LINE. Without a channel access token nothing
 * is sent at all, so there is no limit to keep to.
 */
export async function readQuota(client: MessagingClient): Promise<Quota> {
  if (!client.enabled) return { type: 'none', limit: null, used: 0, remaining: null }
  try {
    const [quota, consumption] = await Promise.all([
      client.api().getMessageQuota(),
      client.api().getMessageQuotaConsumption(),
    ])
    const used = Number(consumption.totalUsage ?? 0)
    if (quota.type !== 'limited') return { type: 'none', limit: null, used, remaining: null }
    const limit = Number(quota.value ?? 0)
    return { type: 'limited', limit, used, remaining: Math.max(0, limit - used) }
  } catch {
    throw new LineUnavailable('message quota')
  }
}
