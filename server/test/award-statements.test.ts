import BetterSqlite3 from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { AWARD_SQL, PG_MERGED_SQL } from '../../bench/award-statements.ts'
import type { PostgresDatabase } from '../src/db/pg.ts'
import { linkedMember, signInStaff, tillCall } from './points-support.ts'
import { createTestContext, ON_POSTGRES } from './support.ts'

/**
 * The write baselines of `pnpm bench` (bench/baselines.ts) claim to send exactly the statements
 * the server sends for a till award (docs/decisions/075). This records what the server sends
 * for one award of a member who has visited today already and compares it with
 * bench/award-statements.ts: a change to the award's SQL must update the baselines too.
 */

const ctx = await createTestContext({ env: { LINK_BONUS_POINTS: '0' } })
const staff = await signInStaff(ctx)

const sent: string[] = []
let recording = false
if (ON_POSTGRES) {
  // Every pooled connection's queries, as node-postgres sends them (BEGIN and COMMIT too).
  const record = (client: { query: (...a: unknown[]) => unknown }) => {
    const query = client.query.bind(client)
    client.query = (config: unknown, ...rest: unknown[]) => {
      if (recording) {
        sent.push(typeof config === 'string' ? config : (config as { text: string }).text)
      }
      return query(config, ...rest)
    }
  }
  const pool = (ctx.db as PostgresDatabase).pool
  pool.on('connect', record as never)
  // Connections opened before this point: take each idle one out once and wrap it.
  const open = await Promise.all(Array.from({ length: pool.totalCount }, () => pool.connect()))
  for (const c of open) {
    record(c as never)
    c.release()
  }
} else {
  // Every prepared statement's run (the server's statements are all prepared).
  const proto = Object.getPrototypeOf(new BetterSqlite3(':memory:').prepare('SELECT 1'))
  for (const method of ['get', 'all', 'run'] as const) {
    const original = proto[method]
    proto[method] = function (this: { source: string }, ...args: unknown[]) {
      if (recording) sent.push(this.source)
      return original.apply(this, args)
    }
  }
}

const squash = (s: string) => s.replace(/\s+/g, '')
/** `?` numbered `$1`, `$2`, … as PostgreSQL's statements are. */
const numbered = (s: string) => {
  let n = 0
  return s.replace(/\?/g, () => `$${++n}`)
}

describe('the write baselines of pnpm bench', () => {
  it('send the statements the server sends for an award, in its order', async () => {
    const m = await linkedMember(ctx)
    for (let i = 0; i < 2; i++) {
      const body = { qrToken: await m.qr(), type: 'award', purchaseAmount: 1000 }
      expect((await tillCall(ctx, staff.clerk, '/api/staff/points', body)).status).toBe(200)
    }
    const body = { qrToken: await m.qr(), type: 'award', purchaseAmount: 1000 }
    recording = true
    const res = await tillCall(ctx, staff.clerk, '/api/staff/points', body)
    recording = false
    expect(res.status).toBe(200)
    const s = AWARD_SQL
    const expected = ON_POSTGRES
      ? [
          ...[s.session, s.findKey, 'BEGIN', s.claimKey, s.useQr, s.linkedCard],
          ...[PG_MERGED_SQL.moveAndLedger, s.markVisit, s.addStats, PG_MERGED_SQL.visit],
          ...[s.outbox, s.webhookEndpoints, s.completeKey, 'COMMIT'],
        ].map(numbered)
      : [
          ...[s.session, s.findKey, s.claimKey, s.useQr, s.linkedCard, s.move, s.ledger],
          ...[s.markVisit, s.addStats, s.visitDay, s.visitStore, s.lastVisit, s.outbox],
          ...[s.webhookEndpoints, s.completeKey],
        ]
    expect(sent.map(squash)).toEqual(expected.map(squash))
  })
})
