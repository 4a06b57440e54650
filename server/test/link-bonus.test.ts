import { describe, expect, it } from 'vitest'
import { addCard, createTestContext, linkBody } from './support.ts'

const ctx = await createTestContext()
const { db, secrets, call } = ctx

async function bonus(user: string) {
  return call('GET', '/api/link/bonus', { headers: await ctx.userHeaders(user) })
}
async function link(user: string, card: { cardNumber: string; pin: string }) {
  const res = await call('POST', '/api/link', {
    headers: await ctx.userHeaders(user),
    body: linkBody(card.cardNumber, card.pin),
  })
  expect(res.status).toBe(201)
  return res.json as { bonusPoints: number }
}
async function unlink(user: string) {
  const res = await call('DELETE', '/api/link', { headers: await ctx.userHeaders(user) })
  expect(res.status).toBe(204)
}

describe('GET /api/link/bonus', () => {
  it('a LINE user who has never had the bonus is eligible; after it, never again', async () => {
    const user = ctx.newUser()
    const first = await bonus(user)
    expect(first.status).toBe(200)
    expect(first.json).toEqual({ eligible: true, points: 200 })
    expect((await link(user, await addCard(db, secrets))).bonusPoints).toBe(200)
    // Linked, then unlinked: the bonus is spent, whatever card comes next.
    expect((await bonus(user)).json).toEqual({ eligible: false, points: 0 })
    await unlink(user)
    expect((await bonus(user)).json).toEqual({ eligible: false, points: 0 })
    expect((await link(user, await addCard(db, secrets))).bonusPoints).toBe(0)
  })

  it('a user whose first link got no bonus (the card had had it) stays eligible', async () => {
    const card = await addCard(db, secrets)
    const owner = ctx.newUser()
    expect((await link(owner, card)).bonusPoints).toBe(200)
    await unlink(owner)
    const next = ctx.newUser()
    expect((await link(next, card)).bonusPoints).toBe(0)
    await unlink(next)
    expect((await bonus(next)).json).toEqual({ eligible: true, points: 200 })
    expect((await link(next, await addCard(db, secrets))).bonusPoints).toBe(200)
    expect((await bonus(next)).json).toEqual({ eligible: false, points: 0 })
  })

  it('a new digital card spends the bonus too', async () => {
    const user = ctx.newUser()
    const issued = await call('POST', '/api/cards', {
      headers: { ...(await ctx.userHeaders(user)), 'Idempotency-Key': `issue-${user}` },
      body: { name: '発行 花子', consent: { version: '2026-11-01', accepted: true } },
    })
    expect(issued.json.bonusPoints).toBe(200)
    expect((await bonus(user)).json).toEqual({ eligible: false, points: 0 })
  })

  it('needs a LINE ID token', async () => {
    const res = await call('GET', '/api/link/bonus')
    expect(res.status).toBe(401)
    expect(res.json.error.code).toBe('INVALID_ID_TOKEN')
  })
})

describe('GET /api/link/bonus with no linking bonus configured', async () => {
  const none = await createTestContext({ env: { LINK_BONUS_POINTS: '0' } })

  it('promises nothing to anyone', async () => {
    const res = await none.call('GET', '/api/link/bonus', {
      headers: await none.userHeaders(none.newUser()),
    })
    expect(res.json).toEqual({ eligible: false, points: 0 })
  })
})
