import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { luhnCheckDigit } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import { fakeClock } from '../src/clock.ts'
import { createRequestListener } from '../src/http/node-listener.ts'
import { createPublicServer } from '../src/http/public-server.ts'
import { memoryLogger } from '../src/logger.ts'
import { cardImportJobs } from '../src/repositories/card-import-jobs.ts'
import {
  createCardImportJobs,
  IMPORT_LEASE_MS,
  MERGE_STEP_ROWS,
  READ_INTERRUPTED,
} from '../src/services/card-import-job.ts'
import { createDailyStats } from '../src/services/daily-stats.ts'
import { type RoleName, roleHeaders } from './admin-support.ts'
import { createTestContext, ON_POSTGRES, row, type TestContext } from './support.ts'

/**
 * A console import's upload through the production HTTP server (its own whole-request
 * deadline, here 300 ms), and imports whose process stopped between two steps
 * (docs/decisions/086).
 */

const dialect = ON_POSTGRES ? 'PostgreSQL' : 'SQLite'
const STATS = createDailyStats('Asia/Tokyo')
const HEADER = 'card_number,pin,name,points\n'
/** The server's whole-request deadline in these tests. */
const REQUEST_MS = 300
/** The largest file the import of these tests takes. */
const MAX_BYTES = 64 * 1024

const card = (n: number) => {
  const body = `37${String(n).padStart(13, '0')}`
  return body + luhnCheckDigit(body)
}
function rows(from: number, to: number): string {
  let out = ''
  for (let n = from; n < to; n++) out += `${card(n)},1234,会員 ${n},${n % 7}\n`
  return out
}

let ctx: TestContext
let as: Record<RoleName, Record<string, string>>
let spoolRoot: string
let server: Server
let base: string

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 10))

