import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { cardNumberOf, importMembers, keyed, signIn } from './admin-data-support.ts'
import { balances, createTestContext, linkBody, row } from './support.ts'

/**
 * The console's members API: search (full number, last 4 digits, part of a name, paged), a
 * member's page and history, and the actions (adjust, unlink, clear the lock, erase), with
 * their roles and audit entries.
 */
const ctx = await createTestContext()
const op = await signIn(ctx, 'members-operator', 'operator')
const admin = await signIn(ctx, 'members-admin', 'admin')
const clerk = await signIn(ctx, 'members-clerk', 'clerk', 'S001')
const manager = await signIn(ctx, 'members-manager', 'manager', 'S001')

// Three cards whose numbers end in the same 4 digits (same last body digits, same check digit).
const sameLast4 = Array.from({ length: 400 }, (_, i) =>
  cardNumberOf(`4${String(i).padStart(3, '0')}00000000777`),
)
  .filter((n) => n.endsWith('7773'))
  .slice(0, 3)
expect(sameLast4).toHaveLength(3)
const [YAMADA, HANAKO, OYAMADA] = sameLast4 as [string, string, string]
const KEN = cardNumberOf('490000000000901')
const LOCKED = cardNumberOf('490000000000902')
const pages = Array.from({ length: 55 }, (_, i) => cardNumberOf(`48${String(i).padStart(13, '0')}`))
const ids = await importMembers(ctx, [
  { cardNumber: YAMADA, name: '山田 太郎', points: 500 },
  { cardNumber: HANAKO, name: '山田 花子', points: 0 },
  { cardNumber: OYAMADA, name: '小山田 一', points: 0 },
  { cardNumber: KEN, name: 'Yamada Ken', points: 40 },
  { cardNumber: LOCKED, name: '鍵 掛子', points: 0 },
  ...pages.map((n, i) => ({ cardNumber: n, name: `ページ会員 ${i}`, points: 0 })),
])
const idOf = (n: string) => ids.get(n) as number
const yamadaUser = ctx.newUser()
{
  const res = await ctx.call('POST', '/api/link', {
    headers: await ctx.userHeaders(yamadaUser),
    body: linkBody(YAMADA, '1234'),
  })
  expect(res.status).toBe(201)
}

const get = (path: string, headers = op) => ctx.call('GET', `/api/admin${path}`, { headers })
const post = (path: string, body: unknown = {}, headers = op) =>
  ctx.call('POST', `/api/admin${path}`, { headers, body })
const names = (res: { json: { items: { name: string }[] } }) => res.json.items.map((i) => i.name)
const auditOf = async (action: string) =>
  (await get(`/audit?action=${action}`, admin)).json.items as {
    actor: string
    action: string
    target: string
    detail: Record<string, unknown>
  }[]

describe('member search', () => {
  it('finds a full card number written with spaces or hyphens, masked in the answer', async () => {
    const spaced = `${YAMADA.slice(0, 4)} ${YAMADA.slice(4, 8)}-${YAMADA.slice(8, 12)} ${YAMADA.slice(12)}`
    const res = await get(`/members?q=${encodeURIComponent(spaced)}`)
    expect(res.status).toBe(200)
    expect(res.json).toEqual({
      items: [
        {
          cardId: String(idOf(YAMADA)),
          cardNumber: `************${YAMADA.slice(12)}`,
          name: '山田 太郎',
          rank: 'regular',
          points: 700,
          linked: true,
        },
      ],
      nextCursor: null,
    })
  })

  it('finds every card ending in 4 digits', async () => {
    const res = await get('/members?q=7773')
    expect(names(res)).toEqual(['山田 太郎', '山田 花子', '小山田 一'])
  })

  it('finds part of a name (3 characters or more, any case) and the start of a name (1 or 2)', async () => {
    expect(names(await get(`/members?q=${encodeURIComponent('山田 花')}`))).toEqual(['山田 花子'])
    expect(names(await get(`/members?q=${encodeURIComponent('田 太')}`))).toEqual(['山田 太郎'])
    expect(names(await get('/members?q=yamada'))).toEqual(['Yamada Ken'])
    expect(names(await get(`/members?q=${encodeURIComponent('山田')}`))).toEqual([
      '山田 太郎',
      '山田 花子',
    ])
    expect(names(await get(`/members?q=${encodeURIComponent('%')}`))).toEqual([])
  })

  it('pages by cursor: nothing lost, nothing repeated', async () => {
    const first = await get(`/members?q=${encodeURIComponent('ページ会員')}`)
    expect(first.json.items).toHaveLength(50)
    expect(first.json.nextCursor).toEqual(expect.any(String))
    const second = await get(
      `/members?q=${encodeURIComponent('ページ会員')}&cursor=${first.json.nextCursor}`,
    )
    expect(second.json.items).toHaveLength(5)
    expect(second.json.nextCursor).toBeNull()
    const all = [...names(first), ...names(second)]
    expect(new Set(all).size).toBe(55)
  })

  it('refuses an empty query', async () => {
    expect((await get('/members?q=')).status).toBe(400)
    expect((await get('/members')).status).toBe(400)
  })
})

