import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { DEMO_STORE } from '../src/demo.ts'
import { checkQrToken, issueQrToken } from '../src/services/qr-token.ts'
import { createStaffService } from '../src/services/staff.ts'
import { addCard, createTestContext, linkBody } from './support.ts'

const ctx = await createTestContext({ env: { CARD_TOKEN_TTL_SECONDS: '60' } })
const { db, secrets, call } = ctx
const staffService = createStaffService({ db, clock: ctx.clock })
await staffService.upsert({
  staffId: 'clerk-1',
  storeCode: DEMO_STORE.code,
  role: 'clerk',
  password: 'correct horse',
})

async function staffHeaders() {
  const res = await call('POST', '/api/staff/login', {
    headers: { 'Content-Type': 'application/json' },
    body: { staffId: 'clerk-1', password: 'correct horse' },
  })
  expect(res.status).toBe(200)
  return { Authorization: `Bearer ${res.json.token}`, 'Content-Type': 'application/json' }
}

async function linkedUser() {
  const card = await addCard(db, secrets, { name: '佐藤 一郎', points: 10 })
  const user = ctx.newUser()
  const headers = await ctx.userHeaders(user)
  expect(
    (await call('POST', '/api/link', { headers, body: linkBody(card.cardNumber, card.pin) }))
      .status,
  ).toBe(201)
  return { card, user, headers }
}

describe('GET /api/card/qr', () => {
  it('issues a short token (≤ 80 characters, QR alphanumeric) that expires after CARD_TOKEN_TTL_SECONDS', async () => {
    const { headers } = await linkedUser()
    // Through the production Node layer, which sends `Cache-Control: no-store` with every API answer.
    const res = await ctx.callServed('GET', '/api/card/qr', { headers })
    expect(res.status).toBe(200)
    expect(res.json.token.length).toBeLessThanOrEqual(80)
    expect(res.json.token).toMatch(/^[A-Z2-7]+$/)
    expect(Date.parse(res.json.expiresAt) - ctx.clock.now()).toBeLessThanOrEqual(60_000)
    expect(Date.parse(res.json.expiresAt) - ctx.clock.now()).toBeGreaterThan(58_000)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
  })

  it('reveals no personal data: neither the card number nor the name is in the token', async () => {
    const { headers, card } = await linkedUser()
    const { token } = (await call('GET', '/api/card/qr', { headers })).json
    const { base32nopad } = await import('@scure/base')
    const raw = Buffer.from(base32nopad.decode(token))
    expect(raw.toString('latin1')).not.toContain(card.cardNumber.slice(-8))
    expect(raw.includes(Buffer.from('佐藤'))).toBe(false)
  })

  it('answers 404 NOT_LINKED for a user with no card', async () => {
    const res = await call('GET', '/api/card/qr', { headers: await ctx.userHeaders(ctx.newUser()) })
    expect(res.status).toBe(404)
    expect(res.json.error.code).toBe('NOT_LINKED')
  })
})

