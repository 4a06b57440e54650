/**
 * `pnpm bench` rows of the console's imports and exports (issue 14), on the production server
 * the bench already runs on SQLite (its 100,000 members, 1,000 of them linked, the clerk):
 *
 * - the till's award latency while the console imports a 1,000,000-row point-card CSV
 *   (`POST /api/admin/imports`, then the file streamed to `PUT /api/admin/imports/{id}/file`,
 *   answered once on disk, then the job polled until done; docs/decisions/061, 086): awards at a fixed rate, p50/p99 before the import and while it runs;
 *   the file's cards are new ones (numbers after the server's), so the import and the till
 *   never touch the same card;
 * - the members export of 1,000,000 members (`GET /api/admin/exports/members.csv`, streamed;
 *   docs/decisions/062) from a server of its own on a database of 1,000,000 cards written
 *   set-based beforehand: its time, its rows, and the server's resident memory before it and at
 *   its peak (VmHWM from /proc, reset just before the export where the kernel allows it).
 *
 * BENCH_SKIP `console-io` leaves these out; BENCH_CONSOLE_IMPORT_ROWS (1000000),
 * BENCH_TILL_RATE (awards a second during the import, 100), BENCH_EXPORT_MEMBERS (1000000).
 */
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { Readable } from 'node:stream'
import autocannon from 'autocannon'
import { openSqlite } from '../server/src/db/sqlite.ts'

export interface ConsoleIoRow {
  scenario: string
  value: string
  baseline: string
  ratio: number | null
  goal: string
  met: boolean | null
  note?: string
}

const env = process.env
const IMPORT_ROWS = Number(env.BENCH_CONSOLE_IMPORT_ROWS ?? 1_000_000)
const TILL_RATE = Number(env.BENCH_TILL_RATE ?? 100)
/** Members in the export's own database (BENCH_EXPORT_MEMBERS). */
export const EXPORT_MEMBERS = Number(env.BENCH_EXPORT_MEMBERS ?? 1_000_000)

type Setup = (req: { headers?: Record<string, string>; body?: string }) => {
  headers?: Record<string, string>
  body?: string
}

/** Resident memory of a process now and its peak so far (MB), from /proc (Linux). */
function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 }
}

/** Resets a process's peak RSS to its current RSS (`echo 5 > /proc/pid/clear_refs`), if allowed. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** Awards at a fixed rate for `seconds`: latencies and what was answered. */
async function tillAt(url: string, setup: Setup, seconds: number) {
  const r = await autocannon({
    url,
    connections: 10,
    duration: seconds,
    overallRate: TILL_RATE,
    timeout: 10,
    requests: [{ method: 'POST', setupRequest: setup }],
  } as autocannon.Options)
  return {
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  }
}

