import { Readable } from 'node:stream'
import { luhnCheckDigit } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { exportRows } from '../src/repositories/exports.ts'
import { importCards } from '../src/services/card-import.ts'
import { MERGE_STEP_ROWS } from '../src/services/card-import-job.ts'
import { neutraliseCell } from '../src/services/csv-export.ts'
import { createDailyStats } from '../src/services/daily-stats.ts'
import { createExports } from '../src/services/exports.ts'
import { type RoleName, roleHeaders } from './admin-support.ts'
import { linkedMember, signInStaff, tillCall } from './points-support.ts'
import { createTestContext, ON_POSTGRES, row, type TestContext } from './support.ts'

/** The dashboard's counters the command-line import keeps. */
const STATS = createDailyStats('Asia/Tokyo')

const dialect = ON_POSTGRES ? 'PostgreSQL' : 'SQLite'

/** A valid card number (Luhn) from a serial. */
const card = (n: number) => {
  const body = `36${String(n).padStart(13, '0')}`
  return body + luhnCheckDigit(body)
}
const HEADER = 'card_number,pin,name,points\n'

/** The CSV text of rows `from`..`to`-1 (card `n`, points `n % 500`). */
function rows(from: number, to: number): string {
  let out = ''
  for (let n = from; n < to; n++) out += `${card(n)},1234,会員 ${n},${n % 500}\n`
  return out
}

async function count(ctx: TestContext, table: string, where = sql`1 = 1`) {
  const r = await row<{ n: number }>(
    ctx.db,
    sql`SELECT CAST(count(*) AS INTEGER) AS n FROM ${sql.identifier(table)} WHERE ${where}`,
  )
  return Number(r?.n)
}

/** A job as the API answers it (read loosely: the tests compare fields). */
// biome-ignore lint/suspicious/noExplicitAny: answers are compared field by field
type ImportJobJson = Record<string, any>

let ctx: TestContext
let as: Record<RoleName, Record<string, string>>

beforeAll(async () => {
  ctx = await createTestContext()
  as = await roleHeaders(ctx)
})

afterEach(() => {
  vi.restoreAllMocks()
})

/** Opens an import as `who` and sends `body` (a string or a stream of chunks) as its file. */
async function upload(who: RoleName, body: string | AsyncIterable<string>) {
  const opened = await ctx.call('POST', '/api/admin/imports', { headers: as[who], body: {} })
  expect(opened.status, JSON.stringify(opened.json)).toBe(201)
  const id = opened.json.id as number
  const encoder = new TextEncoder()
  const stream =
    typeof body === 'string'
      ? body
      : (Readable.toWeb(
          Readable.from(
            (async function* () {
              for await (const s of body) yield encoder.encode(s)
            })(),
          ),
        ) as ReadableStream<Uint8Array>)
  const answer = Promise.resolve(
    ctx.app.request(`/api/admin/imports/${id}/file`, {
      method: 'PUT',
      headers: { Authorization: as[who].Authorization ?? '', 'Content-Type': 'text/csv' },
      body: stream,
      duplex: 'half',
    } as RequestInit),
  ).then(async (res) => {
    // 202 once the file has arrived: the job is then read and merged in the background.
    let json = (await res.json()) as ImportJobJson
    if (res.status !== 202) return { status: res.status, json }
    while (json.status !== 'done' && json.status !== 'failed') {
      await tick()
      json = await job(id)
    }
    return { status: res.status, json }
  })
  return { id, answer }
}

/** Lets timers and streams run between two polls (an in-process call may never leave the microtask queue). */
const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 5))

const job = async (id: number) => {
  const res = await ctx.call('GET', `/api/admin/imports/${id}`, { headers: as.operator })
  expect(res.status).toBe(200)
  return res.json as ImportJobJson
}

