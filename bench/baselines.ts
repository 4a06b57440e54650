// biome-ignore-all lint/style/noRestrictedGlobals: a bench entry point reads its own settings
/**
 * The baselines `pnpm bench` measures the product against, each started as its own process
 * exactly like the server (`node --import tsx`), on @hono/node-server:
 *
 * - `ceiling`: one route returning a small JSON: what this stack does with no work at all.
 * - `verify`:  one route that only verifies the bearer ES256 ID token with jose (the same
 *              remote key set, issuer, audience and algorithm checks the server makes).
 * - `write`:   one route that sends exactly the statements the server sends for a till award
 *              (bench/award-statements.ts, captured from the server: docs/decisions/075) with
 *              raw better-sqlite3 prepared statements and the server's pragmas (WAL,
 *              synchronous=FULL): the staff session and the Idempotency-Key look-ups, the QR
 *              token's check, then one IMMEDIATE transaction per award that claims the key,
 *              records the token's use, reads the linked card, moves the balance, appends the
 *              ledger row, marks the visit and adds to the daily counters, records the member's
 *              visit facts, queues the member's push notice (the server's own message) in the
 *              outbox and completes the key with the answer. (The server's group commit, which
 *              shares one commit among concurrent awards, is its own and not copied here.)
 * - `pg-write`: the same statements in the same order on PostgreSQL (where the server merges
 *              the balance move with the ledger insert, and the three visit facts, into one
 *              statement each, so does this: `PG_MERGED_SQL`), sent raw through
 *              node-postgres: a pool of 10 connections (the server's size), each statement a
 *              named prepared statement (as the server's are), the transaction one connection
 *              from BEGIN to COMMIT (READ COMMITTED), int8 parsed to numbers (as the server
 *              does), the daily counters on the server's shard (the card's id modulo 8).
 */
import { readFileSync } from 'node:fs'
import { serve } from '@hono/node-server'
import Database from 'better-sqlite3'
import { Hono } from 'hono'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import pg from 'pg'
import { checkQrToken } from '../server/src/services/qr-token.ts'
import {
  AWARD_SQL,
  type AwardInput,
  awardInput,
  type LinkedCardRow,
  ledgerValues,
  outboxValues,
  PG_MERGED_SQL,
  STAFF_IDLE_MS,
  type StaffRow,
  statsUpserts,
  tokenHash,
  tokyoDay,
} from './award-statements.ts'

const mode = process.argv[2]
const port = Number(process.env.BENCH_PORT ?? 0)
const app = new Hono()