export async function measureConsoleIo(o: {
  base: string
  serverPid: number
  /** An admin's bearer token on that server. */
  adminToken: string
  /** One award by the clerk with a new key (the bench's `awardBody`). */
  award: Setup
  /** Writes `rows` generated cards, numbered from `offset`, as the contract's CSV. */
  writeCsv: (path: string, rows: number, offset: number) => Promise<void>
  csvPath: string
  log: (s: string) => void
}): Promise<ConsoleIoRow[]> {
  const rows: ConsoleIoRow[] = []
  const auth = { authorization: `Bearer ${o.adminToken}` }
  const awardUrl = `${o.base}/api/staff/points`

  o.log(`console import: writing ${IMPORT_ROWS.toLocaleString('en')} rows`)
  await o.writeCsv(o.csvPath, IMPORT_ROWS, 10_000_000)
  const size = statSync(o.csvPath).size

  o.log(`till at ${TILL_RATE} awards/s, no import (15 s)`)
  const quiet = await tillAt(awardUrl, o.award, 15)

  const opened = await fetch(`${o.base}/api/admin/imports`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ size }),
  })
  if (opened.status !== 201) throw new Error(`import open: ${opened.status} ${await opened.text()}`)
  const { id } = (await opened.json()) as { id: number | string }
  o.log(`console import ${id}: uploading ${Math.round(size / 2 ** 20)} MB`)
  const started = performance.now()
  // Answered 202 once the file is on the server's disk (decision 086); the job is then read
  // and merged in the background: polled until it ends.
  const upload = fetch(`${o.base}/api/admin/imports/${id}/file`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'text/csv', 'content-length': String(size) },
    body: Readable.toWeb(createReadStream(o.csvPath)) as unknown as BodyInit,
    duplex: 'half',
  } as RequestInit).then(async (res) => ({ status: res.status, body: await res.text() }))
  let uploaded = 0
  const finishedJob = upload.then(async (answer) => {
    uploaded = performance.now()
    if (answer.status !== 202) return `? (upload answered ${answer.status})`
    for (;;) {
      const state = await fetch(`${o.base}/api/admin/imports/${id}`, { headers: auth })
      const status = ((await state.json()) as { status?: string }).status ?? '?'
      if (status === 'done' || status === 'failed' || state.status !== 200) return status
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  })
  let done = false
  let finished = 0
  const tracked = finishedJob.finally(() => {
    done = true
    finished = performance.now()
  })
  // Awards in windows of 10 s for as long as the import runs (at least one window).
  const during: Awaited<ReturnType<typeof tillAt>>[] = []
  do {
    during.push(await tillAt(awardUrl, o.award, 10))
  } while (!done && during.length < 60)
  const jobStatus = await tracked
  const importSeconds = (finished - started) / 1000
  const uploadSeconds = ((uploaded || finished) - started) / 1000
  const job = { status: jobStatus }
  const windows = during.length
  // Only the windows that ended before the import did were fully inside it.
  const inside = during.slice(0, done ? Math.max(1, windows - 1) : windows)
  const p99 = Math.max(...inside.map((w) => w.p99))
  const p50 = Math.max(...inside.map((w) => w.p50))
  // The typical window as well as the worst: the median of the windows' p99 and p50.
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
  const typical = `median window p99 ${median(inside.map((w) => w.p99))} ms, p50 ${median(inside.map((w) => w.p50))} ms`
  const answered = inside.reduce((n, w) => n + w.requests, 0)
  const failed = inside.reduce((n, w) => n + w.non2xx + w.errors, 0)
  rows.push({
    scenario: `till award at ${TILL_RATE}/s while the console imports ${IMPORT_ROWS.toLocaleString('en')} rows, SQLite`,
    value: `worst window p99 ${p99} ms, p50 ${p50} ms; ${typical} (${answered.toLocaleString('en')} awards in ${inside.length} × 10 s inside the import, ${failed} failed); upload answered in ${uploadSeconds.toFixed(1)} s, import ${importSeconds.toFixed(1)} s, job ${job.status}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    baseline: `no import: p99 ${quiet.p99} ms, p50 ${quiet.p50} ms`,
    ratio: null,
    goal: 'every award answered',
    met: failed === 0 && quiet.non2xx + quiet.errors === 0 && job.status === 'done',
  })
  o.log(`${rows.at(-1)?.scenario}: ${rows.at(-1)?.value}; ${rows.at(-1)?.baseline}`)
  return rows
}

/** Writes `n` cards set-based into a migrated SQLite database (a recursive CTE). */
export function fillCards(path: string, n: number): void {
  const db = openSqlite(path)
  try {
    const at = Date.now()
    db.sqlite.exec(
      `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n})
      INSERT INTO point_cards (card_number, name, points, rank, source, created_at, updated_at)
      SELECT printf('%016d', 4000000000000000 + i), '会員 ' || i, i % 5000,
        CASE i % 5 WHEN 3 THEN 'silver' WHEN 4 THEN 'gold' ELSE 'regular' END,
        'import', ${at}, ${at} FROM s`,
    )
  } finally {
    db.sqlite.close()
  }
}

/** The members export from a server whose database holds EXPORT_MEMBERS cards. */
export async function measureMembersExport(o: {
  base: string
  serverPid: number
  adminToken: string
  log: (s: string) => void
}): Promise<ConsoleIoRow> {
  const auth = { authorization: `Bearer ${o.adminToken}` }
  const before = memoryOf(o.serverPid)
  const reset = resetPeak(o.serverPid)
  const t = performance.now()
  const res = await fetch(`${o.base}/api/admin/exports/members.csv`, { headers: auth })
  if (res.status !== 200 || !res.body) throw new Error(`export: ${res.status}`)
  let bytes = 0
  let lines = 0
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length
    for (const b of chunk) if (b === 10) lines++
  }
  const seconds = (performance.now() - t) / 1000
  const after = memoryOf(o.serverPid)
  const members = lines - 1
  const growth = after.peakMb - before.rssMb
  const row: ConsoleIoRow = {
    scenario: `members export (CSV, streamed) of ${members.toLocaleString('en')} members, SQLite`,
    value: `${seconds.toFixed(1)} s, ${Math.round(bytes / 2 ** 20)} MB; server RSS ${Math.round(before.rssMb)} MB before, peak ${Math.round(after.peakMb)} MB during (+${Math.round(growth)} MB)`,
    baseline: '—',
    ratio: null,
    goal: '≥ 1,000,000 rows; peak RSS growth ≤ 100 MB',
    met: members >= 1_000_000 && reset && growth < 100,
    ...(reset ? {} : { note: 'the peak is since the server started: clear_refs not allowed' }),
  }
  o.log(`${row.scenario}: ${row.value}`)
  return row
}