async function until<T>(what: string, read: () => Promise<T> | T, done: (v: T) => boolean) {
  const end = Date.now() + 15_000
  for (;;) {
    const v = await read()
    if (done(v)) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`)
    await tick()
  }
}

async function count(table: string, where = sql`1 = 1`) {
  const r = await row<{ n: number }>(
    ctx.db,
    sql`SELECT CAST(count(*) AS INTEGER) AS n FROM ${sql.identifier(table)} WHERE ${where}`,
  )
  return Number(r?.n)
}

/** Cards whose numbers are those of rows `from`..`to`-1, with their points summed. */
async function cardsOf(from: number, to: number) {
  const numbers = Array.from({ length: to - from }, (_, i) => card(from + i))
  const r = await row<{ n: number; points: number }>(
    ctx.db,
    sql`SELECT CAST(count(*) AS INTEGER) AS n, CAST(coalesce(sum(points), 0) AS INTEGER) AS points
      FROM point_cards WHERE card_number IN (${sql.join(
        numbers.map((n) => sql`${n}`),
        sql`, `,
      )})`,
  )
  return { n: Number(r?.n), points: Number(r?.points) }
}

/** `import` ledger entries of cards whose numbers start with 37 (this file's). */
const importEntries = () =>
  count(
    'ledger',
    sql`type = 'import' AND card_id IN (SELECT id FROM point_cards WHERE card_number LIKE '37%')`,
  )

/** A job done or failed. */
const ended = (j: { status: string }) => j.status === 'done' || j.status === 'failed'

const jobOf = async (id: number) => {
  const res = await ctx.call('GET', `/api/admin/imports/${id}`, { headers: as.operator })
  expect(res.status).toBe(200)
  return res.json as { status: string; errors: { line: number; message: string }[] } & Record<
    string,
    number
  >
}

async function openJob(): Promise<number> {
  const opened = await ctx.call('POST', '/api/admin/imports', { headers: as.operator, body: {} })
  expect(opened.status).toBe(201)
  return opened.json.id as number
}

/** A PUT of a job's file to the real server, written by the test piece by piece. */
function putFile(id: number) {
  const req = httpRequest(`${base}/api/admin/imports/${id}/file`, {
    method: 'PUT',
    headers: { Authorization: as.operator.Authorization ?? '', 'Content-Type': 'text/csv' },
  })
  const answered = new Promise<{ status: number | 'closed'; body: string }>((resolve) => {
    req.on('response', (res) => {
      let body = ''
      res.on('data', (d) => {
        body += d
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', () => resolve({ status: 'closed', body }))
    })
    req.on('error', () => resolve({ status: 'closed', body: '' }))
  })
  return { req, answered }
}

/** A request whose body never arrives whole: what it got (the server's deadline cuts it). */
function lateBody() {
  return new Promise<number | 'closed'>((resolve) => {
    const req = httpRequest(`${base}/api/admin/imports`, {
      method: 'POST',
      headers: {
        Authorization: as.operator.Authorization ?? '',
        'Content-Type': 'application/json',
        'Content-Length': '100',
      },
    })
    req.on('response', (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', () => resolve('closed'))
    req.write('{')
  })
}

beforeAll(async () => {
  ctx = await createTestContext()
  as = await roleHeaders(ctx)
  spoolRoot = mkdtempSync(join(tmpdir(), 'membercard-spool-test-'))
  // The production app and HTTP server, with an import that keeps its files in spoolRoot.
  const app = createApp({
    db: ctx.db,
    clock: ctx.clock,
    config: ctx.config,
    secrets: ctx.secrets,
    logger: memoryLogger(),
    cardImports: createCardImportJobs({
      db: ctx.db,
      clock: ctx.clock,
      pinKey: ctx.secrets.pinHashKey,
      stats: STATS,
      spoolRoot,
      maxBytes: MAX_BYTES,
    }),
  })
  server = createPublicServer(createRequestListener(app.fetch), {
    trustProxy: [],
    limits: { headersTimeoutMs: REQUEST_MS, requestTimeoutMs: REQUEST_MS, checkIntervalMs: 20 },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => {
  server?.close()
  if (spoolRoot) rmSync(spoolRoot, { recursive: true, force: true })
})

describe(`a console import's upload on ${dialect}`, () => {
  it('takes a file that arrives more slowly than the server lets other requests take', async () => {
    const id = await openJob()
    const { req, answered } = putFile(id)
    req.write(HEADER + rows(1, 300))
    await until(
      'the upload to be taken',
      () => jobOf(id),
      (j) => j.status === 'reading',
    )
    // Another request whose body is late is cut off by the deadline meanwhile...
    expect(await lateBody()).toBe(408)
    // ...and the upload, open longer than that, is still taken.
    req.end(rows(300, 600))
    const answer = await answered
    expect(answer.status, answer.body).toBe(202)
    expect(JSON.parse(answer.body)).toMatchObject({ id, status: 'reading' })
    const done = await until('the import', () => jobOf(id), ended)
    expect(done).toMatchObject({ status: 'done', created: 599, rowsMerged: 599, errors: [] })
    expect(await cardsOf(1, 600)).toMatchObject({ n: 599 })
    expect(readdirSync(spoolRoot)).toEqual([])
  })

  it('fails a job whose upload the client broke off, and keeps nothing of it', async () => {
    const id = await openJob()
    const { req, answered } = putFile(id)
    req.write(HEADER + rows(1000, 1300))
    await until(
      'the upload to be taken',
      () => jobOf(id),
      (j) => j.status === 'reading',
    )
    // The file is on its way to disk (its folder exists) when the client goes away.
    await until(
      'the spool file',
      () => readdirSync(spoolRoot).length,
      (n) => n === 1,
    )
    req.destroy()
    expect((await answered).status).toBe('closed')
    const failed = await until('the job to end', () => jobOf(id), ended)
    expect(failed.status).toBe('failed')
    expect(failed.errors).toEqual([{ line: 0, message: 'The upload broke off before its end.' }])
    expect(readdirSync(spoolRoot)).toEqual([])
    expect(await count('card_import_rows', sql`job_id = ${id}`)).toBe(0)
    expect((await cardsOf(1000, 1300)).n).toBe(0)
    const entry = await row<{ detail: string }>(
      ctx.db,
      sql`SELECT detail FROM audit_log WHERE action = 'import.cards' AND target = ${`import:${id}`}`,
    )
    expect(JSON.parse(entry?.detail ?? '{}')).toMatchObject({ outcome: 'failed', errors: 1 })
  })

  it('fails a job whose file turns out over the size cap (413), and keeps nothing of it', async () => {
    const id = await openJob()
    // Announced too large (Content-Length): refused before anything; the job still waits.
    const announced = putFile(id)
    announced.req.on('error', () => {})
    announced.req.end(HEADER + rows(2000, 4000)) // about 90 kB, with its Content-Length
    expect((await announced.answered).status).toBe(413)
    expect((await jobOf(id)).status).toBe('waiting')
    // Sent without a length (chunked): refused once the cap is passed, and the job fails.
    const { req, answered } = putFile(id)
    req.on('error', () => {})
    req.write(HEADER + rows(2000, 3000))
    req.end(rows(3000, 4000))
    const answer = await answered
    // 413, or the connection closed by the server while the rest was still being sent.
    if (answer.status !== 'closed') expect(answer.status).toBe(413)
    const failed = await until('the job to end', () => jobOf(id), ended)
    expect(failed.status).toBe('failed')
    expect(failed.errors[0]?.message).toMatch(/over 65536 bytes/)
    expect(readdirSync(spoolRoot)).toEqual([])
    expect((await cardsOf(2000, 4000)).n).toBe(0)
  })
})

/** A `stepBoundary` that stops the import for good at the `n`th boundary of `stage`. */
function dieAt(stage: 'reading' | 'merging', n: number) {
  let seen = 0
  const state = { dead: false }
  return {
    state,
    hook: async (s: 'reading' | 'merging') => {
      if (s !== stage || ++seen < n) return
      state.dead = true
      await new Promise<never>(() => {})
    },
  }
}

