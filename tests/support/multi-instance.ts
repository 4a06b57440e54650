import { randomBytes, randomInt } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { luhnCheckDigit } from '@membercard/shared'
import { systemClock } from '../../server/src/clock.ts'
import { openPg, type PostgresDatabase } from '../../server/src/db/pg.ts'
import { createLineStandIn, type LineStandIn } from '../../server/src/line/stand-in.ts'
import { hashPin } from '../../server/src/services/pin.ts'
import { createStaffService } from '../../server/src/services/staff.ts'
import { type PgCluster, startPgCluster } from '../../server/test/support/pg-cluster.ts'
import { type RunningServer, removeDataDir, startServer } from './server.ts'

/**
 * Several real server processes on one throwaway PostgreSQL, with one stand-in LINE served
 * by the test process, and the test's own connection to the same database for seeding and
 * for checking what the instances wrote.
 */

export const CHANNEL_ID = '1234567890'
export const ISSUER = 'https://access.line.me'
export const STAFF = { staffId: 'mi-clerk', storeCode: 'S100', password: 'mi-password-1' }

export interface Fleet {
  cluster: PgCluster
  /** The URL every instance has as `DATABASE_URL`. */
  databaseUrl: string
  /** The test's own pool on the instances' database. */
  db: PostgresDatabase
  line: LineStandIn
  instances: RunningServer[]
  /** The key the instances hash PINs with (`PIN_HASH_SECRET`). */
  pinKey: Buffer
  /** The last part of every instance's output (for a failure report). */
  outputs(): string
  close(): Promise<void>
}

/**
 * Starts PostgreSQL, the stand-in LINE and `n` instances at the same moment on one empty
 * database (they migrate it under the migration lock), then a staff account.
 */
export async function startFleet(
  n: number,
  opts: {
    /** Settings of every instance (over the fleet's own). */
    env?: Record<string, string>
    /** Settings of instance `i` alone (over the others). */
    instanceEnv?: (i: number, databaseUrl: string) => Record<string, string>
    /** Runs once the database exists, before any instance starts. */
    beforeStart?: (cluster: PgCluster, databaseUrl: string) => Promise<void>
  } = {},
): Promise<Fleet> {
  const cluster = await startPgCluster({ maxConnections: 100 })
  const closers: (() => Promise<void> | void)[] = [() => cluster.stop()]
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      try {
        await close()
      } catch {
        // Closing the rest matters more than why one did not close.
      }
    }
  }
  try {
    const databaseUrl = await cluster.createDatabase('membercard_fleet')
    const line = await createLineStandIn({ issuer: ISSUER, channelId: CHANNEL_ID })
    const lineServer = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: line.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
    })
    closers.push(() => new Promise<void>((done) => lineServer.close(() => done())))
    const lineBase = `http://127.0.0.1:${(lineServer.address() as AddressInfo).port}`
    const pinSecret = randomBytes(32).toString('hex')
    const instanceEnv = {
      DATABASE_URL: databaseUrl,
      PIN_HASH_SECRET: pinSecret,
      QR_TOKEN_SECRET: randomBytes(32).toString('hex'),
      LINE_LOGIN_CHANNEL_ID: CHANNEL_ID,
      LIFF_ID: `${CHANNEL_ID}-multiins`,
      LINE_API_BASE: lineBase,
      LINE_API_DATA_BASE: lineBase,
      LINE_MESSAGING_ACCESS_TOKEN: 'multi-instance-access-token',
      LINE_MESSAGING_CHANNEL_SECRET: 'multi-instance-channel-secret',
      // The `listening` line (info) tells startServer the URL.
      LOG_LEVEL: 'info',
      ...opts.env,
    }
    await opts.beforeStart?.(cluster, databaseUrl)
    const started = await Promise.allSettled(
      Array.from({ length: n }, (_, i) =>
        startServer({
          env: { ...instanceEnv, ...opts.instanceEnv?.(i, databaseUrl) },
          timeoutMs: 90_000,
        }),
      ),
    )
    const instances: RunningServer[] = []
    for (const s of started) {
      if (s.status === 'fulfilled') {
        instances.push(s.value)
        closers.push(async () => {
          await s.value.stop()
          removeDataDir(s.value.dataDir)
        })
      }
    }
    const failed = started.find((s) => s.status === 'rejected')
    if (failed) throw (failed as PromiseRejectedResult).reason
    const db = await openPg(databaseUrl, { max: 6 })
    closers.push(() => db.close())
    await createStaffService({ db, clock: systemClock }).upsert({
      staffId: STAFF.staffId,
      storeCode: STAFF.storeCode,
      storeName: 'マルチ店',
      role: 'clerk',
      password: STAFF.password,
    })
    return {
      cluster,
      databaseUrl,
      db,
      line,
      instances,
      pinKey: Buffer.from(pinSecret, 'hex'),
      outputs: () =>
        instances
          .map((s, i) => `--- instance ${i} (pid ${s.process.pid}) ---\n${s.output().slice(-4000)}`)
          .join('\n'),
      close: closeAll,
    }
  } catch (err) {
    await closeAll()
    throw err
  }
}

