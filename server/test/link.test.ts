import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import { isUniqueViolation } from '../src/db/errors.ts'
import { memoryLogger } from '../src/logger.ts'
import { createCardLocks } from '../src/services/card-locks.ts'
import { LINK_LIMITS } from '../src/services/link-limits.ts'
import { reopenableDatabase } from './points-support.ts'
import { addCard, balances, callApp, createTestContext, linkBody, row } from './support.ts'

const ctx = await createTestContext()
const { db, secrets, call, clock } = ctx

async function link(user: string, body: unknown) {
  return call('POST', '/api/link', { headers: await ctx.userHeaders(user), body })
}

describe('POST /api/link', () => {
  it('links a card with the right PIN, grants the bonus once, and /api/me shows the member', async () => {
    const card = await addCard(db, secrets, { points: 100, name: '山田 花子', rank: 'gold' })
    const user = ctx.newUser()
    const res = await link(
      user,
      linkBody(card.cardNumber.replace(/(\d{4})/g, '$1 ').trim(), card.pin),
    )
    expect(res.status).toBe(201)
    expect(res.json).toEqual({
      member: {
        cardNumber: `************${card.cardNumber.slice(-4)}`,
        name: '山田 花子',
        points: 300,
        rank: 'gold',
      },
      bonusPoints: 200,
    })
    const me = await call('GET', '/api/me', { headers: await ctx.userHeaders(user) })
    expect(me.json).toMatchObject({ linked: true, member: { points: 300 } })
    expect(await balances(db, card.cardId)).toEqual({ ledger: 300, stored: 300 })
    const consent = await db.execute(
      sql`SELECT version FROM consents WHERE card_id = ${card.cardId}`,
    )
    expect(consent).toEqual([{ version: '2026-11-01' }])
  })

  it('refuses a typo in the card number with CARD_NUMBER_INVALID, without counting an attempt', async () => {
    const user = ctx.newUser()
    const card = await addCard(db, secrets)
    const typo = `${card.cardNumber.slice(0, 15)}${(Number(card.cardNumber[15]) + 1) % 10}`
    for (let i = 0; i < LINK_LIMITS.perUser + 2; i++) {
      const res = await link(user, linkBody(typo, card.pin))
      expect(res.status).toBe(400)
      expect(res.json.error.code).toBe('CARD_NUMBER_INVALID')
    }
    expect((await link(user, linkBody('1234', card.pin))).json.error.code).toBe(
      'CARD_NUMBER_INVALID',
    )
    // none of those counted: the right card still links
    expect((await link(user, linkBody(card.cardNumber, card.pin))).status).toBe(201)
  })

  it('requires consent (403 CONSENT_REQUIRED) and links nothing without it', async () => {
    const user = ctx.newUser()
    const card = await addCard(db, secrets)
    const res = await link(user, linkBody(card.cardNumber, card.pin, false))
    expect(res.status).toBe(403)
    expect(res.json.error.code).toBe('CONSENT_REQUIRED')
    expect((await call('GET', '/api/me', { headers: await ctx.userHeaders(user) })).json).toEqual({
      linked: false,
    })
  })

  it("accepts only the server's consent version: another one is 409 CONSENT_OUTDATED, links nothing, counts no attempt", async () => {
    const user = ctx.newUser()
    const card = await addCard(db, secrets)
    for (const version of ['2025-01-01', ctx.config.consentVersion.concat('-old')]) {
      const res = await link(user, {
        ...linkBody(card.cardNumber, card.pin),
        consent: { version, accepted: true },
      })
      expect(res.status).toBe(409)
      expect(res.json.error.code).toBe('CONSENT_OUTDATED')
    }
    // Even with a wrong PIN the outdated consent is answered first, and no attempt is counted.
    for (let i = 0; i < LINK_LIMITS.perUser + 1; i++) {
      const res = await link(user, {
        ...linkBody(card.cardNumber, '0000'),
        consent: { version: 'old', accepted: true },
      })
      expect(res.json.error.code).toBe('CONSENT_OUTDATED')
    }
    expect((await call('GET', '/api/me', { headers: await ctx.userHeaders(user) })).json).toEqual({
      linked: false,
    })
    expect(await row(db, sql`SELECT 1 AS x FROM consents WHERE card_id = ${card.cardId}`)).toBe(
      undefined,
    )
    // The current version links, and is what is recorded.
    expect((await link(user, linkBody(card.cardNumber, card.pin))).status).toBe(201)
    const consent = await db.execute(
      sql`SELECT version FROM consents WHERE card_id = ${card.cardId}`,
    )
    expect(consent).toEqual([{ version: ctx.config.consentVersion }])
  })

  it('answers one message for a wrong PIN and for an unknown card (422 CARD_OR_PIN_WRONG)', async () => {
    const user = ctx.newUser()
    const card = await addCard(db, secrets)
    const wrongPin = await link(user, linkBody(card.cardNumber, '9999'))
    const unknown = await link(user, linkBody('4111111111111111', '1234'))
    expect(wrongPin.status).toBe(422)
    expect(unknown.status).toBe(422)
    expect(wrongPin.json).toEqual(unknown.json)
    expect(wrongPin.json.error.code).toBe('CARD_OR_PIN_WRONG')
  })

  it('answers 409 CARD_ALREADY_LINKED for a card of another LINE account, 409 ALREADY_LINKED for a linked user', async () => {
    const card = await addCard(db, secrets)
    const other = await addCard(db, secrets)
    const first = ctx.newUser()
    expect((await link(first, linkBody(card.cardNumber, card.pin))).status).toBe(201)
    const second = await link(ctx.newUser(), linkBody(card.cardNumber, card.pin))
    expect(second.status).toBe(409)
    expect(second.json.error.code).toBe('CARD_ALREADY_LINKED')
    const again = await link(first, linkBody(other.cardNumber, other.pin))
    expect(again.status).toBe(409)
    expect(again.json.error.code).toBe('ALREADY_LINKED')
  })

  it('rejects unknown fields, wrong types and non-JSON with 400 in the contract shape', async () => {
    const user = ctx.newUser()
    const card = await addCard(db, secrets)
    const extra = await link(user, {
      ...linkBody(card.cardNumber, card.pin),
      lineUserId: ctx.newUser(),
    })
    expect(extra.status).toBe(400)
    expect(extra.json.error.code).toBe('VALIDATION_FAILED')
    expect(extra.json.error.message).toContain('lineUserId')
    expect((await link(user, { cardNumber: 1234 })).status).toBe(400)
    expect((await link(user, '{"cardNumber":')).json.error.code).toBe('VALIDATION_FAILED')
    const noJson = await call('POST', '/api/link', {
      headers: { ...(await ctx.userHeaders(user)), 'Content-Type': 'text/plain' },
      body: 'hello',
    })
    expect(noJson.status).toBe(415)
    expect(noJson.json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
  })
})

describe('the linking bonus', () => {
  it('is granted once per card: unlink and relink, or another LINE account later, get none', async () => {
    const card = await addCard(db, secrets)
    const alice = ctx.newUser()
    expect((await link(alice, linkBody(card.cardNumber, card.pin))).json.bonusPoints).toBe(200)
    expect(
      (await call('DELETE', '/api/link', { headers: await ctx.userHeaders(alice) })).status,
    ).toBe(204)
    const relink = await link(alice, linkBody(card.cardNumber, card.pin))
    expect(relink.status).toBe(201)
    expect(relink.json).toMatchObject({ bonusPoints: 0, member: { points: 200 } })
    await call('DELETE', '/api/link', { headers: await ctx.userHeaders(alice) })
    const bob = ctx.newUser()
    const bobLink = await link(bob, linkBody(card.cardNumber, card.pin))
    expect(bobLink.json).toMatchObject({ bonusPoints: 0, member: { points: 200 } })
    expect(await balances(db, card.cardId)).toEqual({ ledger: 200, stored: 200 })
  })

  it('is granted once per LINE user: a second card linked later by the same user gets none', async () => {
    const user = ctx.newUser()
    const a = await addCard(db, secrets)
    const b = await addCard(db, secrets)
    expect((await link(user, linkBody(a.cardNumber, a.pin))).json.bonusPoints).toBe(200)
    await call('DELETE', '/api/link', { headers: await ctx.userHeaders(user) })
    const second = await link(user, linkBody(b.cardNumber, b.pin))
    expect(second.json).toMatchObject({ bonusPoints: 0, member: { points: 0 } })
  })

  it('is granted once when the same request is fired many times at once', async () => {
    const card = await addCard(db, secrets)
    const user = ctx.newUser()
    const headers = await ctx.userHeaders(user)
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        call('POST', '/api/link', { headers, body: linkBody(card.cardNumber, card.pin) }),
      ),
    )
    const statuses = results.map((r) => r.status).sort()
    expect(statuses.filter((s) => s === 201)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(7)
    expect(await balances(db, card.cardId)).toEqual({ ledger: 200, stored: 200 })
  })

  it('is granted once when two LINE accounts race for the same card', async () => {
    const card = await addCard(db, secrets)
    const results = await Promise.all(
      Array.from({ length: 6 }, async () =>
        link(ctx.newUser(), linkBody(card.cardNumber, card.pin)),
      ),
    )
    expect(results.filter((r) => r.status === 201)).toHaveLength(1)
    expect(results.filter((r) => r.json?.error?.code === 'CARD_ALREADY_LINKED')).toHaveLength(5)
    expect((await balances(db, card.cardId)).ledger).toBe(200)
  })

  it('is enforced by the database even if the code were bypassed', async () => {
    const card = await addCard(db, secrets, { points: 1 })
    const entry = await row<{ id: number }>(
      db,
      sql`SELECT id FROM ledger WHERE card_id = ${card.cardId}`,
    )
    const bonus = (cardId: number, user: string) =>
      db.execute(
        sql`INSERT INTO link_bonuses (card_id, line_user_id, ledger_id, granted_at)
          VALUES (${cardId}, ${user}, ${entry?.id}, 0)`,
      )
    await bonus(card.cardId, ctx.newUser())
    await expect(bonus(card.cardId, ctx.newUser())).rejects.toSatisfy(isUniqueViolation)
    const other = await addCard(db, secrets)
    const user = ctx.newUser()
    await bonus(other.cardId, user)
    const third = await addCard(db, secrets)
    await expect(bonus(third.cardId, user)).rejects.toSatisfy(isUniqueViolation)
  })

  it('is not granted when LINK_BONUS_POINTS is 0', async () => {
    const zero = await createTestContext({ env: { LINK_BONUS_POINTS: '0' } })
    const card = await addCard(zero.db, zero.secrets, { points: 5 })
    const res = await zero.call('POST', '/api/link', {
      headers: await zero.userHeaders(zero.newUser()),
      body: linkBody(card.cardNumber, card.pin),
    })
    expect(res.json).toMatchObject({ bonusPoints: 0, member: { points: 5 } })
  })
})