describe(`imports whose process stopped between two steps, on ${dialect}`, () => {
  const actor = { actor: 'role-operator', address: '192.0.2.1' }
  function imports(clock: ReturnType<typeof fakeClock>, root: string, stepBoundary?: never) {
    return createCardImportJobs({
      db: ctx.db,
      clock,
      pinKey: ctx.secrets.pinHashKey,
      stats: STATS,
      spoolRoot: root,
      ...(stepBoundary ? { stepBoundary } : {}),
    })
  }

  it('merges the rest of an import left merging, once, when its lease has run out', async () => {
    const root = mkdtempSync(join(tmpdir(), 'membercard-spool-test-'))
    try {
      const clock = fakeClock(ctx.clock.now())
      const death = dieAt('merging', 2)
      const first = imports(clock, root, death.hook as never)
      const total = 3 * MERGE_STEP_ROWS + 250
      const from = 10_000
      const csv = HEADER + rows(from, from + total)
      const { id } = await first.open(actor, null)
      const ledgerBefore = await importEntries()
      await first.receive(id, actor, Readable.from([Buffer.from(csv)]), null)
      await until('the first process to stop', () => death.state.dead, Boolean)
      const left = await jobOf(id)
      expect(left).toMatchObject({ status: 'merging', rowsMerged: 2 * MERGE_STEP_ROWS })
      expect((await cardsOf(from, from + total)).n).toBe(2 * MERGE_STEP_ROWS)
      // A step from a line the job has moved past (another process's, late) is refused.
      const stale = { afterLine: 0, rows: 1, throughLine: 2, created: 1 }
      const late = await ctx.db.transaction((tx) =>
        cardImportJobs.merged(
          tx,
          id,
          { ...stale, updated: 0, unchanged: 0, pointsIgnored: 0 },
          clock.now(),
        ),
      )
      expect(late).toBe(false)
      expect(await jobOf(id)).toMatchObject({ rowsMerged: 2 * MERGE_STEP_ROWS })

      const next = imports(clock, root)
      // The first process's lease still holds: nobody takes its import over yet.
      expect(await next.recover()).toBe(0)
      expect((await jobOf(id)).status).toBe('merging')
      clock.advance(IMPORT_LEASE_MS + 1)
      expect(await next.recover()).toBe(1)
      const done = await jobOf(id)
      expect(done).toMatchObject({
        status: 'done',
        rowsStaged: total,
        rowsMerged: total,
        created: total,
        errors: [],
      })
      // Every card of the file once, with its opening balance once.
      let points = 0
      let withPoints = 0
      for (let n = from; n < from + total; n++) {
        points += n % 7
        if (n % 7 > 0) withPoints++
      }
      expect(await cardsOf(from, from + total)).toEqual({ n: total, points })
      expect((await importEntries()) - ledgerBefore).toBe(withPoints)
      expect(await count('card_import_rows', sql`job_id = ${id}`)).toBe(0)
      const entry = await row<{ detail: string; actor: string }>(
        ctx.db,
        sql`SELECT actor, detail FROM audit_log WHERE target = ${`import:${id}`}`,
      )
      expect(entry?.actor).toBe('role-operator')
      expect(JSON.parse(entry?.detail ?? '{}')).toMatchObject({ outcome: 'done', created: total })
      // Nothing is left to finish.
      clock.advance(IMPORT_LEASE_MS + 1)
      expect(await next.recover()).toBe(0)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('refuses whole an import left reading, once its lease has run out', async () => {
    const root = mkdtempSync(join(tmpdir(), 'membercard-spool-test-'))
    try {
      const clock = fakeClock(ctx.clock.now())
      const death = dieAt('reading', 2)
      const first = imports(clock, root, death.hook as never)
      const from = 20_000
      const total = 2500
      const { id } = await first.open(actor, null)
      await first.receive(
        id,
        actor,
        Readable.from([Buffer.from(HEADER + rows(from, from + total))]),
        null,
      )
      await until('the first process to stop', () => death.state.dead, Boolean)
      const left = await jobOf(id)
      expect(left.status).toBe('reading')
      expect(left.rowsStaged).toBeGreaterThan(0)

      const next = imports(clock, root)
      expect(await next.recover()).toBe(0)
      clock.advance(IMPORT_LEASE_MS + 1)
      expect(await next.recover()).toBe(1)
      const failed = await jobOf(id)
      expect(failed).toMatchObject({ status: 'failed', created: 0, rowsMerged: 0 })
      expect(failed.errors).toEqual([{ line: 0, message: READ_INTERRUPTED }])
      expect(await count('card_import_rows', sql`job_id = ${id}`)).toBe(0)
      expect((await cardsOf(from, from + total)).n).toBe(0)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