describe(`imports from the console on ${dialect}`, () => {
  it('refuses a clerk and a manager (403), and a caller without credentials (401)', async () => {
    for (const who of ['clerk', 'manager'] as const) {
      const res = await ctx.call('POST', '/api/admin/imports', { headers: as[who], body: {} })
      expect(res.status).toBe(403)
      expect(res.json.error.code).toBe('FORBIDDEN')
    }
    const res = await ctx.call('POST', '/api/admin/imports', {
      headers: { 'Content-Type': 'application/json' },
      body: {},
    })
    expect(res.status).toBe(401)
  })

  it('imports a file for an operator: counts created/updated/unchanged, progress, audit', async () => {
    const first = await upload('operator', HEADER + rows(1, 4))
    const done = await first.answer
    expect(done.status, JSON.stringify(done.json)).toBe(202)
    expect(done.json).toMatchObject({ status: 'done', rowsRead: 3, created: 3, errors: [] })
    // Again with one name changed: one updated, two unchanged; points never overwritten.
    const again = await upload('operator', `${HEADER + rows(1, 3)}${card(3)},1234,新しい名前,999\n`)
    const second = await again.answer
    expect(second.json).toMatchObject({
      status: 'done',
      created: 0,
      updated: 1,
      unchanged: 2,
      pointsIgnored: 1,
      rowsStaged: 3,
      rowsMerged: 3,
    })
    expect(await job(again.id)).toMatchObject({ status: 'done', updated: 1 })
    const c3 = await row<{ name: string; points: number }>(
      ctx.db,
      sql`SELECT name, points FROM point_cards WHERE card_number = ${card(3)}`,
    )
    expect({ ...c3, points: Number(c3?.points) }).toEqual({ name: '新しい名前', points: 3 })
    const entry = await row<{ actor: string; detail: string; target: string }>(
      ctx.db,
      sql`SELECT actor, detail, target FROM audit_log WHERE action = 'import.cards' ORDER BY id DESC LIMIT 1`,
    )
    expect(entry?.actor).toBe('role-operator')
    expect(entry?.target).toBe(`import:${again.id}`)
    expect(JSON.parse(entry?.detail ?? '{}')).toEqual({
      outcome: 'done',
      rows: 3,
      created: 0,
      updated: 1,
      unchanged: 2,
      pointsIgnored: 1,
      errors: 0,
    })
    expect(await count(ctx, 'card_import_rows')).toBe(0)
  })

  it('keeps nothing of a file with a bad row late in it, and says which lines', async () => {
    const before = await count(ctx, 'point_cards')
    const ledgerBefore = await count(ctx, 'ledger')
    const n = 3 * MERGE_STEP_ROWS
    // Line 1 is the header: row n at line n + 1. A bad check digit near the end, and a repeat.
    const bad = `${card(10_000_000).slice(0, 15)}${(Number(card(10_000_000).at(-1)) + 1) % 10}`
    const csv = `${HEADER}${rows(1000, 1000 + n)}${bad},1234,悪い行,1\n${card(1000)},1234,重複,1\n`
    const { id, answer } = await upload('operator', csv)
    const res = await answer
    expect(res.status).toBe(202)
    expect(res.json.status).toBe('failed')
    expect(res.json.errors).toEqual([
      { line: n + 2, message: 'card_number has a wrong check digit' },
      { line: n + 3, message: 'card_number appears twice in this file' },
    ])
    expect(await count(ctx, 'point_cards')).toBe(before)
    expect(await count(ctx, 'ledger')).toBe(ledgerBefore)
    expect(await count(ctx, 'card_import_rows', sql`job_id = ${id}`)).toBe(0)
    expect(await job(id)).toMatchObject({ status: 'failed', created: 0 })
    const entry = await row<{ detail: string }>(
      ctx.db,
      sql`SELECT detail FROM audit_log WHERE target = ${`import:${id}`}`,
    )
    expect(JSON.parse(entry?.detail ?? '{}')).toMatchObject({ outcome: 'failed', errors: 2 })
  })

  it('keeps the file until it has arrived, shows the job reading, and refuses the file twice', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let sentFirst = false
    async function* body() {
      yield HEADER + rows(20_000, 20_100)
      sentFirst = true
      await gate
      yield rows(20_100, 20_200)
    }
    const { id, answer } = await upload('admin', body())
    while (!sentFirst) await tick()
    // The file is still arriving: the job reads it (nothing staged before it is all on disk).
    let seen = await job(id)
    while (seen.status === 'waiting') {
      await tick()
      seen = await job(id)
    }
    expect(seen.status).toBe('reading')
    expect(seen.rowsStaged).toBe(0)
    const twice = await ctx.app.request(`/api/admin/imports/${id}/file`, {
      method: 'PUT',
      headers: { Authorization: as.admin.Authorization ?? '', 'Content-Type': 'text/csv' },
      body: HEADER,
    })
    expect(twice.status).toBe(409)
    release()
    const res = await answer
    expect(res.status).toBe(202)
    expect(res.json).toMatchObject({ status: 'done', created: 200, rowsMerged: 200 })
  })

  it('refuses a file that is not text/csv (415)', async () => {
    const opened = await ctx.call('POST', '/api/admin/imports', { headers: as.admin, body: {} })
    const res = await ctx.app.request(`/api/admin/imports/${opened.json.id}/file`, {
      method: 'PUT',
      headers: { Authorization: as.admin.Authorization ?? '', 'Content-Type': 'text/plain' },
      body: HEADER,
    })
    expect(res.status).toBe(415)
  })

  it('answers till awards within 2 s while a large file is merged', async () => {
    const staff = await signInStaff(ctx)
    const m = await linkedMember(ctx)
    const size = ON_POSTGRES ? 30_000 : 60_000
    const { id, answer } = await upload('admin', HEADER + rows(100_000, 100_000 + size))
    let finished = false
    void answer.then(() => {
      finished = true
    })
    const latencies: number[] = []
    let duringMerge = 0
    while (!finished) {
      await tick()
      const before = (await job(id)).status
      const t0 = performance.now()
      const res = await tillCall(ctx, staff.clerk, '/api/staff/points', {
        qrToken: m.qrNow(),
        type: 'award',
        purchaseAmount: 1000,
      })
      latencies.push(performance.now() - t0)
      expect(res.status, JSON.stringify(res.json)).toBe(200)
      const after = (await job(id)).status
      if (before === 'merging' && after === 'merging') duringMerge++
    }
    expect((await answer).json).toMatchObject({ status: 'done', created: size })
    // Awards were answered while the merge was under way, each within the bound (generous:
    // the test machine is shared; a merge in one transaction holds an award for the whole file).
    expect(duringMerge).toBeGreaterThan(0)
    expect(Math.max(...latencies)).toBeLessThan(2000)
  }, 120_000)
})