describe('rate limits on linking', () => {
  it('locks a LINE user after 5 failures in 15 minutes, even for the right PIN, with Retry-After', async () => {
    const user = ctx.newUser()
    const card = await addCard(db, secrets)
    // Different cards, so the per-card delay is not what stops them.
    for (let i = 0; i < LINK_LIMITS.perUser; i++) {
      const other = await addCard(db, secrets)
      expect((await link(user, linkBody(other.cardNumber, '0000'))).status).toBe(422)
    }
    const locked = await link(user, linkBody(card.cardNumber, card.pin))
    expect(locked.status).toBe(429)
    expect(locked.json.error.code).toBe('TOO_MANY_ATTEMPTS')
    const retry = Number(locked.headers.get('Retry-After'))
    expect(retry).toBeGreaterThan(0)
    expect(retry).toBeLessThanOrEqual(15 * 60)
    ctx.clock.advance(retry * 1000 + 1000)
    expect((await link(user, linkBody(card.cardNumber, card.pin))).status).toBe(201)
  })

  it('slows a card after 3 failures from many LINE users, the owner included, and says when and to ask the store', async () => {
    const card = await addCard(db, secrets)
    for (let i = 0; i < LINK_LIMITS.card.free; i++) {
      expect((await link(ctx.newUser(), linkBody(card.cardNumber, `000${i}`))).status).toBe(422)
    }
    const owner = ctx.newUser()
    const refused = await link(owner, linkBody(card.cardNumber, card.pin))
    expect(refused.status).toBe(429)
    expect(refused.headers.get('Retry-After')).toBe('60')
    expect(refused.json.error.message).toBe(
      'Too many failed attempts. Try again in 1 minute(s). If this is your card, the store can clear the lock.',
    )
    ctx.clock.advance(60_000)
    expect((await link(owner, linkBody(card.cardNumber, card.pin))).status).toBe(201)
  })

  it('refuses a malformed PIN with 400 VALIDATION_FAILED, without counting an attempt', async () => {
    const card = await addCard(db, secrets)
    const user = ctx.newUser()
    for (const pin of ['', '123', '12345', 'abcd', '12 34', '１２３']) {
      const res = await link(user, linkBody(card.cardNumber, pin))
      expect(res.status).toBe(400)
      expect(res.json.error.code).toBe('VALIDATION_FAILED')
    }
    const counted = await row<{ n: number }>(
      db,
      sql`SELECT CAST(count(*) AS BIGINT) AS n FROM link_attempts WHERE line_user_id = ${user}`,
    )
    expect(Number(counted?.n)).toBe(0)
    // Full-width digits are the same PIN.
    const fullWidth = card.pin.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)))
    expect((await link(user, linkBody(card.cardNumber, fullWidth))).status).toBe(201)
  })

  it('checks no more PINs than the card allows when many LINE users guess at once', async () => {
    const card = await addCard(db, secrets)
    const pins = Array.from({ length: 30 }, (_, i) => String(i).padStart(4, '0'))
    pins[29] = card.pin
    const answers = await Promise.all(
      pins.map(async (pin) => (await link(ctx.newUser(), linkBody(card.cardNumber, pin))).status),
    )
    const checked = answers.filter((s) => s === 422 || s === 201).length
    expect(checked).toBeLessThanOrEqual(LINK_LIMITS.card.free)
    expect(answers.filter((s) => s === 429).length).toBe(30 - checked)
  })

  it('lets unlimited LINE accounts fail about once a day per card, so 5,000 guesses take years; the lock always ends', async () => {
    const card = await addCard(db, secrets)
    const days = 60
    const end = clock.now() + days * 86_400_000
    let failures = 0
    let longestWaitMs = 0
    for (;;) {
      const res = await link(ctx.newUser(), linkBody(card.cardNumber, '9999'))
      if (res.status === 422) {
        failures++
        if (clock.now() >= end) break
        continue
      }
      expect(res.status).toBe(429)
      const waitMs = Number(res.headers.get('Retry-After')) * 1000
      longestWaitMs = Math.max(longestWaitMs, waitMs)
      clock.advance(waitMs)
    }
    // 3 free, then 1 min, 4 min, 16 min, 64 min, ~4 h, ~17 h, then one a day.
    expect(failures).toBeLessThanOrEqual(days + 9)
    expect(failures).toBeGreaterThanOrEqual(days - 1)
    // The wait never passes a day: strangers cannot lock the owner out for longer than that
    // after they stop.
    expect(longestWaitMs).toBeLessThanOrEqual(86_400_000)
    const owner = ctx.newUser()
    const refused = await link(owner, linkBody(card.cardNumber, card.pin))
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('Retry-After'))).toBeLessThanOrEqual(86_400)
    clock.advance(Number(refused.headers.get('Retry-After')) * 1000)
    expect((await link(owner, linkBody(card.cardNumber, card.pin))).status).toBe(201)
  })

  it("an operator clears a card's lock: the owner links at once; other cards keep theirs", async () => {
    const card = await addCard(db, secrets)
    const other = await addCard(db, secrets)
    for (let i = 0; i < 12; i++) {
      await link(ctx.newUser(), linkBody(card.cardNumber, '9999'))
      await link(ctx.newUser(), linkBody(other.cardNumber, '9999'))
      clock.advance(10 * 60_000)
    }
    const locks = createCardLocks({ db, clock, secrets })
    const lock = await locks.lockOf(card.cardId)
    expect(lock?.until).toBeGreaterThan(clock.now())
    const by = { actor: 'ops-1', address: '203.0.113.9' }
    const cleared = await locks.clear(by, card.cardId)
    expect(cleared).toMatchObject({ cardId: card.cardId, wasLockedUntil: lock?.until })
    expect(cleared.clearedFailures).toBeGreaterThanOrEqual(LINK_LIMITS.card.free)
    expect(await locks.lockOf(card.cardId)).toBeNull()
    // Recorded with who cleared it, in the same transaction (docs/decisions/035).
    const entry = await row<{ actor: string; action: string; detail: string }>(
      db,
      sql`SELECT actor, action, detail FROM audit_log WHERE target = ${String(card.cardId)}`,
    )
    expect(entry).toMatchObject({ actor: 'ops-1', action: 'member.clearLock' })
    expect(JSON.parse(entry?.detail ?? '{}')).toEqual({
      failuresCleared: cleared.clearedFailures,
      wasLockedUntil: new Date(lock?.until ?? 0).toISOString(),
    })
    expect((await link(ctx.newUser(), linkBody(card.cardNumber, card.pin))).status).toBe(201)
    expect(await locks.lockOf(other.cardId)).not.toBeNull()
    expect((await link(ctx.newUser(), linkBody(other.cardNumber, other.pin))).status).toBe(429)
    await expect(locks.lockOf(999_999)).rejects.toMatchObject({ code: 'CARD_NOT_FOUND' })
    await expect(locks.clearByNumber(by, '4111111111111111')).rejects.toMatchObject({
      code: 'CARD_NOT_FOUND',
    })
  })

  it('caps one LINE user across many cards per day', async () => {
    const user = ctx.newUser()
    let locked = false
    for (let i = 0; i < LINK_LIMITS.perUserDay + 5 && !locked; i++) {
      const card = await addCard(db, secrets)
      const res = await link(user, linkBody(card.cardNumber, '0000'))
      if (res.status === 429) locked = true
      else expect(res.status).toBe(422)
      ctx.clock.advance(16 * 60_000) // past the 15-minute window each time
    }
    expect(locked).toBe(true)
    const rows = await row<{ n: number }>(
      db,
      sql`SELECT CAST(count(*) AS BIGINT) AS n FROM link_attempts WHERE line_user_id = ${user}`,
    )
    expect(Number(rows?.n)).toBe(LINK_LIMITS.perUserDay)
  })

  it('survives a restart: the attempts live in the database', async () => {
    const reopen = await reopenableDatabase()
    /** A server process: a new connection to the same database and a fresh app. */
    const start = async () => {
      const db = await reopen()
      const app = createApp({ db, clock, config: ctx.config, secrets, logger: memoryLogger() })
      return { db, app }
    }
    const first = await start()
    const card = await addCard(first.db, secrets)
    const user = ctx.newUser()
    for (let i = 0; i < LINK_LIMITS.card.free; i++) {
      const res = await callApp(first.app, 'POST', '/api/link', {
        headers: await ctx.userHeaders(user),
        body: linkBody(card.cardNumber, '0000'),
      })
      expect(res.status).toBe(422)
    }
    await first.db.close()
    const second = await start()
    try {
      const res = await callApp(second.app, 'POST', '/api/link', {
        headers: await ctx.userHeaders(user),
        body: linkBody(card.cardNumber, card.pin),
      })
      expect(res.status).toBe(429)
    } finally {
      await second.db.close()
    }
  })
})

describe('DELETE /api/link', () => {
  it('unlinks (204), then 404 NOT_LINKED; the card and its points stay', async () => {
    const user = ctx.newUser()
    const card = await addCard(db, secrets, { points: 50 })
    await link(user, linkBody(card.cardNumber, card.pin))
    const headers = await ctx.userHeaders(user)
    expect((await call('DELETE', '/api/link', { headers })).status).toBe(204)
    const again = await call('DELETE', '/api/link', { headers })
    expect(again.status).toBe(404)
    expect(again.json.error.code).toBe('NOT_LINKED')
    expect((await call('GET', '/api/me', { headers })).json).toEqual({ linked: false })
    expect((await balances(db, card.cardId)).stored).toBe(250)
  })
})
