import { luhnCheckDigit } from '@membercard/shared'
import type { Database } from './db/seam.ts'
import { cards } from './repositories/cards.ts'
import type { Secrets } from './secrets.ts'
import type { DailyStats } from './services/daily-stats.ts'
import { appendToLedger } from './services/ledger.ts'
import { hashPin } from './services/pin.ts'
import type { StaffService } from './services/staff.ts'

/** The demo cards (number, PIN) seeded into an empty database in demo mode. */
export const DEMO_CARDS = [
  {
    body: '490000000000001',
    pin: '1234',
    name: '山田 花子',
    rank: 'gold',
    points: 1200,
    birthDate: '1990-04-12',
  },
  {
    body: '490000000000002',
    pin: '2345',
    name: '佐藤 一郎',
    rank: 'silver',
    points: 350,
    birthDate: '1985-11-03',
  },
  {
    body: '490000000000003',
    pin: '3456',
    name: 'Jane Smith',
    rank: 'regular',
    points: 0,
    birthDate: null,
  },
].map((c) => ({ ...c, cardNumber: c.body + luhnCheckDigit(c.body) }))

/** The demo staff logins. */
export const DEMO_STAFF = [
  { staffId: 'demo-clerk', password: 'demo-clerk-pass', role: 'clerk' as const },
  { staffId: 'demo-manager', password: 'demo-manager-pass', role: 'manager' as const },
]
export const DEMO_STORE = { code: 'S001', name: 'デモストア 渋谷店' }

/**
 * The demo head-office admin: signs in to the console at `/admin` (no TOTP enrolled; the
 * console asks to enroll one).
 */
export const DEMO_ADMIN = {
  staffId: 'demo-admin',
  password: 'demo-admin-pass',
  role: 'admin' as const,
}

/**
 * Creates the demo admin when it does not exist (also in a demo database seeded before the
 * console existed); true when it did.
 */
export async function ensureDemoAdmin(staff: StaffService): Promise<boolean> {
  const plan = await staff.plan({ staffId: DEMO_ADMIN.staffId, role: DEMO_ADMIN.role })
  if (!plan.created) return false
  await staff.upsert({ ...DEMO_ADMIN })
  return true
}

/** Seeds demo cards and staff when the database has no cards; true when it did. */
export async function seedDemo(
  db: Database,
  secrets: Secrets,
  staff: StaffService,
  now: number,
  stats: DailyStats,
): Promise<boolean> {
  if (await cards.any(db)) return false
  await db.transaction(async (tx) => {
    await stats.cardsCreated(tx, DEMO_CARDS.length, 0, now)
    for (const c of DEMO_CARDS) {
      const cardId = await cards.insertSeeded(tx, {
        cardNumber: c.cardNumber,
        pinHash: hashPin(secrets.pinHashKey, c.cardNumber, c.pin),
        name: c.name,
        rank: c.rank,
        birthDate: c.birthDate,
        at: now,
      })
      // The balance comes through the ledger, so the two agree from the start.
      if (c.points > 0) {
        await appendToLedger(tx, stats, {
          cardId,
          type: 'import',
          points: c.points,
          note: 'demo',
          at: now,
        })
      }
    }
  })
  for (const s of DEMO_STAFF) {
    await staff.upsert({ ...s, storeCode: DEMO_STORE.code, storeName: DEMO_STORE.name })
  }
  await ensureDemoAdmin(staff)
  return true
}

/** A demo card as the banner shows it: its number, PIN, and the stored name, rank and points. */
export interface DemoCardNow {
  cardNumber: string
  pin: string
  name: string
  rank: string
  points: number
}

/**
 * The demo cards with their values as stored now (after a restart the database has moved on
 * from the seed: points awarded, ranks imported), so the start-up banner does not show stale
 * ones. A card that is gone is left out.
 */
export async function currentDemoCards(db: Database): Promise<DemoCardNow[]> {
  const out: DemoCardNow[] = []
  for (const c of DEMO_CARDS) {
    const row = await cards.byNumber(db, c.cardNumber)
    if (row) {
      out.push({
        cardNumber: c.cardNumber,
        pin: c.pin,
        name: row.name,
        rank: row.rank,
        points: row.points,
      })
    }
  }
  return out
}
