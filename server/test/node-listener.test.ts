import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { API_HEADERS, markApiAnswer } from '../src/http/node-listener.ts'
import { serveApp } from './support.ts'

/** Raw answer over a real socket: the header lines as sent, so duplicates show. */
function rawGet(base: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; raw: string[]; body: string }>((resolve, reject) => {
    const req = request(`${base}${path}`, { headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => {
        body += d
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, raw: res.rawHeaders, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** The values of one header name (any case) in a raw header list. */
function values(raw: string[], name: string): string[] {
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === name.toLowerCase()) out.push(raw[i + 1] as string)
  }
  return out
}

describe('the Node layer (http/node-listener.ts)', async () => {
  // A stand-in app: answers shaped the ways Hono's answers reach Node.
  // It marks its `/api/` answers as the app does (on the path it routes on).
  const base = await serveApp({
    fetch: (req: Request, env) => {
      const path = new URL(req.url).pathname
      if (path.startsWith('/api/') && path !== '/api/unmarked') markApiAnswer(env)
      if (path === '/api/own-cache')
        return new Response('{}', {
          headers: { 'Content-Type': 'application/json', 'cache-control': 'private, max-age=5' },
        })
      if (path === '/api/stream')
        return new Response(
          new ReadableStream({
            start(c) {
              c.enqueue(new TextEncoder().encode('a'))
              c.close()
            },
          }),
        )
      if (path === '/api/cookies') {
        const h = new Headers()
        h.append('Set-Cookie', 'a=1')
        h.append('Set-Cookie', 'b=2')
        return new Response(null, { status: 204, headers: h })
      }
      return new Response('ok', { headers: { 'X-Frame-Options': 'SAMEORIGIN' } })
    },
  })

  it('adds each API security header once, and an app header of the same name wins', async () => {
    const res = await rawGet(base, '/api/own-cache')
    expect(res.status).toBe(200)
    expect(values(res.raw, 'Cache-Control')).toEqual(['private, max-age=5'])
    for (const [name, value] of API_HEADERS.filter(([n]) => n !== 'Cache-Control')) {
      expect(values(res.raw, name)).toEqual([value])
    }
    expect(values(res.raw, 'X-Request-Id')).toHaveLength(1)
    expect(values(res.raw, 'Content-Type')).toEqual(['application/json'])
  })

  it('covers streamed and empty answers, and keeps repeated headers of the app', async () => {
    const stream = await rawGet(base, '/api/stream')
    expect(stream.body).toBe('a')
    expect(values(stream.raw, 'Cache-Control')).toEqual(['no-store'])
    expect(values(stream.raw, 'X-Request-Id')).toHaveLength(1)
    const cookies = await rawGet(base, '/api/cookies')
    expect(cookies.status).toBe(204)
    expect(values(cookies.raw, 'Set-Cookie')).toEqual(['a=1', 'b=2'])
    expect(values(cookies.raw, 'X-Frame-Options')).toEqual(['DENY'])
  })

  it('adds the API headers only to answers the app marked, whatever the raw target', async () => {
    const unmarked = await rawGet(base, '/api/unmarked')
    expect(values(unmarked.raw, 'Cache-Control')).toEqual([])
    expect(values(unmarked.raw, 'X-Request-Id')).toHaveLength(1)
    const marked = await rawGet(base, '/api/stream')
    expect(values(marked.raw, 'Cache-Control')).toEqual(['no-store'])
  })

  it('outside /api/ adds only the request ID, and keeps a well-formed caller ID', async () => {
    const page = await rawGet(base, '/page', { 'x-request-id': 'till-7=ok' })
    expect(values(page.raw, 'X-Request-Id')).toEqual(['till-7=ok'])
    expect(values(page.raw, 'X-Frame-Options')).toEqual(['SAMEORIGIN'])
    expect(values(page.raw, 'Cache-Control')).toEqual([])
    const bad = await rawGet(base, '/page', { 'X-Request-ID': 'no spaces' })
    expect(values(bad.raw, 'X-Request-Id')[0]).toMatch(/^[0-9a-f-]{36}$/)
  })
})
