import { Readable } from 'node:stream'
import { luhnCheckDigit } from '@membercard/shared'
import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { type RoleName, roleHeaders } from './admin-support.ts'
import { createTestContext, ON_POSTGRES, row, type TestContext } from './support.ts'

// Issue 13 §9 (decision 039) through the console's upload (decision 061): the same checks as
// `pnpm cards:import`, with the line, on a streamed body, nothing kept.

const dialect = ON_POSTGRES ? 'PostgreSQL' : 'SQLite'
const NOT_UTF8 = 'the file is not valid UTF-8 here (save it as UTF-8)'
const TOO_LONG = 'the record is longer than 4096 bytes'

const card = (n: number) => {
  const body = `37${String(n).padStart(13, '0')}`
  return body + luhnCheckDigit(body)
}

let ctx: TestContext
let as: Record<RoleName, Record<string, string>>

beforeAll(async () => {
  ctx = await createTestContext()
  as = await roleHeaders(ctx)
})

async function count(table: string, where = sql`1 = 1`) {
  const r = await row<{ n: number }>(
    ctx.db,
    sql`SELECT CAST(count(*) AS INTEGER) AS n FROM ${sql.identifier(table)} WHERE ${where}`,
  )
  return Number(r?.n)
}

/** Opens an import as an operator and sends `chunks` as its file, streamed. */
async function upload(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
  const opened = await ctx.call('POST', '/api/admin/imports', { headers: as.operator, body: {} })
  expect(opened.status).toBe(201)
  const id = opened.json.id as number
  const res = await ctx.app.request(`/api/admin/imports/${id}/file`, {
    method: 'PUT',
    headers: { Authorization: as.operator.Authorization ?? '', 'Content-Type': 'text/csv' },
    body: Readable.toWeb(Readable.from(chunks)) as ReadableStream<Uint8Array>,
    duplex: 'half',
  } as RequestInit)
  let json = (await res.json()) as { status: string; errors: unknown[] }
  // 202 once the file is on disk (decision 086): it is then read in the background.
  while (res.status === 202 && json.status !== 'done' && json.status !== 'failed') {
    await new Promise<void>((resolve) => setTimeout(resolve, 5))
    const polled = await ctx.call('GET', `/api/admin/imports/${id}`, { headers: as.operator })
    expect(polled.status).toBe(200)
    json = polled.json
  }
  return { id, status: res.status, json }
}

function split(file: Buffer, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < file.length; i += size) out.push(file.subarray(i, i + size))
  return out
}

describe(`the console's import refuses bad input by its line on ${dialect}`, () => {
  it('malformed UTF-8 (a name saved as Shift_JIS) is refused at its line, never stored as U+FFFD', async () => {
    const file = Buffer.concat([
      Buffer.from(`card_number,pin,name,points\n${card(1)},1234,山田 花子,1\n`),
      Buffer.from(`${card(2)},1234,"二行の\n名前",2\n`),
      // Line 5: "山田" in Shift_JIS.
      Buffer.from(`${card(3)},1234,`),
      Buffer.from([0x8e, 0x52, 0x93, 0x63]),
      Buffer.from(`,3\n${card(4)},1234,後,4\n`),
    ])
    const cardsBefore = await count('point_cards')
    for (const size of [1, 3, 64, file.length]) {
      const { id, status, json } = await upload(split(file, size))
      expect(status).toBe(202)
      expect(json.status, `chunks of ${size}`).toBe('failed')
      expect(json.errors).toEqual([{ line: 5, message: NOT_UTF8 }])
      expect(await count('card_import_rows', sql`job_id = ${id}`)).toBe(0)
    }
    expect(await count('point_cards')).toBe(cardsBefore)
    const garbled = await count('point_cards', sql`name LIKE ${'%\uFFFD%'}`)
    expect(garbled).toBe(0)
  })

  it('a record over 4 KiB is refused at its line, and so is a file with no line break', async () => {
    const cardsBefore = await count('point_cards')
    const long = Buffer.from(
      `card_number,pin,name,points\n${card(10)},1234,A,1\n${card(11)},1234,${'x'.repeat(5000)},1\n${card(12)},1234,C,1\n`,
    )
    const refused = await upload(split(long, 1000))
    expect(refused.json.status).toBe('failed')
    expect(refused.json.errors).toEqual([{ line: 3, message: TOO_LONG }])
    expect(await count('point_cards')).toBe(cardsBefore)

    // 64 MiB without a line break: the upload is kept on disk whole (decision 086), then read
    // and refused at its first line, with nothing staged.
    let served = 0
    async function* endless() {
      while (served < 64 * 1024 * 1024) {
        served += 65_536
        yield Buffer.alloc(65_536, 0x61)
      }
    }
    const huge = await upload(endless())
    expect(huge.json.status).toBe('failed')
    expect(huge.json.errors).toEqual([{ line: 1, message: TOO_LONG }])
    expect(served).toBe(64 * 1024 * 1024)
    expect(await count('card_import_rows', sql`job_id = ${huge.id}`)).toBe(0)
  })
})