describe("a member's page", () => {
  it('shows the card, link, consent and no lock', async () => {
    const res = await get(`/members/${idOf(YAMADA)}`)
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({
      cardId: String(idOf(YAMADA)),
      cardNumber: `************${YAMADA.slice(12)}`,
      name: '山田 太郎',
      points: 700,
      birthDate: null,
      linked: true,
      linkedAt: new Date(ctx.clock.now()).toISOString(),
      friend: null,
      locked: null,
      erasedAt: null,
      consents: [{ version: '2026-11-01', acceptedAt: new Date(ctx.clock.now()).toISOString() }],
    })
    expect(Array.isArray(res.json.messages)).toBe(true)
    expect((await get('/members/999999')).json.error.code).toBe('CARD_NOT_FOUND')
  })

  it('shows the history, newest first, paged', async () => {
    const res = await get(`/members/${idOf(YAMADA)}/history`)
    expect(res.status).toBe(200)
    expect(res.json.items.map((i: { type: string }) => i.type)).toEqual(['bonus', 'import'])
    expect(res.json.nextCursor).toBeNull()
  })

  it('shows a PIN-guessing lock, and clear-lock ends it (audit-logged)', async () => {
    const user = ctx.newUser()
    for (let i = 0; i < 5; i++) {
      const res = await ctx.call('POST', '/api/link', {
        headers: await ctx.userHeaders(user),
        body: linkBody(LOCKED, '0000'),
      })
      expect(res.status).toBe(422)
    }
    const locked = await get(`/members/${idOf(LOCKED)}`)
    expect(locked.json.locked).toEqual({
      until: new Date(ctx.clock.now() + 15 * 60_000).toISOString(),
    })
    expect((await post(`/members/${idOf(LOCKED)}/clear-lock`)).status).toBe(204)
    expect((await get(`/members/${idOf(LOCKED)}`)).json.locked).toBeNull()
    const [entry] = await auditOf('member.clearLock')
    expect(entry).toMatchObject({
      actor: 'members-operator',
      target: String(idOf(LOCKED)),
      detail: { attemptsCleared: 5 },
    })
  })
})

describe('adjusting points', () => {
  const path = () => `/api/admin/members/${idOf(KEN)}/adjust`

  it('appends an adjust entry with the reason, once per Idempotency-Key (audit-logged)', async () => {
    const key = randomUUID()
    const body = { points: 60, reason: 'お詫び' }
    const first = await keyed(ctx, op, path(), body, key)
    expect(first.status, JSON.stringify(first.json)).toBe(200)
    expect(first.json).toEqual({ transactionId: expect.any(String), points: 60, balance: 100 })
    const again = await keyed(ctx, op, path(), body, key)
    expect(again.status).toBe(200)
    expect(again.json).toEqual(first.json)
    const reused = await keyed(ctx, op, path(), { points: 61, reason: 'お詫び' }, key)
    expect(reused.status).toBe(422)
    expect(reused.json.error.code).toBe('IDEMPOTENCY_KEY_REUSED')
    const entry = await row<{ type: string; points: number; note: string; staff: string }>(
      ctx.db,
      sql`SELECT type, points, note, staff_id AS staff FROM ledger
        WHERE id = ${Number(first.json.transactionId)}`,
    )
    expect(entry).toEqual({ type: 'adjust', points: 60, note: 'お詫び', staff: 'members-operator' })
    expect(await balances(ctx.db, idOf(KEN))).toEqual({ ledger: 100, stored: 100 })
    const audited = (await auditOf('member.adjust')).filter((e) => e.target === String(idOf(KEN)))
    expect(audited).toHaveLength(1)
    expect(audited[0]?.detail).toMatchObject({ points: 60, reason: 'お詫び' })
  })

  it('refuses to go below zero, a missing reason or key, and an unknown card', async () => {
    const low = await keyed(ctx, op, path(), { points: -101, reason: '訂正' })
    expect(low.status).toBe(422)
    expect(low.json.error.code).toBe('INSUFFICIENT_POINTS')
    expect((await keyed(ctx, op, path(), { points: -5, reason: ' ' })).status).toBe(400)
    expect((await keyed(ctx, op, path(), { points: 0, reason: 'x' })).status).toBe(400)
    const noKey = await post(`/members/${idOf(KEN)}/adjust`, { points: 1, reason: 'x' })
    expect(noKey.json.error.code).toBe('IDEMPOTENCY_KEY_MISSING')
    const unknown = await keyed(ctx, op, '/api/admin/members/999999/adjust', {
      points: 1,
      reason: 'x',
    })
    expect(unknown.json.error.code).toBe('CARD_NOT_FOUND')
    expect(await balances(ctx.db, idOf(KEN))).toEqual({ ledger: 100, stored: 100 })
  })
})

