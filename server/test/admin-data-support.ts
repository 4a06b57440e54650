import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { luhnCheckDigit } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import { expect } from 'vitest'
import type { Clock } from '../src/clock.ts'
import type { Database } from '../src/db/seam.ts'
import type { Secrets } from '../src/secrets.ts'
import { importCards } from '../src/services/card-import.ts'
import { createDailyStats } from '../src/services/daily-stats.ts'
import { createStaffService } from '../src/services/staff.ts'
import { type CallOptions, row } from './support.ts'

/** What the admin data tests need of a test context (plain or with the Messaging API). */
export interface AppContext {
  db: Database
  clock: Clock
  secrets: Secrets
  call(method: string, path: string, o?: CallOptions): Promise<{ status: number; json: any }>
}

/** A valid 16-digit card number from a 15-digit body. */
export const cardNumberOf = (body: string) => body + luhnCheckDigit(body)

/** Imports cards through the real import (counted by the dashboard); their ids by number. */
export async function importMembers(
  ctx: AppContext,
  cards: { cardNumber: string; name: string; points: number; pin?: string }[],
): Promise<Map<string, number>> {
  const csv = `card_number,pin,name,points\n${cards
    .map((c) => `${c.cardNumber},${c.pin ?? '1234'},${c.name},${c.points}`)
    .join('\n')}\n`
  const res = await importCards(
    ctx.db,
    ctx.secrets.pinHashKey,
    Readable.from([csv]),
    ctx.clock.now(),
    createDailyStats('Asia/Tokyo'),
  )
  expect(res.errors).toEqual([])
  const ids = new Map<string, number>()
  for (const c of cards) {
    const found = await row<{ id: number }>(
      ctx.db,
      sql`SELECT id FROM point_cards WHERE card_number = ${c.cardNumber}`,
    )
    ids.set(c.cardNumber, Number(found?.id))
  }
  return ids
}

export type Role = 'clerk' | 'manager' | 'operator' | 'admin'

/** Creates (or updates) a staff account and signs it in: JSON headers with its bearer token. */
export async function signIn(
  ctx: AppContext,
  staffId: string,
  role: Role,
  storeCode?: string,
): Promise<Record<string, string>> {
  const password = 'admin-data-password'
  await createStaffService({ db: ctx.db, clock: ctx.clock, secrets: ctx.secrets }).upsert({
    staffId,
    role,
    password,
    ...(storeCode ? { storeCode, storeName: `Store ${storeCode}` } : {}),
  })
  const res = await ctx.call('POST', '/api/staff/login', {
    headers: { 'Content-Type': 'application/json' },
    body: { staffId, password },
  })
  expect(res.status, JSON.stringify(res.json)).toBe(200)
  return { Authorization: `Bearer ${res.json.token}`, 'Content-Type': 'application/json' }
}

/** A POST with a fresh (or the given) Idempotency-Key. */
export function keyed(
  ctx: AppContext,
  headers: Record<string, string>,
  path: string,
  body: unknown,
  key: string = randomUUID(),
) {
  return ctx.call('POST', path, { headers: { ...headers, 'Idempotency-Key': key }, body })
}

/** The instant of a wall-clock time in Tokyo (UTC+9). */
export const tokyo = (date: string, time: string) => Date.parse(`${date}T${time}:00+09:00`)
