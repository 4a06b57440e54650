import { sql } from 'drizzle-orm'
import { type Executor, query } from '../db/seam.ts'

/** The console's messaging settings. */
export interface MessagingSettingsRow {
  capMessages: number
  capDays: number
  automationHour: number
}

/** What applies while nobody has changed the settings. */
export const DEFAULT_MESSAGING_SETTINGS: MessagingSettingsRow = {
  capMessages: 2,
  capDays: 7,
  automationHour: 10,
}

const get = query<Record<string, never>, MessagingSettingsRow>(
  () => sql`SELECT cap_messages AS "capMessages", cap_days AS "capDays",
      automation_hour AS "automationHour"
    FROM messaging_settings WHERE id = 1`,
)
const put = query<MessagingSettingsRow & { at: number }>(
  (
    p,
  ) => sql`INSERT INTO messaging_settings (id, cap_messages, cap_days, automation_hour, updated_at)
    VALUES (1, ${p.capMessages}, ${p.capDays}, ${p.automationHour}, ${p.at})
    ON CONFLICT (id) DO UPDATE SET cap_messages = excluded.cap_messages,
      cap_days = excluded.cap_days, automation_hour = excluded.automation_hour,
      updated_at = excluded.updated_at`,
)

/** The frequency cap and the automation hour (one row; none = the defaults). */
export const messagingSettings = {
  async get(db: Executor): Promise<MessagingSettingsRow> {
    const row = await db.get(get, {})
    if (!row) return { ...DEFAULT_MESSAGING_SETTINGS }
    return {
      capMessages: Number(row.capMessages),
      capDays: Number(row.capDays),
      automationHour: Number(row.automationHour),
    }
  },
  put: (db: Executor, s: MessagingSettingsRow, at: number) => db.run(put, { ...s, at }),
}
