import { spawnSync } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { luhnCheckDigit } from '@membercard/shared'
import fc from 'fast-check'
import { openSqlite } from '../../server/src/db/sqlite.ts'
import { ROOT, type RunningServer } from '../support/server.ts'

/** A generated point card (number with a valid check digit, PIN, starting points). */
export interface TestCard {
  cardNumber: string
  pin: string
  points: number
}

/** A LINE user linked to a card, with its ID token and a long-lived QR token. */
export interface LinkedMember {
  sub: string
  idToken: string
  card: TestCard
  qrToken: string
}

/** `n` distinct cards under a 7-digit `series` (so files of different tests never collide). */
export function makeCards(n: number, series: number, points = 1000): TestCard[] {
  return Array.from({ length: n }, (_, i) => {
    const body = `7${String(series).padStart(7, '0')}${String(i).padStart(7, '0')}`
    return {
      cardNumber: body + luhnCheckDigit(body),
      pin: String((i * 7919) % 10_000).padStart(4, '0'),
      points,
    }
  })
}

/**
 * Imports `cards` into the server's database with the real CLI (`pnpm cards:import` runs the
 * same file), sharing the server's secrets file; the running server sees them at once (WAL).
 */
export function importCards(server: RunningServer, cards: TestCard[]): void {
  const file = join(server.dataDir, `cards-${randomUUID()}.csv`)
  const lines = ['card_number,pin,name,points,rank']
  cards.forEach((c, i) => {
    lines.push(`${c.cardNumber},${c.pin},Member ${i},${c.points},regular`)
  })
  writeFileSync(file, `${lines.join('\n')}\n`)
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'server/src/cli/cards-import.ts', file],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATABASE_PATH: server.databasePath, LOG_LEVEL: 'warn' },
      encoding: 'utf8',
    },
  )
  if (res.status !== 0) throw new Error(`import failed: ${res.stderr}${res.stdout}`)
}

/** A random LINE user ID. */
export function randomSub(): string {
  return `U${randomBytes(16).toString('hex')}`
}

/** An ID token for `sub`, signed by the demo stand-in LINE of the server. */
export async function idTokenFor(url: string, sub: string): Promise<string> {
  const res = await fetch(`${url}/__line/demo/id-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub }),
  })
  if (res.status !== 200) throw new Error(`id-token: ${res.status}`)
  return ((await res.json()) as { idToken: string }).idToken
}

/** JSON request helper: status and parsed body (or null). */
export async function call(
  url: string,
  path: string,
  init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = { ...init.headers }
  if (init.token) headers.authorization = `Bearer ${init.token}`
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  const method = init.method ?? (init.body === undefined ? 'GET' : 'POST')
  const send = () =>
    fetch(`${url}${path}`, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    })
  let res: Response
  try {
    res = await send()
  } catch (err) {
    // A kept-alive socket closed under the request (the server's idle timeout racing a reuse):
    // a GET, or a write carrying an Idempotency-Key, is safe to send again, as a till does.
    const idempotent =
      method === 'GET' || Object.keys(headers).some((h) => h.toLowerCase() === 'idempotency-key')
    if (!idempotent) throw err
    console.warn(
      `${method} ${path}: resent after ${(err as Error & { cause?: Error }).cause?.message ?? err}`,
    )
    res = await send()
  }
  const text = await res.text()
  let body: unknown = null
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    body = text
  }
  return { status: res.status, body, headers: res.headers }
}

/** Links a fresh LINE user to `card` and fetches a QR token for it. */
export async function linkMember(url: string, card: TestCard): Promise<LinkedMember> {
  const sub = randomSub()
  const idToken = await idTokenFor(url, sub)
  const link = await call(url, '/api/link', {
    token: idToken,
    body: {
      cardNumber: card.cardNumber,
      pin: card.pin,
      consent: { version: '2026-11-01', accepted: true },
    },
  })
  if (link.status !== 201) throw new Error(`link: ${link.status} ${JSON.stringify(link.body)}`)
  const qr = await call(url, '/api/card/qr', { token: idToken })
  if (qr.status !== 200) throw new Error(`qr: ${qr.status}`)
  return { sub, idToken, card, qrToken: (qr.body as { token: string }).token }
}

/** Links a fresh LINE user to each card, a few at a time; in the order of `cards`. */
export async function linkMembers(url: string, cards: TestCard[]): Promise<LinkedMember[]> {
  const out: LinkedMember[] = new Array(cards.length)
  let next = 0
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      while (next < cards.length) {
        const i = next++
        out[i] = await linkMember(url, cards[i]!)
      }
    }),
  )
  return out
}

/** Signs the demo clerk in at the till. */
export async function staffToken(
  url: string,
  staffId = 'demo-clerk',
  password = 'demo-clerk-pass',
): Promise<string> {
  const res = await call(url, '/api/staff/login', { body: { staffId, password } })
  if (res.status !== 200) throw new Error(`staff login: ${res.status}`)
  return (res.body as { token: string }).token
}

/** Opens the server's database file directly (for checks after the fact). */
export function openDb(path: string) {
  return openSqlite(path).sqlite
}

/** Cards whose balance differs from the sum of their ledger, or is negative: must be none. */
export function ledgerMismatches(sqlite: ReturnType<typeof openDb>) {
  return sqlite
    .prepare(
      `SELECT c.id, c.points, coalesce(sum(l.points), 0) AS sum
         FROM point_cards c LEFT JOIN ledger l ON l.card_id = c.id
        GROUP BY c.id HAVING c.points <> coalesce(sum(l.points), 0) OR c.points < 0`,
    )
    .all() as { id: number; points: number; sum: number }[]
}

/** Current resident memory of a process, in KiB (Linux). */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const m = /VmRSS:\s+(\d+)/.exec(status)
  return m?.[1] ? Number(m[1]) : Number.NaN
}

/**
 * `fc.assert` that can be replayed: the seed comes from `FC_SEED` (else fast-check picks one)
 * and `FC_PATH` starts at a recorded counterexample. A failure's message ends with the exact
 * `FC_SEED=… FC_PATH=…` to set to run the same case again.
 */
export async function assertReplayable<Ts>(
  property: fc.IAsyncProperty<Ts> | fc.IProperty<Ts>,
  params: fc.Parameters<Ts> = {},
): Promise<void> {
  const seed = process.env.FC_SEED
  const path = process.env.FC_PATH
  const details = await fc.check(property, {
    ...params,
    ...(seed ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
  })
  if (!details.failed) return
  const replay = `FC_SEED=${details.seed}${details.counterexamplePath ? ` FC_PATH=${details.counterexamplePath}` : ''}`
  throw new Error(`${fc.defaultReportMessage(details)}\n\nReplay this case: ${replay}`, {
    cause: details.errorInstance,
  })
}
