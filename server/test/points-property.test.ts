import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { memoryLogger } from '../src/logger.ts'
import { runPointsHousekeeping } from '../src/services/points-jobs.ts'
import {
  cardState,
  linkedMember,
  signInStaff,
  TILL_PASSWORD,
  TILL_STAFF,
  tillCall,
} from './points-support.ts'
import { createTestContext, row } from './support.ts'

const DAY = 86_400_000
const ctx = await createTestContext({ env: { LINK_BONUS_POINTS: '0' } })
let staff = await signInStaff(ctx)

/** Signs the till staff in again (after the fake clock jumped past a shift). */
async function relogin() {
  const out = { ...staff }
  for (const name of ['clerk', 'manager'] as const) {
    const res = await ctx.call('POST', '/api/staff/login', {
      headers: { 'Content-Type': 'application/json' },
      body: { staffId: TILL_STAFF[name].staffId, password: TILL_PASSWORD },
    })
    out[name] = { Authorization: `Bearer ${res.json.token}`, 'Content-Type': 'application/json' }
  }
  staff = out
}

type Op =
  | { kind: 'award'; m: number; amount: number }
  | { kind: 'redeem'; m: number; points: number }
  | { kind: 'adjust'; m: number; points: number }
  | { kind: 'void'; pick: number }
  | { kind: 'replay'; pick: number }
  | { kind: 'burst'; m: number; n: number; points: number }
  | { kind: 'wait'; days: number }

