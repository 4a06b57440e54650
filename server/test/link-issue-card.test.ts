import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { addCard, balances, createTestContext, linkBody } from './support.ts'

const ctx = await createTestContext()
const { call } = ctx

async function issue(
  user: string,
  key: string | undefined,
  body: unknown = {
    name: '新規 会員',
    consent: { version: ctx.config.consentVersion, accepted: true },
  },
) {
  const headers: Record<string, string> = await ctx.userHeaders(user)
  if (key) headers['Idempotency-Key'] = key
  return call('POST', '/api/cards', { headers, body })
}

describe('POST /api/cards (a new digital card)', () => {
  it('issues a Luhn-valid card, links it, grants the bonus, and returns its PIN once', async () => {
    const user = ctx.newUser()
    const res = await issue(user, 'issue-key-0001')
    expect(res.status).toBe(201)
    expect(res.json).toMatchObject({
      bonusPoints: 200,
      member: { name: '新規 会員', points: 200, rank: 'regular' },
    })
    expect(res.json.cardNumber).toMatch(/^9\d{15}$/)
    expect(res.json.pin).toMatch(/^\d{4}$/)
    const me = await call('GET', '/api/me', { headers: await ctx.userHeaders(user) })
    expect(me.json.member.cardNumber).toBe(`************${res.json.cardNumber.slice(-4)}`)
    // a retry with the same key returns the same card, without the PIN, and nothing twice
    const retry = await issue(user, 'issue-key-0001')
    expect(retry.status).toBe(201)
    expect(retry.json).toMatchObject({
      bonusPoints: 200,
      pin: null,
      member: { cardNumber: me.json.member.cardNumber, points: 200 },
    })
    const cards = await ctx.db.execute<{ id: number }>(
      sql`SELECT id FROM point_cards WHERE source = 'issued'`,
    )
    expect(cards).toHaveLength(1)
    expect(await balances(ctx.db, cards[0]?.id as number)).toEqual({ ledger: 200, stored: 200 })
    // after an unlink, the member can link it again with the PIN they were given
    await call('DELETE', '/api/link', { headers: await ctx.userHeaders(user) })
    const relink = await call('POST', '/api/link', {
      headers: await ctx.userHeaders(user),
      body: linkBody(res.json.cardNumber, res.json.pin),
    })
    expect(relink.json).toMatchObject({ bonusPoints: 0, member: { points: 200 } })
  })

  it('grants no second bonus to a user who already had one', async () => {
    const user = ctx.newUser()
    const card = await addCard(ctx.db, ctx.secrets)
    await call('POST', '/api/link', {
      headers: await ctx.userHeaders(user),
      body: linkBody(card.cardNumber, card.pin),
    })
    await call('DELETE', '/api/link', { headers: await ctx.userHeaders(user) })
    const res = await issue(user, 'issue-key-0002')
    expect(res.json).toMatchObject({ bonusPoints: 0, member: { points: 0 } })
  })

  it('needs consent, an Idempotency-Key and an unlinked user', async () => {
    const user = ctx.newUser()
    const noConsent = await issue(user, 'issue-key-0003', {
      name: 'A',
      consent: { version: ctx.config.consentVersion, accepted: false },
    })
    expect(noConsent.status).toBe(403)
    expect(noConsent.json.error.code).toBe('CONSENT_REQUIRED')
    const noKey = await issue(user, undefined)
    expect(noKey.status).toBe(400)
    expect(noKey.json.error.code).toBe('IDEMPOTENCY_KEY_MISSING')
    expect((await issue(user, 'issue-key-0004')).status).toBe(201)
    const second = await issue(user, 'issue-key-0005')
    expect(second.status).toBe(409)
    expect(second.json.error.code).toBe('ALREADY_LINKED')
    const blank = await issue(ctx.newUser(), 'issue-key-0006', {
      name: '  ',
      consent: { version: ctx.config.consentVersion, accepted: true },
    })
    expect(blank.status).toBe(400)
  })

  it("refuses a consent version other than the server's with 409 CONSENT_OUTDATED, issuing nothing", async () => {
    const user = ctx.newUser()
    const old = await issue(user, 'issue-key-0100', {
      name: '旧版 同意',
      consent: { version: '2020-01-01', accepted: true },
    })
    expect(old.status).toBe(409)
    expect(old.json.error.code).toBe('CONSENT_OUTDATED')
    expect((await call('GET', '/api/me', { headers: await ctx.userHeaders(user) })).json).toEqual({
      linked: false,
    })
    // The same key with the current version is a first request, not a replay of the refusal.
    const ok = await issue(user, 'issue-key-0100', {
      name: '旧版 同意',
      consent: { version: ctx.config.consentVersion, accepted: true },
    })
    expect(ok.status).toBe(201)
  })

  it('issues exactly one card for many simultaneous identical requests', async () => {
    const user = ctx.newUser()
    const results = await Promise.all(
      Array.from({ length: 6 }, () => issue(user, 'issue-key-0007')),
    )
    expect(results.every((r) => r.status === 201)).toBe(true)
    expect(new Set(results.map((r) => r.json.member.cardNumber)).size).toBe(1)
    expect(results.filter((r) => r.json.pin !== null)).toHaveLength(1)
  })
})