if (mode === 'ceiling') {
  app.get('/json', (c) => c.json({ linked: true, member: { name: 'x', points: 1200 } }))
} else if (mode === 'verify') {
  const jwks = createRemoteJWKSet(new URL(process.env.BENCH_JWKS ?? ''))
  app.get('/verify', async (c) => {
    const token = (c.req.header('Authorization') ?? '').slice(7)
    try {
      const { payload } = await jwtVerify(token, jwks, {
        algorithms: ['ES256'],
        issuer: process.env.BENCH_ISSUER ?? '',
        audience: process.env.BENCH_AUD ?? '',
        requiredClaims: ['sub', 'exp', 'iat'],
      })
      return c.json({ linked: false, sub: payload.sub })
    } catch {
      return c.json({ error: { code: 'INVALID_ID_TOKEN', message: 'no' } }, 401)
    }
  })
} else if (mode === 'write') {
  const sqlite = new Database(process.env.BENCH_DB ?? '')
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('foreign_keys = ON')
  const secrets = JSON.parse(readFileSync(process.env.BENCH_SECRETS ?? '', 'utf8')) as {
    qrTokenKey: string
  }
  const qrKey = Buffer.from(secrets.qrTokenKey, 'hex')
  const s = Object.fromEntries(
    Object.entries(AWARD_SQL).map(([k, text]) => [k, sqlite.prepare(text)]),
  ) as Record<keyof typeof AWARD_SQL, Database.Statement>
  const award = sqlite.transaction((a: AwardInput) => {
    const now = Date.now()
    if (!s.claimKey.get(a.scope, a.key, a.hash, now)) throw new Error('key reused')
    if (!s.useQr.get(a.tokenId, a.scope, 0, a.qrExpiresAt)) throw new Error('QR used elsewhere')
    const c = s.linkedCard.get(a.linkId) as LinkedCardRow | undefined
    if (!c) throw new Error('not linked')
    const points = Math.floor(a.amount / 100)
    const moved = s.move.get(points, now, c.cardId, points) as { points: number } | undefined
    if (!moved) throw new Error('negative')
    const entry = s.ledger.get(...ledgerValues(c.cardId, points, moved.points, a, now)) as {
      id: number
    }
    const day = tokyoDay(now)
    const visit = s.markVisit.get(day, c.cardId, day) as { prev: number | null } | undefined
    for (const values of statsUpserts(day, a.scope, 0, points, a.amount, visit)) {
      s.addStats.run(...values)
    }
    s.visitDay.run(c.cardId, day)
    s.visitStore.run(c.cardId, a.scope)
    s.lastVisit.run(c.cardId, day, now)
    s.outbox.get(...outboxValues(c, a.storeName, entry.id, points, moved.points, now))
    s.webhookEndpoints.all()
    const body = { transactionId: String(entry.id), points, balance: moved.points }
    s.completeKey.run(200, JSON.stringify(body), a.scope, a.key)
    return body
  })
  app.post('/award', async (c) => {
    const token = (c.req.header('Authorization') ?? '').slice(7)
    const now = Date.now()
    const staff = s.session.get(tokenHash(token), now, now - STAFF_IDLE_MS) as StaffRow | undefined
    if (!staff) return c.json({ error: { code: 'STAFF_AUTH_REQUIRED', message: 'no' } }, 401)
    const key = c.req.header('Idempotency-Key') ?? ''
    if (s.findKey.get(staff.storeCode, key)) throw new Error('key reused')
    const raw = await c.req.text()
    const input = JSON.parse(raw) as { qrToken: string; purchaseAmount: number }
    const qr = checkQrToken(qrKey, input.qrToken, Date.now())
    if (!qr.ok) return c.json({ error: { code: 'QR_INVALID', message: 'no' } }, 400)
    return c.json(award.immediate(awardInput(staff, key, raw, input, qr.payload)))
  })
} else if (mode === 'pg-write') {
  pg.types.setTypeParser(20, (text) => Number(text))
  const pool = new pg.Pool({ connectionString: process.env.BENCH_PG_URL ?? '', max: 10 })
  const qrKey = Buffer.from(process.env.BENCH_QR_KEY ?? '', 'hex')
  /** Named prepared statements ($1, $2, … for SQLite's ?): parsed once per connection. */
  const s = Object.fromEntries(
    Object.entries({ ...AWARD_SQL, ...PG_MERGED_SQL }).map(([name, text]) => {
      let n = 0
      const numbered = text.replace(/\?/g, () => `$${++n}`)
      return [
        name,
        async (c: pg.Pool | pg.PoolClient, ...values: unknown[]) =>
          (await c.query({ name, text: numbered, values })).rows[0] as unknown,
      ]
    }),
  ) as Record<
    keyof typeof AWARD_SQL | keyof typeof PG_MERGED_SQL,
    (c: pg.Pool | pg.PoolClient, ...values: unknown[]) => Promise<unknown>
  >
  async function award(a: AwardInput) {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      const now = Date.now()
      if (!(await s.claimKey(client, a.scope, a.key, a.hash, now))) throw new Error('key reused')
      if (!(await s.useQr(client, a.tokenId, a.scope, 0, a.qrExpiresAt))) {
        throw new Error('QR used elsewhere')
      }
      const c = (await s.linkedCard(client, a.linkId)) as LinkedCardRow | undefined
      if (!c) throw new Error('not linked')
      const points = Math.floor(a.amount / 100)
      const values = ledgerValues(c.cardId, points, 0, a, now)
      values.splice(3, 1) // the balance comes from the card's UPDATE
      const entry = (await s.moveAndLedger(client, points, now, c.cardId, points, ...values)) as
        | { id: number; balance: number }
        | undefined
      if (!entry) throw new Error('negative')
      const moved = { points: entry.balance }
      const day = tokyoDay(now)
      const visit = (await s.markVisit(client, day, c.cardId, day)) as
        | { prev: number | null }
        | undefined
      // The server's shard of a card's counters on PostgreSQL: its id modulo 8.
      for (const values of statsUpserts(day, a.scope, c.cardId % 8, points, a.amount, visit)) {
        await s.addStats(client, ...values)
      }
      await s.visit(client, c.cardId, day, c.cardId, a.scope, c.cardId, day, now)
      await s.outbox(client, ...outboxValues(c, a.storeName, entry.id, points, moved.points, now))
      await s.webhookEndpoints(client)
      const body = { transactionId: String(entry.id), points, balance: moved.points }
      await s.completeKey(client, 200, JSON.stringify(body), a.scope, a.key)
      await client.query('COMMIT')
      return body
    } catch (err) {
      await client.query('ROLLBACK')
      throw err
    } finally {
      client.release()
    }
  }
  app.post('/award', async (c) => {
    const token = (c.req.header('Authorization') ?? '').slice(7)
    const now = Date.now()
    const staff = (await s.session(pool, tokenHash(token), now, now - STAFF_IDLE_MS)) as
      | StaffRow
      | undefined
    if (!staff) return c.json({ error: { code: 'STAFF_AUTH_REQUIRED', message: 'no' } }, 401)
    const key = c.req.header('Idempotency-Key') ?? ''
    if (await s.findKey(pool, staff.storeCode, key)) throw new Error('key reused')
    const raw = await c.req.text()
    const input = JSON.parse(raw) as { qrToken: string; purchaseAmount: number }
    const qr = checkQrToken(qrKey, input.qrToken, Date.now())
    if (!qr.ok) return c.json({ error: { code: 'QR_INVALID', message: 'no' } }, 400)
    return c.json(await award(awardInput(staff, key, raw, input, qr.payload)))
  })
} else {
  console.error('usage: baselines.ts ceiling|verify|write|pg-write')
  process.exit(2)
}

serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on ${info.port}`)
})
process.on('SIGTERM', () => process.exit(0))
