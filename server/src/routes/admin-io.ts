import { Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { exportPeriodSchema, importOpenSchema } from '@membercard/shared'
import { Hono } from 'hono'
import { z } from 'zod'
import { ApiError } from '../http/api-error.ts'
import { auditActor } from '../http/audit-actor.ts'
import { allowSlowBody } from '../http/public-server.ts'
import { validate } from '../http/validate.ts'
import type { Env, RouteDeps } from './deps.ts'

const jobParam = z.strictObject({
  id: z.coerce
    .number()
    .int()
    .positive()
    .max(2 ** 53 - 1),
})

/**
 * How long an import's file may take to arrive, instead of the server's 30 s for a whole
 * request: 200 MB at about 115 kB/s (docs/decisions/086). A stalled upload is still closed by
 * the server's idle timeout.
 */
export const IMPORT_UPLOAD_MS = 30 * 60_000

/** The one upload path that takes a body other than JSON (app.ts lets it past the JSON gate). */
export const IMPORT_FILE_PATH = /^\/api\/admin\/imports\/\d+\/file$/

/** A CSV download: streamed, never cached, with its file name. */
function csvResponse(stream: Readable, name: string): Response {
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, {
    status: 200,
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${name}"`,
      'Cache-Control': 'no-store',
    },
  })
}

/**
 * Imports of point cards (operator+) and the CSV exports (admin): see
 * docs/decisions/061-console-import-staging.md and 062-csv-exports.md.
 */
export function adminIoRoutes({ cardImports, exports, requireAdmin, clientAddress }: RouteDeps) {
  return new Hono<Env>()
    .post('/imports', validate('json', importOpenSchema), async (c) => {
      const { size } = c.req.valid('json')
      return c.json(await cardImports.open(auditActor(c, clientAddress), size ?? null), 201)
    })
    .get('/imports/:id', validate('param', jobParam), async (c) =>
      c.json(await cardImports.get(c.req.valid('param').id), 200),
    )
    .put('/imports/:id/file', validate('param', jobParam), async (c) => {
      const type = c.req.header('Content-Type') ?? ''
      if (!/^text\/csv\b/i.test(type)) {
        throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Send the file with Content-Type: text/csv.')
      }
      const length = c.req.header('Content-Length')
      const size = length !== undefined && /^\d+$/.test(length) ? Number(length) : null
      // An operator's file for a job: it may take longer to arrive than other requests.
      allowSlowBody(c.env, IMPORT_UPLOAD_MS)
      const raw = c.req.raw.body
      const body = raw
        ? Readable.fromWeb(raw as unknown as NodeReadableStream<Uint8Array>)
        : Readable.from([])
      // Answered once the file is on disk; it is read and merged in the background.
      const job = await cardImports.receive(
        c.req.valid('param').id,
        auditActor(c, clientAddress),
        body,
        size,
      )
      return c.json(job, 202)
    })
    .get('/exports/members.csv', requireAdmin, async (c) => {
      const stream = await exports.members(auditActor(c, clientAddress))
      return csvResponse(stream, 'members.csv')
    })
    .get('/exports/ledger.csv', requireAdmin, validate('query', exportPeriodSchema), async (c) => {
      const q = c.req.valid('query')
      const fallback = exports.defaultPeriod()
      const period = { from: q.from ?? fallback.from, to: q.to ?? fallback.to }
      if (period.from > period.to) {
        throw new ApiError('VALIDATION_FAILED', '`from` must not be after `to`.')
      }
      const stream = await exports.ledger(auditActor(c, clientAddress), period)
      return csvResponse(stream, `ledger-${period.from}_${period.to}.csv`)
    })
}