/** An HTTP answer, its body parsed when it is JSON. */
export interface Answer {
  status: number
  headers: Headers
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect answers of many shapes
  json: any
}

/**
 * One request; rejects on a network error and on no answer within `timeoutMs` (a hung
 * socket fails the test instead of stalling it).
 */
export async function request(
  base: string,
  method: string,
  path: string,
  o: { headers?: Record<string, string>; body?: unknown; timeoutMs?: number } = {},
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(o.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...o.headers,
    },
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
    signal: AbortSignal.timeout(o.timeoutMs ?? 20_000),
  })
  const text = await res.text()
  let json: unknown = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    json = text
  }
  return { status: res.status, headers: res.headers, json }
}

/** A point card as imported: a valid number, a PIN hashed as the instances hash it. */
export async function addCard(
  db: PostgresDatabase,
  pinKey: Buffer,
  o: { points?: number; pin?: string } = {},
): Promise<{ cardId: number; cardNumber: string; pin: string }> {
  const body = `1${String(randomInt(0, 1e7)).padStart(7, '0')}${String(randomInt(0, 1e7)).padStart(7, '0')}`
  const cardNumber = body + luhnCheckDigit(body)
  const pin = o.pin ?? '1234'
  const points = o.points ?? 0
  const now = Date.now()
  const { rows } = await db.pool.query<{ id: number }>(
    `INSERT INTO point_cards (card_number, pin_hash, name, rank, points, source, created_at, updated_at)
     VALUES ($1, $2, 'マルチ 花子', 'regular', $3, 'import', $4, $4) RETURNING id`,
    [cardNumber, hashPin(pinKey, cardNumber, pin), points, now],
  )
  const cardId = rows[0]?.id
  if (cardId === undefined) throw new Error('no card id')
  if (points > 0) {
    await db.pool.query(
      `INSERT INTO ledger (card_id, type, points, balance_after, created_at)
       VALUES ($1, 'import', $2, $2, $3)`,
      [cardId, points, now],
    )
  }
  return { cardId, cardNumber, pin }
}

/** A card's stored balance and the sum of its ledger. */
export async function balances(
  db: PostgresDatabase,
  cardId: number,
): Promise<{ stored: number; ledger: number }> {
  const { rows } = await db.pool.query<{ stored: number; ledger: number }>(
    `SELECT points AS stored,
       (SELECT CAST(coalesce(sum(points), 0) AS BIGINT) FROM ledger WHERE card_id = $1) AS ledger
     FROM point_cards WHERE id = $1`,
    [cardId],
  )
  const row = rows[0]
  if (!row) throw new Error(`no card ${cardId}`)
  return row
}

/** How many ledger rows carry each of `keys` (keys with none are left out). */
export async function ledgerRowsByKey(
  db: PostgresDatabase,
  keys: string[],
): Promise<Map<string, number>> {
  const { rows } = await db.pool.query<{ key: string; n: number }>(
    `SELECT idempotency_key AS key, count(*) AS n FROM ledger
     WHERE idempotency_key = ANY($1::text[]) GROUP BY idempotency_key`,
    [keys],
  )
  return new Map(rows.map((r) => [r.key, r.n]))
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