describe(`exports on ${dialect}`, () => {
  it('are for admins only: an operator, a manager and a clerk get 403', async () => {
    for (const who of ['operator', 'manager', 'clerk'] as const) {
      for (const path of ['/api/admin/exports/members.csv', '/api/admin/exports/ledger.csv']) {
        const res = await ctx.call('GET', path, { headers: as[who] })
        expect(res.status).toBe(403)
      }
    }
  })

  it('neutralises cells that start with = + - @ tab or CR', () => {
    expect(
      ['=1+2', '+81', '-3', '@SUM(A1)', '\tx', '\rx', 'ok', '1-2'].map(neutraliseCell),
    ).toEqual(["'=1+2", "'+81", "'-3", "'@SUM(A1)", "'\tx", "'\rx", 'ok', '1-2'])
  })

  it('members.csv: BOM, header, full card numbers, formula cells neutralised, recorded', async () => {
    const evil = ['=HYPERLINK(""http://x"")', '+1', '-2', '@cmd']
    const csv = HEADER + evil.map((name, i) => `${card(500_000 + i)},1234,"${name}",0\n`).join('')
    const result = await importCards(ctx.db, ctx.secrets.pinHashKey, Readable.from([csv]), 1, STATS)
    expect(result.errors).toEqual([])
    const res = await ctx.app.request('/api/admin/exports/members.csv', { headers: as.admin })
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^text\/csv/)
    const bytes = new Uint8Array(await res.arrayBuffer())
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const text = new TextDecoder().decode(bytes.slice(3))
    expect(text.split('\r\n')[0]).toBe(
      'card_number,name,rank,points,birth_date,source,linked,linked_at,created_at,last_activity_at',
    )
    expect(text).toContain(`${card(500_000)},"'=HYPERLINK(""http://x"")",regular,0`)
    expect(text).toContain(`${card(500_001)},'+1,`)
    expect(text).toContain(`${card(500_002)},'-2,`)
    expect(text).toContain(`${card(500_003)},'@cmd,`)
    const entry = await row<{ actor: string }>(
      ctx.db,
      sql`SELECT actor FROM audit_log WHERE action = 'export.members' ORDER BY id DESC LIMIT 1`,
    )
    expect(entry?.actor).toBe('role-admin')
  })

  it('ledger.csv: only the period asked, negative points stay numbers, recorded', async () => {
    const staff = await signInStaff(ctx)
    const m = await linkedMember(ctx, { points: 500 })
    const redeem = await tillCall(ctx, staff.clerk, '/api/staff/points', {
      qrToken: m.qrNow(),
      type: 'redeem',
      points: 100,
    })
    expect(redeem.status, JSON.stringify(redeem.json)).toBe(200)
    const today = createExports({
      db: ctx.db,
      clock: ctx.clock,
      timeZone: 'Asia/Tokyo',
    }).defaultPeriod(1).to
    const res = await ctx.app.request(`/api/admin/exports/ledger.csv?from=${today}&to=${today}`, {
      headers: as.admin,
    })
    expect(res.status).toBe(200)
    const text = await res.text()
    const redeemLine = text.split('\r\n').find((l) => l.includes(`${m.cardNumber},redeem`))
    expect(redeemLine).toMatch(/,redeem,-100,\d+,S001,till-clerk,/)
    // The import at time 1 (1970) is outside today's period.
    expect(text).not.toContain(card(500_000))
    const empty = await ctx.app.request(
      '/api/admin/exports/ledger.csv?from=2000-01-01&to=2000-01-02',
      { headers: as.admin },
    )
    expect((await empty.text()).split('\r\n').filter(Boolean)).toHaveLength(1)
    const bad = await ctx.call(
      'GET',
      '/api/admin/exports/ledger.csv?from=2000-01-02&to=2000-01-01',
      {
        headers: as.admin,
      },
    )
    expect(bad.status).toBe(400)
    const entry = await row<{ detail: string }>(
      ctx.db,
      sql`SELECT detail FROM audit_log WHERE action = 'export.ledger' ORDER BY id DESC LIMIT 1`,
    )
    expect(JSON.parse(entry?.detail ?? '{}')).toEqual({ from: '2000-01-01', to: '2000-01-02' })
  })

  it('reads page by page as the download is read, not the whole table at once', async () => {
    const more = HEADER + rows(700_000, 702_000)
    expect(
      (await importCards(ctx.db, ctx.secrets.pinHashKey, Readable.from([more]), 1, STATS)).errors,
    ).toEqual([])
    const pages = vi.spyOn(exportRows, 'membersPage')
    const total = await count(ctx, 'point_cards')
    const exports = createExports({
      db: ctx.db,
      clock: ctx.clock,
      timeZone: 'Asia/Tokyo',
      pageRows: 10,
    })
    const stream = await exports.members({ actor: 'test', address: null })
    const iterator = stream[Symbol.asyncIterator]()
    const first = await iterator.next()
    expect(first.done).toBe(false)
    const pagesForFirstChunk = pages.mock.calls.length
    // The stream stops pulling pages when its buffer is full: far fewer than all of them.
    expect(pagesForFirstChunk).toBeLessThan(Math.ceil(total / 100) / 2)
    let lines = String(first.value).split('\r\n').length - 1
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      lines += String(next.value).split('\r\n').length - 1
    }
    expect(lines).toBe(total + 1)
    expect(pages.mock.calls.length).toBeGreaterThanOrEqual(Math.ceil(total / 100))
  })
})
