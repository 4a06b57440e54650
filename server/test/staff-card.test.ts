import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { CARD_NUMBER_LIMITS } from '../src/services/card-number-till.ts'
import { createStaffService } from '../src/services/staff.ts'
import {
  cardState,
  linkedMember,
  signInStaff,
  TILL_PASSWORD,
  TILL_STAFF,
  tillCall,
} from './points-support.ts'
import { addCard, createTestContext, row } from './support.ts'

// The till's card-number path (issue 12, decision 092): a plastic card's number identifies the
// member for an award only, rate-limited per session and per store, recorded in the audit trail.
const ctx = await createTestContext({ env: { LINK_BONUS_POINTS: '0' } })
const staff = await signInStaff(ctx)

const lookup = (cardNumber: string, headers = staff.clerk) =>
  ctx.call('POST', '/api/staff/card/lookup', { headers, body: { cardNumber } })
const award = (cardNumber: string, purchaseAmount: number, headers = staff.clerk, key?: string) =>
  tillCall(ctx, headers, '/api/staff/card/award', { cardNumber, purchaseAmount }, key)

/** Audit entries of `action` for card `cardId`, oldest first. */
async function auditOf(action: string, target: string | null) {
  const rows = await ctx.db.execute<{ actor: string; detail: string; target: string | null }>(
    sql`SELECT actor, detail, target FROM audit_log WHERE action = ${action} ORDER BY id`,
  )
  return rows
    .filter((r) => target === null || r.target === target)
    .map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }))
}

/** A new clerk session at `storeCode` (each sign-in is a session of its own). */
async function newSession(storeCode = 'S001') {
  const staffId = `clerk-${randomUUID().slice(0, 8)}`
  await createStaffService({ db: ctx.db, clock: ctx.clock }).upsert({
    staffId,
    storeCode,
    role: 'clerk',
    password: TILL_PASSWORD,
  })
  const res = await ctx.call('POST', '/api/staff/login', {
    headers: { 'Content-Type': 'application/json' },
    body: { staffId, password: TILL_PASSWORD },
  })
  expect(res.status).toBe(200)
  return { Authorization: `Bearer ${res.json.token}`, 'Content-Type': 'application/json' }
}

/** Moves the clock past every card-number window. */
const nextHour = () => ctx.clock.set((Math.floor(ctx.clock.now() / 3_600_000) + 1) * 3_600_000)

