import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { jobLeases } from '../src/repositories/job-leases.ts'
import {
  RETENTION,
  runSecurityPurge,
  SECURITY_PURGE_JOB,
  startSecurityPurge,
} from '../src/services/security-purge.ts'
import { createStaffService } from '../src/services/staff.ts'
import { addCard, createTestContext } from './support.ts'

const ctx = await createTestContext()
const { db, clock } = ctx
const DAY = 86_400_000
await createStaffService({ db, clock }).upsert({
  staffId: 'purge-clerk',
  storeCode: 'S001',
  storeName: 'Store',
  password: 'purge-password-1',
})
const card = await addCard(db, ctx.secrets)

/** One row of each kind at `at` (its age column), told apart by `tag`. */
async function seed(tag: string, at: number) {
  await db.execute(sql`INSERT INTO link_attempts (line_user_id, card_key, created_at)
    VALUES (${tag}, ${tag}, ${at})`)
  await db.execute(sql`INSERT INTO login_attempts (staff_id, ip, created_at)
    VALUES (${tag}, ${tag}, ${at})`)
  await db.execute(sql`INSERT INTO staff_known_addresses (staff_id, ip, last_sign_in_at)
    VALUES (${tag}, ${tag}, ${at})`)
  await db.execute(sql`INSERT INTO staff_sessions (token_hash, staff_id, created_at, expires_at)
    VALUES (${tag}, 'purge-clerk', ${at - 12 * 3600_000}, ${at})`)
  await db.execute(sql`INSERT INTO account_link_tokens (token_hash, line_user_id, created_at, expires_at)
    VALUES (${tag}, ${tag}, ${at - 600_000}, ${at})`)
  await db.execute(sql`INSERT INTO account_link_nonces (nonce, card_id, consent_version, created_at, expires_at)
    VALUES (${tag}, ${card.cardId}, 'v', ${at - 600_000}, ${at})`)
}

/** The tags left in each table. */
async function left() {
  const tags = async (q: ReturnType<typeof sql>) =>
    ((await db.execute(q)) as { t: string }[]).map((r) => r.t).sort()
  return {
    linkAttempts: await tags(sql`SELECT line_user_id AS t FROM link_attempts`),
    loginAttempts: await tags(sql`SELECT staff_id AS t FROM login_attempts`),
    knownAddresses: await tags(sql`SELECT staff_id AS t FROM staff_known_addresses`),
    staffSessions: await tags(sql`SELECT token_hash AS t FROM staff_sessions`),
    accountLinkTokens: await tags(sql`SELECT token_hash AS t FROM account_link_tokens`),
    accountLinkNonces: await tags(sql`SELECT nonce AS t FROM account_link_nonces`),
  }
}

describe('the security records purge', () => {
  it('deletes attempts, addresses, sessions, tokens and nonces past their retention, and keeps the rest', async () => {
    const now = clock.now()
    // Just past and just inside each kind's retention, measured from its age column.
    for (const [kind, keep] of Object.entries(RETENTION)) {
      await seed(`old-${kind}`, now - keep - 1)
      await seed(`new-${kind}`, now - keep + 1)
    }
    const purged = await runSecurityPurge(db, now)
    const after = await left()
    for (const [kind, keep] of Object.entries(RETENTION) as [keyof typeof RETENTION, number][]) {
      // A row survives in this table when its age is within this table's retention.
      const expected = Object.entries(RETENTION)
        .flatMap(([k, v]) => [
          { tag: `old-${k}`, age: v + 1 },
          { tag: `new-${k}`, age: v - 1 },
        ])
        .filter((r) => r.age <= keep)
        .map((r) => r.tag)
        .sort()
      expect(after[kind], kind).toEqual(expected)
      expect(purged[kind], kind).toBe(12 - expected.length)
    }
    // The expectations above follow RETENTION; the retentions themselves (decision 036):
    expect(RETENTION).toEqual({
      linkAttempts: 30 * DAY,
      loginAttempts: DAY,
      knownAddresses: 90 * DAY,
      staffSessions: 0,
      accountLinkTokens: 0,
      accountLinkNonces: DAY,
    })
  })

  it('runs on a schedule under the job lease, in batches, until nothing old is left', async () => {
    const now = clock.now()
    // 2,500 old rows (more than two batches).
    const values = Array.from({ length: 2500 }, () => sql`('bulk', 'bulk', ${now - 2 * DAY})`)
    for (let i = 0; i < values.length; i += 250) {
      await db.execute(
        sql`INSERT INTO login_attempts (staff_id, ip, created_at) VALUES ${sql.join(values.slice(i, i + 250), sql`, `)}`,
      )
    }
    const count = async () =>
      Number(
        (
          (await db.execute(
            sql`SELECT CAST(count(*) AS BIGINT) AS n FROM login_attempts WHERE staff_id = 'bulk'`,
          )) as { n: number }[]
        )[0]?.n,
      )
    expect(await count()).toBe(2500)
    const stop = startSecurityPurge({ db, clock, logger: ctx.logger, firstRunMs: 10 })
    try {
      const end = Date.now() + 20_000
      while ((await count()) > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
      expect(await count()).toBe(0)
      const lease = await jobLeases.holderOf(db, SECURITY_PURGE_JOB, clock.now())
      expect(lease).toBeDefined()
    } finally {
      stop()
    }
  })
})
