import type { Clock } from '../clock.ts'
import type { Database } from '../db/seam.ts'
import type { Logger } from '../logger.ts'
import { messagingSettings } from '../repositories/messaging-settings.ts'
import { runExclusive } from './jobs.ts'
import type { Marketing } from './marketing.ts'

/** How often the server looks for due campaigns and automations. */
export const MARKETING_TICK_MS = 60_000

/** The Asia/Tokyo hour (0–23) of an instant. */
export const tokyoHour = (at: number) => new Date(at + 9 * 3_600_000).getUTCHours()

/**
 * One tick: starts the scheduled campaigns whose time has come, and, from the configured
 * Asia/Tokyo hour on, the automations not yet run today. Under a lease, so one instance at a
 * time does it (and each start and each day's run is taken once anyway).
 */
export async function marketingTick(deps: {
  db: Database
  clock: Clock
  logger: Logger
  marketing: Pick<Marketing, 'campaigns' | 'automations'>
}): Promise<void> {
  await runExclusive(
    deps.db,
    'marketing-scheduler',
    MARKETING_TICK_MS - 5_000,
    async () => {
      const started = await deps.marketing.campaigns.startDue()
      if (started > 0) deps.logger.info('scheduled campaigns started', { count: started })
      const { automationHour } = await messagingSettings.get(deps.db)
      if (tokyoHour(deps.clock.now()) < automationHour) return
      for (const r of await deps.marketing.automations.runDue()) {
        if (r.ran) deps.logger.info('automation ran', { ...r })
      }
    },
    { clock: deps.clock },
  )
}

/** Ticks every minute inside the server (timers do not keep the process alive); stop function. */
export function startMarketingJobs(deps: Parameters<typeof marketingTick>[0]): () => void {
  const tick = () =>
    marketingTick(deps).catch((err: unknown) => {
      deps.logger.error('marketing scheduler failed', {
        error: err instanceof Error ? err.message.slice(0, 200) : String(err),
      })
    })
  const first = setTimeout(tick, 5_000)
  const timer = setInterval(tick, MARKETING_TICK_MS)
  first.unref?.()
  timer.unref?.()
  return () => {
    clearTimeout(first)
    clearInterval(timer)
  }
}
