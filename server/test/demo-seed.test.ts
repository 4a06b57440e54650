import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { fakeClock } from '../src/clock.ts'
import {
  currentDemoCards,
  DEMO_ADMIN,
  DEMO_CARDS,
  DEMO_STAFF,
  ensureDemoAdmin,
  seedDemo,
} from '../src/demo.ts'
import { loadSecrets } from '../src/secrets.ts'
import { createDailyStats } from '../src/services/daily-stats.ts'
import { verifyPin } from '../src/services/pin.ts'
import { createStaffService } from '../src/services/staff.ts'
import { openTestDatabase } from './support.ts'

describe('seedDemo', () => {
  it('seeds the demo cards (balance = ledger) and staff into an empty database, and only once', async () => {
    const db = await openTestDatabase()
    const secrets = loadSecrets(':memory:')
    const clock = fakeClock()
    const staff = createStaffService({ db, clock })
    expect(await seedDemo(db, secrets, staff, clock.now(), createDailyStats('Asia/Tokyo'))).toBe(
      true,
    )
    const cards = await db.execute<{
      id: number
      cardNumber: string
      pinHash: string
      points: number
      source: string
      ledger: number
    }>(
      sql`SELECT c.id, c.card_number AS "cardNumber", c.pin_hash AS "pinHash", c.points, c.source,
          (SELECT CAST(coalesce(sum(l.points), 0) AS BIGINT) FROM ledger l WHERE l.card_id = c.id)
            AS ledger
        FROM point_cards c ORDER BY c.id`,
    )
    expect(cards.map((c) => [c.cardNumber, c.points, Number(c.ledger), c.source])).toEqual(
      DEMO_CARDS.map((d) => [d.cardNumber, d.points, d.points, 'demo']),
    )
    DEMO_CARDS.forEach((d, i) => {
      expect(verifyPin(secrets.pinHashKey, d.cardNumber, d.pin, cards[i]?.pinHash ?? '')).toBe(true)
    })
    for (const s of DEMO_STAFF) {
      await expect(staff.login(s.staffId, s.password, '127.0.0.1')).resolves.toMatchObject({
        token: expect.any(String),
      })
    }
    // The demo admin signs in to the console's roles, with no store and no TOTP.
    await expect(
      staff.login(DEMO_ADMIN.staffId, DEMO_ADMIN.password, '127.0.0.1', {
        kind: 'console',
        roles: ['operator', 'admin'],
      }),
    ).resolves.toMatchObject({ role: 'admin', storeCode: null, totpEnrolled: false })
    expect(await ensureDemoAdmin(staff)).toBe(false)
    // A database that has cards is left alone.
    expect(await seedDemo(db, secrets, staff, clock.now(), createDailyStats('Asia/Tokyo'))).toBe(
      false,
    )
    const [count] = await db.execute<{ n: number }>(sql`SELECT count(*) AS n FROM point_cards`)
    expect(Number(count?.n)).toBe(DEMO_CARDS.length)
  })
})

describe('currentDemoCards (the start-up banner)', () => {
  it('shows the stored values after a restart, not the seed’s', async () => {
    const db = await openTestDatabase()
    const secrets = loadSecrets(':memory:')
    const clock = fakeClock()
    await seedDemo(
      db,
      secrets,
      createStaffService({ db, clock }),
      clock.now(),
      createDailyStats('Asia/Tokyo'),
    )
    const first = DEMO_CARDS[0]
    if (!first) throw new Error('no demo card')
    const rank = first.rank === 'gold' ? 'silver' : 'gold'
    await db.execute(
      sql`UPDATE point_cards SET points = points + 77, rank = ${rank} WHERE card_number = ${first.cardNumber}`,
    )
    // A restart: the seed is not applied again; the banner reads the database.
    expect(
      await seedDemo(
        db,
        secrets,
        createStaffService({ db, clock }),
        clock.now(),
        createDailyStats('Asia/Tokyo'),
      ),
    ).toBe(false)
    const now = await currentDemoCards(db)
    expect(now).toHaveLength(DEMO_CARDS.length)
    expect(now[0]).toMatchObject({
      cardNumber: first.cardNumber,
      rank,
      points: first.points + 77,
    })
  })
})
