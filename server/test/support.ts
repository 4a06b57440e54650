import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { luhnCheckDigit } from '@membercard/shared'
import { type SQL, sql } from 'drizzle-orm'
import { afterAll } from 'vitest'
import { createApp } from '../src/app.ts'
import { fakeClock } from '../src/clock.ts'
import { loadConfig } from '../src/config.ts'
import { openPg } from '../src/db/pg.ts'
import type { Database } from '../src/db/seam.ts'
import { openSqlite } from '../src/db/sqlite.ts'
import { createRequestListener } from '../src/http/node-listener.ts'
import { createLineStandIn, type MintOptions, randomUserId } from '../src/line/stand-in.ts'
import { memoryLogger } from '../src/logger.ts'
import { loadSecrets, type Secrets } from '../src/secrets.ts'
import { hashPin } from '../src/services/pin.ts'
import { freshPgDatabase } from './support/pg-database.ts'

export const CHANNEL_ID = '1234567890'
export const ISSUER = 'https://access.line.me'

/** The stand-in LINE on a loopback port, shared by a test file and closed after it. */
export async function startStandIn(clock = fakeClock()) {
  const line = await createLineStandIn({
    issuer: ISSUER,
    channelId: CHANNEL_ID,
    now: () => clock.now(),
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: line.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  const port = (server.address() as AddressInfo).port
  afterAll(() => {
    server.close()
  })
  return { line, clock, base: `http://127.0.0.1:${port}` }
}

/** True when this run's tests use PostgreSQL (the `server-pg` project). */
export const ON_POSTGRES = process.env.TEST_DATABASE === 'postgres'

/**
 * A fresh database for a test file, closed (and on PostgreSQL dropped) after it: a copy of the
 * run's migrated template on PostgreSQL (`TEST_DATABASE=postgres`), else SQLite at `path`.
 */
export async function openTestDatabase(
  path = ':memory:',
  /** PostgreSQL only: `0` waits for a connection without a timer (for tests faking timers). */
  pg: { connectTimeoutMs?: number } = {},
): Promise<Database> {
  if (!ON_POSTGRES) {
    const db = openSqlite(path)
    afterAll(() => db.close())
    return db
  }
  const fresh = await freshPgDatabase()
  const db = await openPg(fresh.url, pg)
  afterAll(async () => {
    await db.close()
    await fresh.drop()
  })
  return db
}

/**
 * A fresh app on a fresh in-memory database (migrated by the real migrations), with a fake
 * clock and the stand-in LINE, configured as a real LINE channel would be.
 */
export async function createTestContext(
  opts: {
    env?: Record<string, string>
    databasePath?: string
    secrets?: Secrets
    /** An open database to use (closed by whoever opened it) instead of a fresh one. */
    db?: Database
  } = {},
) {
  const { line, clock, base } = await startStandIn()
  const config = loadConfig({
    LINE_LOGIN_CHANNEL_ID: CHANNEL_ID,
    LINE_API_BASE: base,
    LINE_AUTHORIZE_URL: `${base}/oauth2/v2.1/authorize`,
    DATABASE_PATH: opts.databasePath ?? ':memory:',
    SECRETS_PATH: ':memory:',
    ...opts.env,
  })
  const db = opts.db ?? (await openTestDatabase(config.databasePath))
  const secrets = opts.secrets ?? loadSecrets(':memory:')
  const logger = memoryLogger()
  const app = createApp({ db, clock, config, secrets, logger })

  /** Headers of a signed-in LINE user (a token minted by the stand-in). */
  async function userHeaders(sub: string, mint: MintOptions = {}) {
    const token = await line.mintIdToken({ sub, ...mint })
    return { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
  }

  const call = (method: string, path: string, o: CallOptions = {}) => callApp(app, method, path, o)

  // The app behind the production Node layer (http/node-listener.ts: request IDs and the API's
  // security headers), on a loopback port opened at the first call.
  let served: Promise<string> | undefined
  const callServed = async (method: string, path: string, o: CallOptions = {}) => {
    served ??= serveApp(app)
    const base = await served
    return callApp({ request: (p, init) => fetch(`${base}${p}`, init) }, method, path, o)
  }

  return {
    app,
    /** The stand-in LINE's base URL. */
    lineBase: base,
    db,
    clock,
    config,
    secrets,
    line,
    logger,
    userHeaders,
    call,
    callServed,
    newUser: randomUserId,
  }
}

export type TestContext = Awaited<ReturnType<typeof createTestContext>>

/**
 * Serves `app` as index.ts does (through createRequestListener) on a loopback port until the
 * test file ends; returns its base URL.
 */
export async function serveApp(app: { fetch: Parameters<typeof createRequestListener>[0] }) {
  const server = createServer(createRequestListener(app.fetch))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  afterAll(() => {
    server.close()
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Headers and a body (an object is sent as JSON) for `callApp`. */
export interface CallOptions {
  headers?: Record<string, string>
  body?: unknown
}

/** Calls the app in-process and parses the answer (JSON when it is JSON). */
export async function callApp(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  method: string,
  path: string,
  o: CallOptions = {},
) {
  const res = await app.request(path, {
    method,
    headers: o.headers,
    body:
      o.body === undefined
        ? undefined
        : typeof o.body === 'string'
          ? o.body
          : JSON.stringify(o.body),
  })
  const text = await res.text()
  let json: unknown = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    json = text
  }
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect answers of many shapes
  return { status: res.status, headers: res.headers, json: json as any, text }
}

let cardSeq = 0
/** Inserts a point card with a PIN and returns its number. */
export async function addCard(
  db: Database,
  secrets: Secrets,
  o: { pin?: string; points?: number; name?: string; rank?: string } = {},
) {
  cardSeq++
  const body = `1${String(Date.now() % 1e6).padStart(6, '0')}${String(cardSeq).padStart(8, '0')}`
  const cardNumber = body + luhnCheckDigit(body)
  const pin = o.pin ?? '1234'
  const now = Date.now()
  const points = o.points ?? 0
  const [card] = await db.execute<{ id: number }>(
    sql`INSERT INTO point_cards (card_number, pin_hash, name, rank, points, source, created_at, updated_at)
       VALUES (${cardNumber}, ${hashPin(secrets.pinHashKey, cardNumber, pin)}, ${o.name ?? 'テスト 花子'},
         ${o.rank ?? 'regular'}, ${points}, 'import', ${now}, ${now})
       RETURNING id`,
  )
  if (!card) throw new Error('no card id')
  if (points > 0) {
    await db.execute(
      sql`INSERT INTO ledger (card_id, type, points, balance_after, created_at)
        VALUES (${card.id}, 'import', ${points}, ${points}, ${now})`,
    )
  }
  return { cardNumber, pin, cardId: card.id }
}

/** A valid link body for `cardNumber` and `pin`. */
export function linkBody(cardNumber: string, pin: string, accepted = true) {
  return { cardNumber, pin, consent: { version: '2026-11-01', accepted } }
}

/** Sum of a card's ledger and its stored balance. */
export async function balances(db: Database, cardId: number) {
  const [sum] = await db.execute<{ s: number }>(
    sql`SELECT CAST(coalesce(sum(points), 0) AS BIGINT) AS s FROM ledger WHERE card_id = ${cardId}`,
  )
  const [card] = await db.execute<{ points: number }>(
    sql`SELECT points FROM point_cards WHERE id = ${cardId}`,
  )
  return { ledger: Number(sum?.s), stored: card?.points }
}

/** The first row of a statement (either dialect). */
export async function row<T>(db: Database, statement: SQL): Promise<T | undefined> {
  return (await db.execute<T>(statement))[0]
}
