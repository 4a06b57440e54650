import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, expect } from 'vitest'
import { openPg } from '../src/db/pg.ts'
import type { Database } from '../src/db/seam.ts'
import { openSqlite } from '../src/db/sqlite.ts'
import { issueQrToken } from '../src/services/qr-token.ts'
import { createStaffService } from '../src/services/staff.ts'
import { freshPgDatabase } from './support/pg-database.ts'
import { addCard, balances, linkBody, ON_POSTGRES, row, type TestContext } from './support.ts'

/** Staff accounts the till tests sign in with. */
export const TILL_STAFF = {
  clerk: { staffId: 'till-clerk', storeCode: 'S001', role: 'clerk' as const },
  manager: { staffId: 'till-manager', storeCode: 'S001', role: 'manager' as const },
  otherManager: { staffId: 'other-manager', storeCode: 'S002', role: 'manager' as const },
}
export const TILL_PASSWORD = 'till-password-1'

/** Creates the till staff and signs each in; returns JSON headers with their tokens. */
export async function signInStaff(ctx: TestContext) {
  const service = createStaffService({ db: ctx.db, clock: ctx.clock })
  const out = {} as Record<keyof typeof TILL_STAFF, Record<string, string>>
  for (const [name, s] of Object.entries(TILL_STAFF)) {
    await service.upsert({ ...s, storeName: `Store ${s.storeCode}`, password: TILL_PASSWORD })
    const res = await ctx.call('POST', '/api/staff/login', {
      headers: { 'Content-Type': 'application/json' },
      body: { staffId: s.staffId, password: TILL_PASSWORD },
    })
    expect(res.status).toBe(200)
    out[name as keyof typeof TILL_STAFF] = {
      Authorization: `Bearer ${res.json.token}`,
      'Content-Type': 'application/json',
    }
  }
  return out
}

/** A card linked to a fresh LINE user through the real route; `qr()` issues a fresh token. */
export async function linkedMember(
  ctx: TestContext,
  o: { points?: number; rank?: string; name?: string } = {},
) {
  const card = await addCard(ctx.db, ctx.secrets, o)
  const user = ctx.newUser()
  const headers = await ctx.userHeaders(user)
  const res = await ctx.call('POST', '/api/link', {
    headers,
    body: linkBody(card.cardNumber, card.pin),
  })
  expect(res.status).toBe(201)
  const bonus = res.json.bonusPoints as number
  const link = await row<{ id: number }>(
    ctx.db,
    sql`SELECT id FROM line_links WHERE card_id = ${card.cardId} AND unlinked_at IS NULL`,
  )
  if (!link) throw new Error('no active link for the card just linked')
  return {
    ...card,
    user,
    headers,
    bonus,
    linkId: link.id,
    /** A QR token as `GET /api/card/qr` would issue now (through the real route). */
    async qr(): Promise<string> {
      const r = await ctx.call('GET', '/api/card/qr', { headers: await ctx.userHeaders(user) })
      expect(r.status).toBe(200)
      return r.json.token as string
    },
    /** A token issued directly (fast, for long generated sequences). */
    qrNow(): string {
      return issueQrToken(
        ctx.secrets.qrTokenKey,
        link.id,
        Math.floor(ctx.clock.now() / 1000) + ctx.config.cardTokenTtlSeconds,
      )
    },
  }
}

/** Calls a mutating staff route with a fresh (or the given) Idempotency-Key. */
export function tillCall(
  ctx: TestContext,
  staffHeaders: Record<string, string>,
  path: string,
  body: unknown,
  key: string = randomUUID(),
) {
  return ctx.call('POST', path, { headers: { ...staffHeaders, 'Idempotency-Key': key }, body })
}

/** The ledger sum and the stored balance of a card. */
export async function cardState(ctx: TestContext, cardId: number) {
  const { ledger, stored } = await balances(ctx.db, cardId)
  if (stored === undefined) throw new Error(`no card ${cardId}`)
  return { ledgerSum: ledger, balance: Number(stored) }
}

/**
 * A new database that can be opened again, as a restarted server process does: each call of
 * the returned function opens a new connection (SQLite: to the same file) or a new pool
 * (PostgreSQL: to the same database). Close each one; the database goes after the test file.
 */
export async function reopenableDatabase(): Promise<() => Promise<Database>> {
  if (ON_POSTGRES) {
    const fresh = await freshPgDatabase()
    afterAll(() => fresh.drop())
    return () => openPg(fresh.url)
  }
  const dir = mkdtempSync(join(tmpdir(), 'mc-reopen-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'membercard.db')
  return async () => openSqlite(path)
}