const member = fc.integer({ min: 0, max: 1 })
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('award' as const),
      m: member,
      amount: fc.integer({ min: 1, max: 60_000 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('redeem' as const),
      m: member,
      points: fc.integer({ min: 1, max: 900 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('adjust' as const),
      m: member,
      points: fc.integer({ min: -500, max: 500 }).filter((n) => n !== 0),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('void' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('replay' as const), pick: fc.nat() }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('burst' as const),
      m: member,
      n: fc.integer({ min: 2, max: 8 }),
      points: fc.integer({ min: 1, max: 300 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('wait' as const),
      days: fc.integer({ min: 0, max: 400 }),
    }),
    weight: 1,
  },
)

/**
 * `fc.assert` with a replay hook, as in tests/resilience/helpers.ts: `FC_SEED` sets the seed
 * (else fast-check picks one) and `FC_PATH` starts at a recorded counterexample. A failure's
 * message ends with the `FC_SEED=… FC_PATH=…` that runs the same case again.
 */
async function assertReplayable<Ts>(
  property: fc.IAsyncProperty<Ts>,
  params: fc.Parameters<Ts>,
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

const RANKS = ['gold', 'silver'] as const
const MULT = { gold: [2, 1], silver: [3, 2] } as const

describe('random sequences of till operations (fast-check)', () => {
  it('keep every balance == sum(ledger), never negative, and equal to a simple model', async () => {
    await assertReplayable(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 0, max: 500 }),
        async (ops, startPoints) => {
          const members = [
            await linkedMember(ctx, { points: startPoints, rank: RANKS[0] }),
            await linkedMember(ctx, { points: 0, rank: RANKS[1] }),
          ]
          // The cards were "imported" now on the fake clock (addCard stamps the real time).
          for (const m of members) {
            await ctx.db.execute(
              sql`UPDATE point_cards SET last_activity_at = ${ctx.clock.now()} WHERE id = ${m.cardId}`,
            )
          }
          const model = [
            { balance: startPoints, last: ctx.clock.now() },
            { balance: 0, last: ctx.clock.now() },
          ]
          const txs: { id: string; m: number; points: number; at: number; voided: boolean }[] = []
          const sent: {
            path: string
            body: unknown
            key: string
            headers: Record<string, string>
            json: unknown
          }[] = []

          async function send(path: string, headers: Record<string, string>, body: unknown) {
            const key = randomUUID()
            const res = await tillCall(ctx, headers, path, body, key)
            if (res.status === 200) sent.push({ path, body, key, headers, json: res.json })
            return res
          }

          for (const o of ops) {
            const now = ctx.clock.now()
            if (o.kind === 'award') {
              const rank = RANKS[o.m]!
              const [n, d] = MULT[rank]
              const expected = Math.floor((o.amount * n) / (100 * d))
              const res = await send('/api/staff/points', staff.clerk, {
                qrToken: members[o.m]!.qrNow(),
                type: 'award',
                purchaseAmount: o.amount,
              })
              expect(res.status).toBe(200)
              expect(res.json.points).toBe(expected)
              model[o.m]!.balance += expected
              model[o.m]!.last = now
              txs.push({
                id: res.json.transactionId,
                m: o.m,
                points: expected,
                at: now,
                voided: false,
              })
            } else if (o.kind === 'redeem' || o.kind === 'adjust') {
              const delta = o.kind === 'redeem' ? -o.points : o.points
              const res =
                o.kind === 'redeem'
                  ? await send('/api/staff/points', staff.clerk, {
                      qrToken: members[o.m]!.qrNow(),
                      type: 'redeem',
                      points: o.points,
                    })
                  : await send('/api/staff/adjust', staff.manager, {
                      cardNumber: members[o.m]!.cardNumber,
                      points: o.points,
                      reason: 'property test',
                    })
              if (model[o.m]!.balance + delta < 0) {
                expect(res.status).toBe(422)
                expect(res.json.error.code).toBe('INSUFFICIENT_POINTS')
              } else {
                expect(res.status).toBe(200)
                model[o.m]!.balance += delta
                model[o.m]!.last = now
                txs.push({
                  id: res.json.transactionId,
                  m: o.m,
                  points: delta,
                  at: now,
                  voided: false,
                })
              }
            } else if (o.kind === 'void' && txs.length > 0) {
              const t = txs[o.pick % txs.length]!
              const res = await send(`/api/staff/transactions/${t.id}/void`, staff.manager, {})
              if (t.voided) expect(res.json.error.code).toBe('ALREADY_VOIDED')
              else if (now - t.at > ctx.config.points.voidWindowMs)
                expect(res.json.error.code).toBe('VOID_WINDOW_PASSED')
              else if (model[t.m]!.balance - t.points < 0)
                expect(res.json.error.code).toBe('INSUFFICIENT_POINTS')
              else {
                expect(res.status).toBe(200)
                t.voided = true
                model[t.m]!.balance -= t.points
                model[t.m]!.last = now
              }
            } else if (o.kind === 'replay' && sent.length > 0) {
              const s = sent[o.pick % sent.length]!
              const res = await tillCall(ctx, s.headers, s.path, s.body, s.key)
              // A replay gives the first answer (a record older than the retention may be redone:
              // the model never waits that long between a request and its replay without a
              // staff re-sign-in, which changes the headers, so only check when still signed in).
              if (res.status !== 401) {
                expect(res.status).toBe(200)
                expect(res.json).toEqual(s.json)
              }
            } else if (o.kind === 'burst') {
              // One QR token per redemption: a token is spent by its first (docs/decisions/002).
              const results = await Promise.all(
                Array.from({ length: o.n }, () =>
                  tillCall(ctx, staff.clerk, '/api/staff/points', {
                    qrToken: members[o.m]!.qrNow(),
                    type: 'redeem',
                    points: o.points,
                  }),
                ),
              )
              const wins = results.filter((r) => r.status === 200)
              expect(wins).toHaveLength(Math.min(o.n, Math.floor(model[o.m]!.balance / o.points)))
              for (const w of wins) {
                txs.push({
                  id: w.json.transactionId,
                  m: o.m,
                  points: -o.points,
                  at: now,
                  voided: false,
                })
              }
              if (wins.length > 0) model[o.m]!.last = now
              model[o.m]!.balance -= wins.length * o.points
            } else if (o.kind === 'wait') {
              ctx.clock.advance(o.days * DAY)
              await runPointsHousekeeping({
                db: ctx.db,
                clock: ctx.clock,
                secrets: ctx.secrets,
                rules: ctx.config.points,
                logger: memoryLogger(),
              })
              for (const mm of model) {
                if (
                  mm.balance > 0 &&
                  ctx.clock.now() - mm.last >= ctx.config.points.expiryDays * DAY
                ) {
                  mm.balance = 0
                  mm.last = ctx.clock.now()
                }
              }
              if (o.days > 0) await relogin()
            }
            for (const [i, m] of members.entries()) {
              const s = await cardState(ctx, m.cardId)
              expect(s.balance).toBe(s.ledgerSum)
              expect(s.balance).toBeGreaterThanOrEqual(0)
              expect(s.balance).toBe(model[i]!.balance)
            }
          }
          const lowest = await row<{ low: number }>(
            ctx.db,
            sql`SELECT coalesce(min(balance_after), 0) AS low FROM ledger
              WHERE card_id IN (${members[0]!.cardId}, ${members[1]!.cardId})`,
          )
          expect(Number(lowest?.low)).toBeGreaterThanOrEqual(0)
        },
      ),
      { numRuns: 40 },
    )
  }, 120_000)
})