describe('identifying a member by the plastic card number', () => {
  it('looks a linked card up (spaces and hyphens ignored), masked, and audits the last 4 digits', async () => {
    const m = await linkedMember(ctx, { points: 700, rank: 'gold', name: '山田 花子' })
    const typed = `${m.cardNumber.slice(0, 4)} ${m.cardNumber.slice(4, 8)}-${m.cardNumber.slice(8)}`
    const res = await lookup(typed)
    expect(res.status).toBe(200)
    expect(res.json).toEqual({
      member: {
        cardNumber: `************${m.cardNumber.slice(-4)}`,
        name: '山田 花子',
        points: 700,
        rank: 'gold',
      },
      linked: true,
    })
    const [entry] = await auditOf('till.cardLookup', `card:${m.cardId}`)
    expect(entry?.actor).toBe(TILL_STAFF.clerk.staffId)
    expect(entry?.detail).toEqual({ storeCode: 'S001', last4: m.cardNumber.slice(-4) })
    const raw = await ctx.db.execute<{ detail: string }>(sql`SELECT detail FROM audit_log`)
    expect(raw.some((r) => r.detail.includes(m.cardNumber))).toBe(false)
  })

  it('awards to it with the rank multiplier: no QR token on the entry, the award audited as by card number', async () => {
    const m = await linkedMember(ctx, { points: 100, rank: 'gold' })
    const res = await award(m.cardNumber, 1234)
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({ points: 24, balance: 124 })
    const entry = await row<{ type: string; qr: string | null; store: string; amount: number }>(
      ctx.db,
      sql`SELECT type, qr_token_id AS qr, store_code AS store, purchase_amount AS amount
        FROM ledger WHERE id = ${Number(res.json.transactionId)}`,
    )
    expect(entry).toEqual({ type: 'award', qr: null, store: 'S001', amount: 1234 })
    const [audit] = await auditOf('till.cardAward', `card:${m.cardId}`)
    expect(audit?.detail).toEqual({
      storeCode: 'S001',
      last4: m.cardNumber.slice(-4),
      transactionId: res.json.transactionId,
      purchaseAmount: 1234,
      points: 24,
    })
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 124, balance: 124 })
    // It shows in the store's list of today's transactions like any award.
    const today = await ctx.call('GET', '/api/staff/transactions', { headers: staff.clerk })
    expect(today.json.items[0]).toMatchObject({ id: res.json.transactionId, type: 'award' })
  })

  it('awards once per Idempotency-Key', async () => {
    const m = await linkedMember(ctx)
    const key = randomUUID()
    const first = await award(m.cardNumber, 5000, staff.clerk, key)
    const again = await award(m.cardNumber, 5000, staff.clerk, key)
    expect(again.status).toBe(200)
    expect(again.json).toEqual(first.json)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 50, balance: 50 })
    const other = await award(m.cardNumber, 6000, staff.clerk, key)
    expect(other.json.error.code).toBe('IDEMPOTENCY_KEY_REUSED')
  })

  it('serves a card that was never linked (a customer without LINE)', async () => {
    const card = await addCard(ctx.db, ctx.secrets, { points: 10 })
    const found = await lookup(card.cardNumber)
    expect(found.json).toMatchObject({ linked: false, member: { points: 10 } })
    const res = await award(card.cardNumber, 300)
    expect(res.json).toMatchObject({ points: 3, balance: 13 })
  })

  it('refuses a malformed number with 400 and an unknown or erased card with 404, auditing the miss', async () => {
    const short = await lookup('1234 5678')
    expect(short.status).toBe(400)
    expect(short.json.error.code).toBe('CARD_NUMBER_INVALID')
    const m = await linkedMember(ctx)
    const wrongCheck = `${m.cardNumber.slice(0, 15)}${(Number(m.cardNumber[15]) + 1) % 10}`
    expect((await lookup(wrongCheck)).json.error.code).toBe('CARD_NUMBER_INVALID')
    const unknown = '4000000000000002'
    const miss = await lookup(unknown)
    expect(miss.status).toBe(404)
    expect(miss.json.error.code).toBe('CARD_NOT_FOUND')
    expect((await award(unknown, 100)).json.error.code).toBe('CARD_NOT_FOUND')
    const failed = await auditOf('till.cardLookupFailed', null)
    expect(failed.at(-1)?.detail).toEqual({ storeCode: 'S001', last4: '0002' })
    const erased = await addCard(ctx.db, ctx.secrets, { points: 5 })
    await ctx.db.execute(
      sql`UPDATE point_cards SET erased_at = ${ctx.clock.now()} WHERE id = ${erased.cardId}`,
    )
    expect((await lookup(erased.cardNumber)).status).toBe(404)
    expect((await award(erased.cardNumber, 100)).status).toBe(404)
    expect(await cardState(ctx, erased.cardId)).toEqual({ ledgerSum: 5, balance: 5 })
  })

  it('is award only: no redeem by card number, on this route or the points route', async () => {
    const m = await linkedMember(ctx, { points: 500 })
    const redeemHere = await tillCall(ctx, staff.clerk, '/api/staff/card/award', {
      cardNumber: m.cardNumber,
      type: 'redeem',
      points: 100,
    })
    expect(redeemHere.status).toBe(400)
    const redeemThere = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      cardNumber: m.cardNumber,
      type: 'redeem',
      points: 100,
    })
    expect(redeemThere.status).toBe(400)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 500, balance: 500 })
  })

  it('needs a staff token', async () => {
    const res = await ctx.call('POST', '/api/staff/card/lookup', {
      headers: { 'Content-Type': 'application/json' },
      body: { cardNumber: '4000000000000002' },
    })
    expect(res.status).toBe(401)
  })
})

describe('card-number guessing limits (decision 092)', () => {
  it(`allows ${CARD_NUMBER_LIMITS.session.limit} requests a session per window, then 429 with Retry-After`, async () => {
    nextHour()
    const clerk = await newSession()
    const m = await linkedMember(ctx)
    const { limit } = CARD_NUMBER_LIMITS.session
    for (let i = 0; i < limit - 1; i++)
      expect((await lookup('4000000000000002', clerk)).status).toBe(404)
    expect((await award(m.cardNumber, 100, clerk)).status).toBe(200)
    const refused = await lookup(m.cardNumber, clerk)
    expect(refused.status).toBe(429)
    expect(refused.json.error.code).toBe('TOO_MANY_ATTEMPTS')
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(600)
    expect((await award(m.cardNumber, 100, clerk)).status).toBe(429)
    // A malformed number is refused before it counts, whatever the limit.
    expect((await lookup('12', clerk)).json.error.code).toBe('CARD_NUMBER_INVALID')
    // Another till of the store still works; this one again after the window.
    expect((await lookup(m.cardNumber, await newSession())).status).toBe(200)
    ctx.clock.advance(CARD_NUMBER_LIMITS.session.windowMs)
    expect((await lookup(m.cardNumber, clerk)).status).toBe(200)
    expect(await cardState(ctx, m.cardId)).toEqual({ ledgerSum: 1, balance: 1 })
  })

  it(`allows ${CARD_NUMBER_LIMITS.store.limit} requests a store per hour across its sessions; other stores are not affected`, async () => {
    nextHour()
    const m = await linkedMember(ctx)
    const { limit: perSession } = CARD_NUMBER_LIMITS.session
    let left = CARD_NUMBER_LIMITS.store.limit
    while (left > 0) {
      const clerk = await newSession()
      const n = Math.min(perSession, left)
      for (let i = 0; i < n; i++) expect((await lookup(m.cardNumber, clerk)).status).toBe(200)
      left -= n
    }
    const refused = await lookup(m.cardNumber, await newSession())
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(3600)
    expect((await lookup(m.cardNumber, await newSession('S002'))).status).toBe(200)
  })
})
