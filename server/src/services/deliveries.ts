import type { Executor } from '../db/seam.ts'
import type { DeliveryOwner, OnSettled, Outbox } from '../line/outbox.ts'
import { retryKeyFor } from '../line/outbox.ts'
import { automations } from '../repositories/automations.ts'
import { campaigns } from '../repositories/campaigns.ts'
import { promoSends } from '../repositories/promo-sends.ts'

/** LINE's most user IDs per multicast. */
export const MULTICAST_MAX = 500

/** The dedupe key of batch `n` of a delivery (its `X-Line-Retry-Key` is derived from it). */
export const batchKey = (prefix: string, n: number) => `${prefix}:batch:${n}`

/** The retry keys of a delivery's batches 0 … batches − 1. */
export function batchRetryKeys(prefix: string, batches: number): string[] {
  return Array.from({ length: batches }, (_, n) => retryKeyFor(batchKey(prefix, n)))
}

/** The delivery key prefix of a campaign (and its promotions' source). */
export const campaignSource = (id: number) => `campaign:${id}`

/**
 * Queues, in `tx`, multicasts of `messages` to `users` in batches of ≤ 500, in order. Batch n's
 * retry key is derived from `prefix` and n, so the same batch always carries the same
 * `X-Line-Retry-Key` (a crash and a retry resend it; LINE answers 409 to a repeat), and a
 * batch queued twice is one row. Returns how many batches there are.
 */
export async function queueMulticasts(
  tx: Executor,
  outbox: Outbox,
  d: {
    prefix: string
    owner: DeliveryOwner
    users: readonly string[]
    messages: unknown[]
    unit?: string
    at: number
  },
): Promise<number> {
  let n = 0
  for (let i = 0; i < d.users.length; i += MULTICAST_MAX, n++) {
    await outbox.enqueue(
      tx,
      'multicast',
      {
        to: d.users.slice(i, i + MULTICAST_MAX),
        messages: d.messages,
        ...(d.unit ? { customAggregationUnits: [d.unit] } : {}),
        owner: d.owner,
      },
      { userId: null, dedupeKey: batchKey(d.prefix, n), at: d.at },
    )
  }
  return n
}

/**
 * The outbox worker's hook (line/outbox.ts `onSettled`): a multicast batch that ended moves its
 * campaign's or automation run's counters, in the transaction that records it. A batch
 * skipped because its campaign was cancelled counts neither as sent nor as failed, and its
 * members' promotion records are forgotten (they got nothing).
 */
export function settleDelivery(now: () => number): OnSettled {
  return async (tx, row, outcome) => {
    if (row.kind !== 'multicast') return
    const p = JSON.parse(row.payload) as { to: string[]; owner: DeliveryOwner }
    const n = p.to.length
    const at = now()
    if ('campaignId' in p.owner) {
      const id = p.owner.campaignId
      const cancelled = outcome === 'skipped' && (await campaigns.status(tx, id)) === 'cancelled'
      if (cancelled) await promoSends.forget(tx, campaignSource(id), p.to)
      await campaigns.settle(tx, {
        id,
        sent: outcome === 'sent' ? n : 0,
        failed: outcome === 'sent' || cancelled ? 0 : n,
        batches: 1,
        at,
      })
    } else {
      await automations.settle(tx, {
        id: p.owner.automationRunId,
        sent: outcome === 'sent' ? n : 0,
        failed: outcome === 'sent' ? 0 : n,
        at,
      })
    }
  }
}
