import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomUserId } from '@membercard/server/stand-in'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openPostgres } from '../../server/src/db/postgres.ts'
import { retryKeyFor } from '../../server/src/line/outbox.ts'
import {
  type Answer,
  addCard,
  balances,
  type Fleet,
  ledgerRowsByKey,
  request,
  STAFF,
  startFleet,
  waitFor,
} from '../support/multi-instance.ts'
import { ROOT } from '../support/server.ts'

/**
 * Issue 11's multi-instance proof: three real server processes on one PostgreSQL, requests
 * spread over them, and every guarantee of the product checked where the racing requests land
 * on different processes. The instance killed with SIGKILL goes last.
 */

/** Points an award of `AWARD_YEN` gives a regular member (1 point per 100 yen). */
const AWARD_YEN = 1000
const AWARD_POINTS = 10
const BONUS = 200
/** The instance killed in the last test, and its database role. */
const VICTIM = 2
const VICTIM_ROLE = 'mi_victim'

describe('three instances on one PostgreSQL', () => {
  let fleet: Fleet
  let staffHeaders: Record<string, string>
  const base = (i: number) => {
    const s = fleet.instances[i % fleet.instances.length]
    if (!s) throw new Error(`no instance ${i}`)
    return s.url
  }
  const n = () => fleet.instances.length

  async function userHeaders(sub: string) {
    return { Authorization: `Bearer ${await fleet.line.mintIdToken({ sub })}` }
  }

  async function link(i: number, user: string, cardNumber: string, pin: string) {
    return request(base(i), 'POST', '/api/link', {
      headers: await userHeaders(user),
      body: { cardNumber, pin, consent: { version: '2026-11-01', accepted: true } },
    })
  }

  /** A card linked through instance `i` to a fresh LINE user. */
  async function linkedMember(i: number, points = 0) {
    const card = await addCard(fleet.db, fleet.pinKey, { points })
    const user = randomUserId()
    const res = await link(i, user, card.cardNumber, card.pin)
    expect(res.status, JSON.stringify(res.json)).toBe(201)
    return { ...card, user, bonus: res.json.bonusPoints as number }
  }

  async function qr(i: number, user: string): Promise<string> {
    const res = await request(base(i), 'GET', '/api/card/qr', { headers: await userHeaders(user) })
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    return res.json.token as string
  }

  function till(i: number, key: string, body: unknown, timeoutMs?: number) {
    return request(base(i), 'POST', '/api/staff/points', {
      headers: { ...staffHeaders, 'Idempotency-Key': key },
      body,
      timeoutMs,
    })
  }

  const award = (qrToken: string) => ({
    qrToken,
    type: 'award',
    purchaseAmount: AWARD_YEN,
  })

  beforeAll(async () => {
    fleet = await startFleet(3, {
      env: { CARD_TOKEN_TTL_SECONDS: '600' },
      // The instance killed last connects as its own role, whose commits alone can be made to
      // wait for a synchronous standby (the others' commits are local).
      async beforeStart(cluster, databaseUrl) {
        const name = new URL(databaseUrl).pathname.slice(1)
        const admin = openPostgres(cluster.adminUrl)
        try {
          await admin.pool.query(`CREATE ROLE ${VICTIM_ROLE} LOGIN SUPERUSER`)
          await admin.pool.query(`ALTER DATABASE ${name} SET synchronous_commit = local`)
          await admin.pool.query(
            `ALTER ROLE ${VICTIM_ROLE} IN DATABASE ${name} SET synchronous_commit = on`,
          )
        } finally {
          await admin.close()
        }
      },
      instanceEnv: (i, databaseUrl): Record<string, string> => {
        if (i !== VICTIM) return {}
        const url = new URL(databaseUrl)
        url.username = VICTIM_ROLE
        return { DATABASE_URL: url.toString() }
      },
    })
    const login = await request(base(0), 'POST', '/api/staff/login', {
      body: { staffId: STAFF.staffId, password: STAFF.password },
    })
    expect(login.status).toBe(200)
    staffHeaders = { Authorization: `Bearer ${login.json.token}` }
  })

  afterAll(async () => {
    await fleet?.close()
  })

  afterEach(({ task }) => {
    if (task.result?.state === 'fail' || (task.result?.errors?.length ?? 0) > 0) {
      console.error(`server output after "${task.name}":\n${fleet?.outputs()}`)
    }
  })

  it('serves one database from three processes started at once: migrated once, sessions, links and QR tokens shared', async () => {
    const pids = new Set(fleet.instances.map((s) => s.process.pid))
    expect(pids.size).toBe(3)
    for (let i = 0; i < 3; i++) {
      expect((await request(base(i), 'GET', '/healthz')).status).toBe(200)
    }
    // Three migrators at the same moment: each migration applied exactly once.
    const journal = JSON.parse(
      readFileSync(join(ROOT, 'server/drizzle-pg/meta/_journal.json'), 'utf8'),
    ) as { entries: unknown[] }
    const { rows } = await fleet.db.pool.query<{ n: number; hashes: number }>(
      'SELECT count(*) AS n, count(DISTINCT hash) AS hashes FROM drizzle.__drizzle_migrations',
    )
    expect(rows[0]).toEqual({ n: journal.entries.length, hashes: journal.entries.length })

    // The staff session made on instance 0 works on 1 and 2.
    for (const i of [1, 2]) {
      const me = await request(base(i), 'GET', '/api/staff/me', { headers: staffHeaders })
      expect(me.status).toBe(200)
      expect(me.json.storeCode).toBe(STAFF.storeCode)
    }

    // Linked on 0, QR from 1, scanned and awarded on 2, history read on 0.
    const m = await linkedMember(0, 100)
    expect(m.bonus).toBe(BONUS)
    const token = await qr(1, m.user)
    const scan = await request(base(2), 'POST', '/api/staff/scan', {
      headers: staffHeaders,
      body: { qrToken: token },
    })
    expect(scan.status).toBe(200)
    expect(scan.json.member.cardNumber.slice(-4)).toBe(m.cardNumber.slice(-4))
    const awarded = await till(2, randomUUID(), award(token))
    expect(awarded.status).toBe(200)
    expect(awarded.json).toMatchObject({
      points: AWARD_POINTS,
      balance: 100 + BONUS + AWARD_POINTS,
    })
    const history = await request(base(0), 'GET', '/api/points/history', {
      headers: await userHeaders(m.user),
    })
    expect(history.status).toBe(200)
    expect(history.json.items[0]).toMatchObject({
      id: awarded.json.transactionId,
      type: 'award',
      points: AWARD_POINTS,
    })
    expect(await balances(fleet.db, m.cardId)).toEqual({ stored: 310, ledger: 310 })
  })

  it('counts an Idempotency-Key sent to all three instances at once once', async () => {
    const m = await linkedMember(1)
    const start = (await balances(fleet.db, m.cardId)).stored
    const rounds = 6
    const keys: string[] = []
    for (let r = 0; r < rounds; r++) {
      const key = randomUUID()
      keys.push(key)
      const body = award(await qr(r, m.user))
      const answers = await Promise.all([0, 1, 2].map((i) => till(i, key, body)))
      for (const a of answers) {
        expect(a.status, JSON.stringify(a.json)).toBe(200)
        expect(a.json).toEqual(answers[0]?.json)
      }
      expect(answers[0]?.json.points).toBe(AWARD_POINTS)
      // One of them made the change; the other two got its stored answer.
      const originals = answers.filter((a) => a.headers.get('idempotent-replayed') !== 'true')
      expect(originals).toHaveLength(1)
      // The same key with another body is refused on any instance.
      const reused = await till(r + 1, key, { ...body, purchaseAmount: AWARD_YEN * 2 })
      expect(reused.status).toBe(422)
      expect(reused.json.error.code).toBe('IDEMPOTENCY_KEY_REUSED')
    }
    const perKey = await ledgerRowsByKey(fleet.db, keys)
    expect([...perKey.values()]).toEqual(keys.map(() => 1))
    const end = await balances(fleet.db, m.cardId)
    expect(end).toEqual({
      stored: start + rounds * AWARD_POINTS,
      ledger: start + rounds * AWARD_POINTS,
    })
  })

  it('never overdraws with concurrent redeems spread over the three instances', async () => {
    const m = await linkedMember(2, 100)
    const start = (await balances(fleet.db, m.cardId)).stored
    expect(start).toBe(100 + BONUS)
    const each = 40
    const attempts = 24
    const tokens = await Promise.all(Array.from({ length: attempts }, (_, j) => qr(j, m.user)))
    const answers = await Promise.all(
      tokens.map((qrToken, j) => till(j, randomUUID(), { qrToken, type: 'redeem', points: each })),
    )
    const ok = answers.filter((a) => a.status === 200)
    for (const a of answers) {
      if (a.status !== 200) {
        expect(a.status, JSON.stringify(a.json)).toBe(422)
        expect(a.json.error.code).toBe('INSUFFICIENT_POINTS')
      }
    }
    // Exactly as many as the balance covers, each leaving a distinct balance of at least 0.
    expect(ok).toHaveLength(Math.floor(start / each))
    const reported = ok.map((a) => a.json.balance as number).sort((a, b) => a - b)
    expect(reported).toEqual(ok.map((_, k) => start - each * (ok.length - k)))
    const end = await balances(fleet.db, m.cardId)
    expect(end.stored).toBe(start - each * ok.length)
    expect(end.stored).toBeGreaterThanOrEqual(0)
    expect(end.ledger).toBe(end.stored)
  })

  it('redeems one photographed QR token once, sent to the three instances at once', async () => {
    const m = await linkedMember(2, 100)
    const start = (await balances(fleet.db, m.cardId)).stored
    const qrToken = await qr(0, m.user)
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, j) =>
        till(j, randomUUID(), { qrToken, type: 'redeem', points: 10 }),
      ),
    )
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1)
    for (const a of answers.filter((x) => x.status !== 200)) {
      expect(a.status, JSON.stringify(a.json)).toBe(409)
      expect(a.json.error.code).toBe('QR_ALREADY_USED')
    }
    const end = await balances(fleet.db, m.cardId)
    expect(end).toEqual({ stored: start - 10, ledger: start - 10 })
  })

  it('grants one bonus for link taps of the same user and card on different instances', async () => {
    const runs: { taps: number[]; card: Awaited<ReturnType<typeof addCard>>; user: string }[] = []
    for (let r = 0; r < 4; r++) {
      runs.push({
        taps: r === 3 ? [0, 1, 2] : [r % 3, (r + 1) % 3],
        card: await addCard(fleet.db, fleet.pinKey),
        user: randomUserId(),
      })
    }
    for (const { taps, card, user } of runs) {
      const answers = await Promise.all(taps.map((i) => link(i, user, card.cardNumber, card.pin)))
      const created = answers.filter((a) => a.status === 201)
      expect(created, JSON.stringify(answers.map((a) => a.json))).toHaveLength(1)
      expect(created[0]?.json.bonusPoints).toBe(BONUS)
      for (const a of answers.filter((x) => x.status !== 201)) {
        expect(a.status).toBe(409)
        expect(a.json.error.code).toBe('ALREADY_LINKED')
      }
      const { rows } = await fleet.db.pool.query<{ ledger: number; bonuses: number }>(
        `SELECT (SELECT count(*) FROM ledger WHERE card_id = $1 AND type = 'bonus') AS ledger,
           (SELECT count(*) FROM link_bonuses WHERE card_id = $1 OR line_user_id = $2) AS bonuses`,
        [card.cardId, user],
      )
      expect(rows[0]).toEqual({ ledger: 1, bonuses: 1 })
      expect(await balances(fleet.db, card.cardId)).toEqual({ stored: BONUS, ledger: BONUS })
    }
    // Unlinked on one instance and linked again on another: no second bonus.
    const again = runs[0]
    if (!again) throw new Error('no run')
    const unlink = await request(base(1), 'DELETE', '/api/link', {
      headers: await userHeaders(again.user),
    })
    expect(unlink.status).toBe(204)
    const relink = await link(2, again.user, again.card.cardNumber, again.card.pin)
    expect(relink.status).toBe(201)
    expect(relink.json.bonusPoints).toBe(0)
    expect(await balances(fleet.db, again.card.cardId)).toEqual({ stored: BONUS, ledger: BONUS })
  })

  it('stops PIN guessing spread over the three instances after 3 failures on a card (5 per user), as one instance does', async () => {
    const outcome = (a: Answer) => {
      if (a.status === 422) {
        expect(a.json.error.code).toBe('CARD_OR_PIN_WRONG')
        return 'wrong'
      }
      expect(a.status, JSON.stringify(a.json)).toBe(429)
      expect(a.json.error.code).toBe('TOO_MANY_ATTEMPTS')
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0)
      return 'locked'
    }
    const wrongPins = Array.from({ length: 15 }, (_, j) => String(5000 + j * 7).padStart(4, '0'))

    // One card, guessed by 15 LINE users at the same moment over the three instances: exactly
    // 3 guesses are answered, the rest refused, as one after another on one instance.
    const card = await addCard(fleet.db, fleet.pinKey, { pin: '1234' })
    const burst = await Promise.all(
      wrongPins.map((pin, j) => link(j, randomUserId(), card.cardNumber, pin)),
    )
    expect(burst.map(outcome).filter((o) => o === 'wrong')).toHaveLength(3)
    // Locked on every instance, even for the right PIN.
    for (let i = 0; i < 3; i++) {
      expect(outcome(await link(i, randomUserId(), card.cardNumber, '9999'))).toBe('locked')
      expect(outcome(await link(i, randomUserId(), card.cardNumber, card.pin))).toBe('locked')
    }
    const { rows } = await fleet.db.pool.query<{ n: number }>(
      'SELECT count(*) AS n FROM line_links WHERE card_id = $1',
      [card.cardId],
    )
    expect(rows[0]?.n).toBe(0)

    // One LINE user guessing 15 cards at the same moment over the three instances: the same.
    const user = randomUserId()
    const cards = await Promise.all(wrongPins.map(() => addCard(fleet.db, fleet.pinKey)))
    const spray = await Promise.all(
      cards.map((c, j) => link(j, user, c.cardNumber, wrongPins[j] ?? '0000')),
    )
    expect(spray.map(outcome).filter((o) => o === 'wrong')).toHaveLength(5)
    const first = cards[0]
    if (!first) throw new Error('no card')
    for (let i = 0; i < 3; i++) {
      expect(outcome(await link(i, user, first.cardNumber, first.pin))).toBe('locked')
    }
  })

  it('shows a link made on one instance at once on the others, and so an unlink', async () => {
    for (let r = 0; r < 3; r++) {
      const [a, b, c] = [r % 3, (r + 1) % 3, (r + 2) % 3]
      const card = await addCard(fleet.db, fleet.pinKey, { points: 50 })
      const user = randomUserId()
      const headers = await userHeaders(user)
      // Every instance has answered for this user before (whatever it keeps in memory).
      for (const i of [a, b, c]) {
        const me = await request(base(i), 'GET', '/api/me', { headers })
        expect(me.json).toEqual({ linked: false })
        expect((await request(base(i), 'GET', '/api/card/qr', { headers })).status).toBe(404)
      }
      expect((await link(a, user, card.cardNumber, card.pin)).status).toBe(201)
      for (const i of [b, c]) {
        const me = await request(base(i), 'GET', '/api/me', { headers })
        expect(me.status).toBe(200)
        expect(me.json.linked).toBe(true)
        expect(me.json.member.cardNumber.slice(-4)).toBe(card.cardNumber.slice(-4))
        expect(me.json.member.points).toBe(50 + BONUS)
      }
      const token = await qr(c, user)
      const scan = await request(base(b), 'POST', '/api/staff/scan', {
        headers: staffHeaders,
        body: { qrToken: token },
      })
      expect(scan.status).toBe(200)

      const unlink = await request(base(b), 'DELETE', '/api/link', { headers })
      expect(unlink.status).toBe(204)
      for (const i of [c, a]) {
        expect((await request(base(i), 'GET', '/api/me', { headers })).json).toEqual({
          linked: false,
        })
        const q = await request(base(i), 'GET', '/api/card/qr', { headers })
        expect(q.status).toBe(404)
        expect(q.json.error.code).toBe('NOT_LINKED')
      }
      // The QR token issued before the unlink no longer moves points anywhere.
      const stale = await till(c, randomUUID(), award(token))
      expect(stale.status).toBe(400)
      expect(stale.json.error.code).toBe('QR_INVALID')
      const twice = await request(base(a), 'DELETE', '/api/link', { headers })
      expect(twice.status).toBe(404)
      expect(twice.json.error.code).toBe('NOT_LINKED')
    }
  })

  it('sends each push once with three outbox workers, also when LINE fails some calls', async () => {
    const members: Awaited<ReturnType<typeof linkedMember>>[] = []
    for (let j = 0; j < 6; j++) members.push(await linkedMember(j))
    const users = new Set(members.map((m) => m.user))
    // What earlier tests queued is out first, so that the failures below hit these pushes.
    await waitFor('earlier pushes to go out', async () => {
      const { rows } = await fleet.db.pool.query<{ n: number }>(
        `SELECT count(*) AS n FROM outbox WHERE kind = 'push' AND line_user_id <> ALL($1::text[])
           AND sent_at IS NULL AND failed_at IS NULL`,
        [[...users]],
      )
      return rows[0]?.n === 0 ? true : undefined
    })
    // The next pushes fail with 500: they are retried, by whichever worker claims them.
    fleet.line.failNext('/v2/bot/message/push', 500, 4)
    const tokens = await Promise.all(members.map((m, j) => qr(j + 1, m.user)))
    const awards: { user: string; entryId: string }[] = []
    for (let wave = 0; wave < 5; wave++) {
      const answers = await Promise.all(
        tokens.map((token, j) => till(wave + j, randomUUID(), award(token))),
      )
      answers.forEach((a, j) => {
        expect(a.status, JSON.stringify(a.json)).toBe(200)
        awards.push({ user: members[j]?.user ?? '', entryId: a.json.transactionId })
      })
    }
    const pushesTo = (u: Set<string>) =>
      fleet.line.calls.filter(
        (c) => c.path === '/v2/bot/message/push' && u.has((c.body as { to: string }).to),
      )
    // Drained: no push of these members is waiting, and every award's push has arrived.
    const expectedKeys = new Set(awards.map((a) => retryKeyFor(`ledger:${a.entryId}`)))
    await waitFor(
      'the outbox to drain',
      async () => {
        const { rows } = await fleet.db.pool.query<{ n: number }>(
          `SELECT count(*) AS n FROM outbox WHERE kind = 'push' AND line_user_id = ANY($1::text[])
             AND sent_at IS NULL AND failed_at IS NULL`,
          [[...users]],
        )
        const arrived = new Set(pushesTo(users).map((c) => c.headers['x-line-retry-key']))
        return rows[0]?.n === 0 && [...expectedKeys].every((k) => arrived.has(k)) ? true : undefined
      },
      40_000,
      200,
    )
    const calls = pushesTo(users)
    // One link push and one push per award for each member, none of them twice.
    expect(calls).toHaveLength(members.length + awards.length)
    const byKey = new Map<string, number>()
    for (const c of calls) {
      const key = c.headers['x-line-retry-key'] ?? ''
      byKey.set(key, (byKey.get(key) ?? 0) + 1)
    }
    expect(byKey.size).toBe(calls.length)
    for (const a of awards) {
      const sent = calls.filter(
        (c) => c.headers['x-line-retry-key'] === retryKeyFor(`ledger:${a.entryId}`),
      )
      expect(sent).toHaveLength(1)
      expect(sent[0]?.body).toMatchObject({ to: a.user })
    }
    // No worker tried a push that another had already sent (LINE would have refused it).
    expect(
      fleet.line.rejected.filter((c) => users.has((c.body as { to?: string })?.to ?? '')),
    ).toEqual([])
    const { rows } = await fleet.db.pool.query<{ sent: number; attempts: number }>(
      `SELECT count(*) AS sent, CAST(sum(attempts) AS BIGINT) AS attempts FROM outbox
       WHERE kind = 'push' AND line_user_id = ANY($1::text[]) AND sent_at IS NOT NULL`,
      [[...users]],
    )
    expect(rows[0]?.sent).toBe(calls.length)
    // The four refused calls were tried again: more attempts than rows.
    expect(rows[0]?.attempts).toBeGreaterThanOrEqual(calls.length + 4)
  })

  it('answers 503 while PostgreSQL is down and resumes by itself when it is back', async () => {
    const m = await linkedMember(0)
    const start = (await balances(fleet.db, m.cardId)).stored
    const token = await qr(1, m.user)
    const pidsBefore = fleet.instances.map((s) => s.process.pid)
    /** Every key sent, and its answers in order. */
    const sent = new Map<string, Answer[]>()
    const unexpected: string[] = []
    let phase: 'before' | 'down' | 'after' = 'before'
    const seen = {
      before: [0, 0, 0],
      down503: [0, 0, 0],
      after: [0, 0, 0],
    }
    const count = (per: number[], i: number) => {
      per[i] = (per[i] ?? 0) + 1
    }
    let stopLoad = false
    const worker = async (w: number) => {
      for (let j = w; !stopLoad; j++) {
        const i = j % 3
        const key = randomUUID()
        const answers: Answer[] = []
        sent.set(key, answers)
        const p = phase
        let a: Answer
        try {
          a = await till(i, key, award(token), 15_000)
        } catch (err) {
          unexpected.push(`instance ${i}: ${(err as Error).message}`)
          continue
        }
        answers.push(a)
        if (a.status === 200) {
          if (p === 'before') count(seen.before, i)
          if (p === 'after' && phase === 'after') count(seen.after, i)
        } else if (
          a.status === 503 &&
          a.json?.error?.code === 'SERVICE_UNAVAILABLE' &&
          Number(a.headers.get('retry-after')) > 0
        ) {
          if (phase === 'down') count(seen.down503, i)
          // A till pauses before its next sale; the outage is not hammered.
          await new Promise((r) => setTimeout(r, 200))
        } else {
          unexpected.push(`instance ${i}: ${a.status} ${JSON.stringify(a.json)}`)
        }
      }
    }
    const load = [0, 1, 2].map(worker)
    let pgDown = false
    try {
      await waitFor('awards on every instance', () =>
        seen.before.every((k) => k >= 2) ? true : undefined,
      )
      await fleet.cluster.stopServer()
      pgDown = true
      phase = 'down'
      // Meanwhile: /healthz 503 and awards 503 SERVICE_UNAVAILABLE on every instance.
      for (let i = 0; i < 3; i++) {
        await waitFor(`/healthz 503 on instance ${i}`, async () => {
          const h = await request(base(i), 'GET', '/healthz', { timeoutMs: 15_000 })
          // 200 until the instance notices; nothing else, ever.
          if (h.status === 200) return undefined
          expect(h.status, JSON.stringify(h.json)).toBe(503)
          expect(h.json.error.code).toBe('SERVICE_UNAVAILABLE')
          expect(Number(h.headers.get('retry-after'))).toBeGreaterThan(0)
          return true
        })
      }
      await waitFor('503 awards on every instance', () =>
        seen.down503.every((k) => k >= 2) ? true : undefined,
      )
      await fleet.cluster.startServer()
      pgDown = false
      phase = 'after'
      for (let i = 0; i < 3; i++) {
        await waitFor(`/healthz 200 on instance ${i}`, async () => {
          const h = await request(base(i), 'GET', '/healthz', { timeoutMs: 15_000 })
          if (h.status === 200) return true
          expect(h.status, JSON.stringify(h.json)).toBe(503)
          return undefined
        })
      }
      await waitFor('awards on every instance again', () =>
        seen.after.every((k) => k >= 2) ? true : undefined,
      )
    } finally {
      stopLoad = true
      // Whatever failed, the next tests find PostgreSQL up.
      if (pgDown) await fleet.cluster.startServer()
      await Promise.all(load)
    }
    expect(unexpected).toEqual([])
    // The same instances, never restarted.
    expect(fleet.instances.map((s) => s.process.pid)).toEqual(pidsBefore)
    expect(fleet.instances.every((s) => s.process.exitCode === null)).toBe(true)
    // What got a 503 is sent again with its key, as a till does: it counts once.
    for (const [key, answers] of sent) {
      if (answers.at(-1)?.status === 200) continue
      const again = await till(randomIndex(), key, award(token))
      expect(again.status, JSON.stringify(again.json)).toBe(200)
      answers.push(again)
    }
    const keys = [...sent.keys()]
    const perKey = await ledgerRowsByKey(fleet.db, keys)
    expect(keys.filter((k) => perKey.get(k) !== 1)).toEqual([])
    const end = await balances(fleet.db, m.cardId)
    expect(end).toEqual({
      stored: start + keys.length * AWARD_POINTS,
      ledger: start + keys.length * AWARD_POINTS,
    })
  })

  it('loses and doubles nothing when an instance is killed under award load and its requests are retried elsewhere', async () => {
    const m = await linkedMember(0)
    const start = (await balances(fleet.db, m.cardId)).stored
    const token = await qr(1, m.user)
    let alive = [0, 1, 2]
    const acknowledged = new Map<string, Answer>()
    /** Keys whose request got no answer (the instance died), and where they were sent. */
    const unanswered = new Map<string, number>()
    const problems: string[] = []
    let inFlight = 0
    let stopLoad = false

    /** Sends `key` to `first`, then to a live instance each time no answer comes. */
    async function send(key: string, first: number) {
      let i = first
      for (let tries = 0; tries < 6; tries++) {
        inFlight++
        try {
          const a = await till(i, key, award(token), 30_000)
          if (a.status === 200) acknowledged.set(key, a)
          else problems.push(`${key} on ${i}: ${a.status} ${JSON.stringify(a.json)}`)
          return
        } catch {
          unanswered.set(key, i)
          i = alive.find((x) => x !== i) ?? 0
        } finally {
          inFlight--
        }
      }
      problems.push(`${key}: no answer after 6 tries`)
    }
    const worker = async (w: number) => {
      for (let j = w; !stopLoad; j++) await send(randomUUID(), alive[j % alive.length] ?? 0)
    }
    const setStandby = async (names: string | null) => {
      await fleet.db.pool.query(
        names === null
          ? 'ALTER SYSTEM RESET synchronous_standby_names'
          : `ALTER SYSTEM SET synchronous_standby_names = '${names}'`,
      )
      await fleet.db.pool.query('SELECT pg_reload_conf()')
    }
    const load = [0, 1, 2, 3].map(worker)
    const victimKeys = [randomUUID(), randomUUID()]
    let holding = false
    try {
      await waitFor('awards before the kill', () => (acknowledged.size >= 6 ? true : undefined))
      // From here the victim's commits wait for a standby that does not exist: written, not
      // yet visible nor answered, its locks held (the other instances commit as before). So
      // the victim dies with an award committed but unanswered, and others behind it undone.
      await setStandby('mi_ghost')
      holding = true
      const extra = victimKeys.map((k) => send(k, VICTIM))
      await waitFor('a victim commit held and every request in flight stuck', async () => {
        const { rows } = await fleet.db.pool.query<{ held: number; stuck: number }>(
          `SELECT count(*) FILTER (WHERE wait_event = 'SyncRep') AS held,
             count(*) FILTER (WHERE wait_event = 'SyncRep' OR wait_event_type = 'Lock') AS stuck
           FROM pg_stat_activity WHERE datname = current_database()`,
        )
        const r = rows[0]
        return r && r.held >= 1 && inFlight > 0 && r.stuck >= inFlight ? true : undefined
      })
      alive = [0, 1]
      await fleet.instances[VICTIM]?.stop('SIGKILL')
      await setStandby(null)
      holding = false
      await Promise.all(extra)
      const ackedAtKill = acknowledged.size
      await waitFor('awards after the kill', () =>
        acknowledged.size >= ackedAtKill + 10 ? true : undefined,
      )
    } finally {
      stopLoad = true
      if (holding) await setStandby(null)
      await Promise.all(load)
    }
    expect(problems).toEqual([])
    expect(fleet.instances[VICTIM]?.process.signalCode).toBe('SIGKILL')
    // The two sent to the victim got no answer there, and were answered by a survivor.
    for (const k of victimKeys) {
      expect(unanswered.get(k)).toBe(VICTIM)
      expect(acknowledged.get(k)?.status).toBe(200)
    }
    // The award the victim had committed came back as the stored answer, not a second award.
    const lostOnVictim = [...unanswered].filter(([, i]) => i === VICTIM).map(([k]) => k)
    const replayed = lostOnVictim.filter(
      (k) => acknowledged.get(k)?.headers.get('idempotent-replayed') === 'true',
    )
    expect(replayed.length).toBeGreaterThanOrEqual(1)
    const keys = [...acknowledged.keys()]
    const perKey = await ledgerRowsByKey(fleet.db, keys)
    expect(keys.filter((k) => perKey.get(k) !== 1)).toEqual([])
    const { rows } = await fleet.db.pool.query<{ n: number }>(
      `SELECT count(*) AS n FROM ledger WHERE card_id = $1 AND type = 'award'`,
      [m.cardId],
    )
    expect(rows[0]?.n).toBe(keys.length)
    const end = await balances(fleet.db, m.cardId)
    expect(end).toEqual({
      stored: start + keys.length * AWARD_POINTS,
      ledger: start + keys.length * AWARD_POINTS,
    })
    for (const i of alive) expect((await request(base(i), 'GET', '/healthz')).status).toBe(200)
  })

  function randomIndex() {
    return Math.floor(Math.random() * n())
  }
})
