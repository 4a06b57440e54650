// biome-ignore-all lint/style/noRestrictedGlobals: a bench entry point reads its own settings
/**
 * The baselines `pnpm bench` measures the product against, each started as its own process
 * exactly like the server (`node --import tsx`), on @hono/node-server:
 *
 * - `ceiling`: one route returning a small JSON: what this stack does with no work at all.
 * - `verify`:  one route that only verifies the bearer ES256 ID token with jose (the same
 *              remote key set, issuer, audience and algorithm checks the server makes).
 * - `write`:   one route that runs the SQL of a till award with raw better-sqlite3 prepared
 *              statements and the server's pragmas (WAL, synchronous=FULL): the staff session
 *              look-up, the idempotency look-up, the link look-up, then one IMMEDIATE
 *              transaction that re-checks the key, reads the card, moves the balance, appends
 *              the ledger row, queues the member's push notice in the outbox (as the server's
 *              ledger hook does) and writes the idempotency record with the answer.
 * - `pg-write`: the same statements on PostgreSQL, sent raw through node-postgres: a pool of
 *              10 connections (the server's size), each statement a named prepared statement
 *              (as the server's are), the transaction one connection from BEGIN to COMMIT
 *              (READ COMMITTED), int8 parsed to numbers (as the server does).
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { serve } from '@hono/node-server'
import Database from 'better-sqlite3'
import { Hono } from 'hono'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import pg from 'pg'
import { checkQrToken } from '../server/src/services/qr-token.ts'

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
  const session = sqlite.prepare<[string, number], { staff_id: string; store_code: string }>(
    `SELECT s.id AS staff_id, s.store_code, st.name FROM staff_sessions ss
       JOIN staff s ON s.id = ss.staff_id JOIN stores st ON st.code = s.store_code
      WHERE ss.token_hash = ? AND ss.revoked_at IS NULL AND ss.expires_at > ?`,
  )
  const findKey = sqlite.prepare(
    'SELECT request_hash, state FROM idempotency_keys WHERE scope = ? AND key = ?',
  )
  const insertKey = sqlite.prepare(
    `INSERT INTO idempotency_keys (scope, key, request_hash, state, response_status,
       response_body, created_at) VALUES (?, ?, ?, 'done', 200, ?, ?)`,
  )
  const link = sqlite.prepare<[number], { card_id: number }>(
    'SELECT card_id FROM line_links WHERE id = ? AND unlinked_at IS NULL',
  )
  const card = sqlite.prepare<[number], { rank: string; points: number }>(
    'SELECT id, card_number, name, rank, points FROM point_cards WHERE id = ?',
  )
  const move = sqlite.prepare<[number, number, number, number], { points: number }>(
    `UPDATE point_cards SET points = points + ?, last_activity_at = ?
       WHERE id = ? AND points + ? >= 0 RETURNING points`,
  )
  const ledger = sqlite.prepare(
    `INSERT INTO ledger (card_id, type, points, balance_after, store_code, staff_id,
       idempotency_key, qr_token_id, purchase_amount, created_at)
     VALUES (?, 'award', ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const linkedUser = sqlite.prepare<[number], { line_user_id: string }>(
    'SELECT line_user_id FROM line_links WHERE card_id = ? AND unlinked_at IS NULL',
  )
  const storeName = sqlite.prepare<[string], { name: string }>(
    'SELECT name FROM stores WHERE code = ?',
  )
  const outbox = sqlite.prepare(
    `INSERT INTO outbox (kind, line_user_id, payload, retry_key, next_attempt_at, created_at)
     VALUES ('push', ?, ?, ?, ?, ?) ON CONFLICT (retry_key) DO NOTHING`,
  )
  const award = sqlite.transaction(
    (
      cardId: number,
      amount: number,
      scope: string,
      staffId: string,
      key: string,
      hash: string,
      tid: string,
    ) => {
      const now = Date.now()
      if (findKey.get(scope, key)) throw new Error('key reused')
      const c = card.get(cardId)
      if (!c) throw new Error('no card')
      const points = Math.floor(amount / 100)
      const moved = move.get(points, now, cardId, points)
      if (!moved) throw new Error('negative')
      const info = ledger.run(cardId, points, moved.points, scope, staffId, key, tid, amount, now)
      const user = linkedUser.get(cardId)?.line_user_id ?? null
      const store = storeName.get(scope)?.name ?? null
      const message = {
        to: user,
        messages: [{ type: 'text', text: `${store}: +${points} (${moved.points})` }],
      }
      const id = String(info.lastInsertRowid)
      outbox.run(user, JSON.stringify(message), `ledger:${id}`, now, now)
      const body = { transactionId: id, points, balance: moved.points }
      insertKey.run(scope, key, hash, JSON.stringify(body), now)
      return body
    },
  )
  app.post('/award', async (c) => {
    const token = (c.req.header('Authorization') ?? '').slice(7)
    const staff = session.get(createHash('sha256').update(token).digest('base64url'), Date.now())
    if (!staff) return c.json({ error: { code: 'STAFF_AUTH_REQUIRED', message: 'no' } }, 401)
    const key = c.req.header('Idempotency-Key') ?? ''
    const raw = await c.req.text()
    const input = JSON.parse(raw) as { qrToken: string; purchaseAmount: number }
    const hash = createHash('sha256').update(raw).digest('base64url')
    if (findKey.get(staff.store_code, key)) throw new Error('key reused')
    const qr = checkQrToken(qrKey, input.qrToken, Date.now())
    if (!qr.ok) return c.json({ error: { code: 'QR_INVALID', message: 'no' } }, 400)
    const l = link.get(qr.payload.linkId)
    if (!l) return c.json({ error: { code: 'QR_INVALID', message: 'no' } }, 400)
    const body = award.immediate(
      l.card_id,
      input.purchaseAmount,
      staff.store_code,
      staff.staff_id,
      key,
      hash,
      qr.payload.tokenId,
    )
    return c.json(body)
  })
} else if (mode === 'pg-write') {
  pg.types.setTypeParser(20, (text) => Number(text))
  const pool = new pg.Pool({ connectionString: process.env.BENCH_PG_URL ?? '', max: 10 })
  const qrKey = Buffer.from(process.env.BENCH_QR_KEY ?? '', 'hex')
  /** A named prepared statement: parsed once per connection, like the server's. */
  const stmt = (name: string, text: string) => (c: pg.Pool | pg.PoolClient, values: unknown[]) =>
    c.query({ name, text, values })
  const session = stmt(
    'session',
    `SELECT s.id AS staff_id, s.store_code, st.name FROM staff_sessions ss
       JOIN staff s ON s.id = ss.staff_id JOIN stores st ON st.code = s.store_code
      WHERE ss.token_hash = $1 AND ss.revoked_at IS NULL AND ss.expires_at > $2`,
  )
  const findKey = stmt(
    'find_key',
    'SELECT request_hash, state FROM idempotency_keys WHERE scope = $1 AND key = $2',
  )
  const insertKey = stmt(
    'insert_key',
    `INSERT INTO idempotency_keys (scope, key, request_hash, state, response_status,
       response_body, created_at) VALUES ($1, $2, $3, 'done', 200, $4, $5)`,
  )
  const link = stmt('link', 'SELECT card_id FROM line_links WHERE id = $1 AND unlinked_at IS NULL')
  const card = stmt(
    'card',
    'SELECT id, card_number, name, rank, points FROM point_cards WHERE id = $1',
  )
  const move = stmt(
    'move',
    `UPDATE point_cards SET points = points + $1, last_activity_at = $2
       WHERE id = $3 AND points + $1 >= 0 RETURNING points`,
  )
  const ledger = stmt(
    'ledger',
    `INSERT INTO ledger (card_id, type, points, balance_after, store_code, staff_id,
       idempotency_key, qr_token_id, purchase_amount, created_at)
     VALUES ($1, 'award', $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
  )
  const linkedUser = stmt(
    'linked_user',
    'SELECT line_user_id FROM line_links WHERE card_id = $1 AND unlinked_at IS NULL',
  )
  const storeName = stmt('store_name', 'SELECT name FROM stores WHERE code = $1')
  const outbox = stmt(
    'outbox',
    `INSERT INTO outbox (kind, line_user_id, payload, retry_key, next_attempt_at, created_at)
     VALUES ('push', $1, $2, $3, $4, $5) ON CONFLICT (retry_key) DO NOTHING`,
  )
  async function award(
    cardId: number,
    amount: number,
    scope: string,
    staffId: string,
    key: string,
    hash: string,
    tid: string,
  ) {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      const now = Date.now()
      if ((await findKey(client, [scope, key])).rows[0]) throw new Error('key reused')
      const c = (await card(client, [cardId])).rows[0]
      if (!c) throw new Error('no card')
      const points = Math.floor(amount / 100)
      const moved = (await move(client, [points, now, cardId])).rows[0] as { points: number }
      if (!moved) throw new Error('negative')
      const entry = (
        await ledger(client, [cardId, points, moved.points, scope, staffId, key, tid, amount, now])
      ).rows[0] as { id: number }
      const user = (await linkedUser(client, [cardId])).rows[0]?.line_user_id ?? null
      const store = (await storeName(client, [scope])).rows[0]?.name ?? null
      const message = {
        to: user,
        messages: [{ type: 'text', text: `${store}: +${points} (${moved.points})` }],
      }
      const id = String(entry.id)
      await outbox(client, [user, JSON.stringify(message), `ledger:${id}`, now, now])
      const body = { transactionId: id, points, balance: moved.points }
      await insertKey(client, [scope, key, hash, JSON.stringify(body), now])
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
    const hashed = createHash('sha256').update(token).digest('base64url')
    const staff = (await session(pool, [hashed, Date.now()])).rows[0] as
      | { staff_id: string; store_code: string }
      | undefined
    if (!staff) return c.json({ error: { code: 'STAFF_AUTH_REQUIRED', message: 'no' } }, 401)
    const key = c.req.header('Idempotency-Key') ?? ''
    const raw = await c.req.text()
    const input = JSON.parse(raw) as { qrToken: string; purchaseAmount: number }
    const hash = createHash('sha256').update(raw).digest('base64url')
    if ((await findKey(pool, [staff.store_code, key])).rows[0]) throw new Error('key reused')
    const qr = checkQrToken(qrKey, input.qrToken, Date.now())
    if (!qr.ok) return c.json({ error: { code: 'QR_INVALID', message: 'no' } }, 400)
    const l = (await link(pool, [qr.payload.linkId])).rows[0] as { card_id: number } | undefined
    if (!l) return c.json({ error: { code: 'QR_INVALID', message: 'no' } }, 400)
    const body = await award(
      l.card_id,
      input.purchaseAmount,
      staff.store_code,
      staff.staff_id,
      key,
      hash,
      qr.payload.tokenId,
    )
    return c.json(body)
  })
} else {
  console.error('usage: baselines.ts ceiling|verify|write|pg-write')
  process.exit(2)
}

serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on ${info.port}`)
})
process.on('SIGTERM', () => process.exit(0))