describe('POST /api/staff/scan', () => {
  it('shows the member behind a fresh token', async () => {
    const { headers, card } = await linkedUser()
    const { token } = (await call('GET', '/api/card/qr', { headers })).json
    const res = await call('POST', '/api/staff/scan', {
      headers: await staffHeaders(),
      body: { qrToken: token },
    })
    expect(res.status).toBe(200)
    expect(res.json.member).toEqual({
      cardNumber: `************${card.cardNumber.slice(-4)}`,
      name: '佐藤 一郎',
      points: 210,
      rank: 'regular',
    })
  })

  it('answers 410 QR_EXPIRED after the lifetime (a photographed code is useless)', async () => {
    const { headers } = await linkedUser()
    const { token } = (await call('GET', '/api/card/qr', { headers })).json
    const staff = await staffHeaders()
    ctx.clock.advance(61_000)
    const res = await call('POST', '/api/staff/scan', { headers: staff, body: { qrToken: token } })
    expect(res.status).toBe(410)
    expect(res.json.error.code).toBe('QR_EXPIRED')
  })

  it('answers 400 QR_INVALID for a tampered, truncated or foreign token', async () => {
    const { headers } = await linkedUser()
    const { token } = (await call('GET', '/api/card/qr', { headers })).json as { token: string }
    const staff = await staffHeaders()
    const flip = (i: number) =>
      token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1)
    for (const bad of [
      flip(2),
      flip(10),
      flip(30),
      token.slice(0, -1),
      `${token}A`,
      'hello',
      'https://example.com/x',
    ]) {
      const res = await call('POST', '/api/staff/scan', { headers: staff, body: { qrToken: bad } })
      expect(res.status, bad).toBe(400)
      expect(res.json.error.code).toBe('QR_INVALID')
    }
    // signed with another key
    const foreign = issueQrToken(Buffer.alloc(32, 7), 1, Math.floor(ctx.clock.now() / 1000) + 60)
    expect(
      (await call('POST', '/api/staff/scan', { headers: staff, body: { qrToken: foreign } }))
        .status,
    ).toBe(400)
  })

  it('refuses the token once the member has unlinked', async () => {
    const { headers } = await linkedUser()
    const { token } = (await call('GET', '/api/card/qr', { headers })).json
    await call('DELETE', '/api/link', { headers })
    const res = await call('POST', '/api/staff/scan', {
      headers: await staffHeaders(),
      body: { qrToken: token },
    })
    expect(res.status).toBe(400)
    expect(res.json.error.code).toBe('QR_INVALID')
  })

  it('answers 401 without a staff token, and a signed-out token stops working', async () => {
    const none = await call('POST', '/api/staff/scan', {
      headers: { 'Content-Type': 'application/json' },
      body: { qrToken: 'X' },
    })
    expect(none.status).toBe(401)
    const staff = await staffHeaders()
    expect((await call('POST', '/api/staff/logout', { headers: staff })).status).toBe(204)
    expect(
      (await call('POST', '/api/staff/scan', { headers: staff, body: { qrToken: 'X' } })).status,
    ).toBe(401)
  })
})

describe('QR token codec', () => {
  it('round-trips and accepts lower case (a scanner may change case)', () => {
    const key = Buffer.alloc(32, 1)
    const token = issueQrToken(key, 4242, 2_000_000_000)
    const ok = checkQrToken(key, token.toLowerCase(), 1_000)
    expect(ok).toMatchObject({ ok: true, payload: { linkId: 4242, expiresAt: 2_000_000_000 } })
    expect(checkQrToken(key, token, 2_000_000_000_000)).toEqual({ ok: false, reason: 'expired' })
    expect(token).toHaveLength(36)
  })

  it('signs with HMAC-SHA256 truncated to 80 bits, as OpenSSL computes it, and refuses one bit changed', async () => {
    const { base32nopad } = await import('@scure/base')
    for (const key of [Buffer.alloc(32, 3), Buffer.alloc(32, 4)]) {
      const raw = Buffer.from(base32nopad.decode(issueQrToken(key, 99, 2_000_000_000)))
      const expected = createHmac('sha256', key).update(raw.subarray(0, 12)).digest()
      expect(raw.subarray(12).equals(expected.subarray(0, 10))).toBe(true)
      const tampered = Buffer.from(raw)
      tampered[1] = (tampered[1] ?? 0) ^ 1 // another link id, same MAC
      expect(checkQrToken(key, base32nopad.encode(tampered), 1_000)).toEqual({
        ok: false,
        reason: 'invalid',
      })
    }
    // a token of one key is refused under another
    const other = issueQrToken(Buffer.alloc(32, 3), 99, 2_000_000_000)
    expect(checkQrToken(Buffer.alloc(32, 4), other, 1_000)).toEqual({
      ok: false,
      reason: 'invalid',
    })
  })

  it('gives every token of one link and second its own id, across refills of the random pool', () => {
    const key = Buffer.alloc(32, 2)
    const ids = new Set<string>()
    // 3 random bytes each: 3,000 tokens draw on the 4,096-byte pool three times.
    for (let i = 0; i < 3_000; i++) {
      const check = checkQrToken(key, issueQrToken(key, 7, 2_000_000_000), 1_000)
      if (!check.ok) throw new Error('a token did not verify')
      ids.add(check.payload.tokenId)
    }
    // 24 random bits: among 3,000 tokens a repeat is possible but rare (p ≈ 0.27).
    expect(ids.size).toBeGreaterThan(2_990)
  })
})
