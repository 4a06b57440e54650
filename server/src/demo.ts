import { luhnCheckDigit } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import type { Db } from './db/client.ts'
import { pointCards } from './db/schema.ts'
import type { Secrets } from './secrets.ts'
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

/** Seeds demo cards and staff when the database has no cards; returns what to print. */
export async function seedDemo(
  db: Db,
  secrets: Secrets,
  staff: StaffService,
  now: number,
): Promise<boolean> {
  const count = db.select({ n: sql<number>`count(*)` }).from(pointCards).get()?.n ?? 0
  if (count > 0) return false
  const sqlite = db.$client
  sqlite.transaction(() => {
    for (const c of DEMO_CARDS) {
      const card = db
        .insert(pointCards)
        .values({
          cardNumber: c.cardNumber,
          pinHash: hashPin(secrets.pinHashKey, c.cardNumber, c.pin),
          name: c.name,
          rank: c.rank,
          birthDate: c.birthDate,
          points: c.points,
          source: 'demo',
          lastActivityAt: now,
          createdAt: now,
          updatedAt: now,
        })
        .returning({ id: pointCards.id })
        .get()
      if (c.points > 0) {
        sqlite
          .prepare(
            `INSERT INTO ledger (card_id, type, points, balance_after, note, created_at) VALUES (?, 'import', ?, ?, 'demo', ?)`,
          )
          .run(card.id, c.points, c.points, now)
      }
    }
  })()
  for (const s of DEMO_STAFF) {
    await staff.upsert({ ...s, storeCode: DEMO_STORE.code, storeName: DEMO_STORE.name })
  }
  return true
}