describe('unlinking and erasure', () => {
  it('unlinks from the console (audit-logged), then answers 404 NOT_LINKED', async () => {
    expect((await post(`/members/${idOf(YAMADA)}/unlink`)).status).toBe(204)
    expect((await get(`/members/${idOf(YAMADA)}`)).json.linked).toBe(false)
    const again = await post(`/members/${idOf(YAMADA)}/unlink`)
    expect(again.status).toBe(404)
    expect(again.json.error.code).toBe('NOT_LINKED')
    const me = await ctx.call('GET', '/api/me', { headers: await ctx.userHeaders(yamadaUser) })
    expect(me.json).toEqual({ linked: false })
    expect(await auditOf('member.unlink')).toHaveLength(1)
  })

  it('erases for an admin only: name, birth date, LINE link gone; the ledger stays (idempotent)', async () => {
    const user = ctx.newUser()
    const linked = await ctx.call('POST', '/api/link', {
      headers: await ctx.userHeaders(user),
      body: linkBody(HANAKO, '1234'),
    })
    expect(linked.status).toBe(201)
    const byOperator = await post(`/members/${idOf(HANAKO)}/erase`, { reason: '本人の請求' })
    expect(byOperator.status).toBe(403)
    expect(byOperator.json.error.code).toBe('FORBIDDEN')
    for (let i = 0; i < 2; i++) {
      const res = await post(`/members/${idOf(HANAKO)}/erase`, { reason: '本人の請求' }, admin)
      expect(res.status).toBe(204)
    }
    const page = (await get(`/members/${idOf(HANAKO)}`)).json
    expect(page).toMatchObject({ name: '', birthDate: null, linked: false, points: 200 })
    expect(page.erasedAt).toEqual(expect.any(String))
    const card = await row<{ pin: string | null }>(
      ctx.db,
      sql`SELECT pin_hash AS pin FROM point_cards WHERE id = ${idOf(HANAKO)}`,
    )
    expect(card?.pin).toBeNull()
    const users = await ctx.db.execute<{ u: string }>(
      sql`SELECT line_user_id AS u FROM line_links WHERE card_id = ${idOf(HANAKO)}`,
    )
    expect(users.map((r) => r.u)).toEqual(['erased'])
    expect(await balances(ctx.db, idOf(HANAKO))).toEqual({ ledger: 200, stored: 200 })
    expect(
      (await ctx.call('GET', '/api/me', { headers: await ctx.userHeaders(user) })).json,
    ).toEqual({ linked: false })
    // Erasing again changed nothing and recorded nothing.
    const entries = await auditOf('member.erase')
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ actor: 'members-admin', detail: { reason: '本人の請求' } })
    expect(names(await get(`/members?q=${encodeURIComponent('山田 花')}`))).toEqual([])
  })
})

describe('roles', () => {
  const routes: [string, string, unknown?][] = [
    ['GET', '/api/admin/members?q=7773'],
    ['GET', '/api/admin/members/1'],
    ['GET', '/api/admin/members/1/history'],
    ['POST', '/api/admin/members/1/adjust', { points: 1, reason: 'x' }],
    ['POST', '/api/admin/members/1/unlink', {}],
    ['POST', '/api/admin/members/1/clear-lock', {}],
    ['POST', '/api/admin/members/1/erase', { reason: 'x' }],
  ]

  it('answers 401 without credentials and 403 FORBIDDEN to a clerk and a manager on every route', async () => {
    for (const [method, path, body] of routes) {
      const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() }
      expect((await ctx.call(method, path, { headers, body })).status, path).toBe(401)
      for (const h of [clerk, manager]) {
        const res = await ctx.call(method, path, { headers: { ...h, ...headers }, body })
        expect(res.status, `${method} ${path}`).toBe(403)
        expect(res.json.error.code).toBe('FORBIDDEN')
      }
    }
  })
})
