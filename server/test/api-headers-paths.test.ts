import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { API_HEADERS } from '../src/http/node-listener.ts'
import { createTestContext, serveApp } from './support.ts'

const ctx = await createTestContext()
const base = await serveApp(ctx.app)
const { host } = new URL(base)

/** A request with its target sent exactly as given (no client-side normalisation). */
function rawRequest(target: string, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, string>; body: string }>(
    (resolve, reject) => {
      const { hostname, port } = new URL(base)
      const req = request({ hostname, port, method, path: target }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d) => {
          body += d
        })
        res.on('end', () => {
          const headers: Record<string, string> = {}
          for (const [name, value] of Object.entries(res.headers)) headers[name] = String(value)
          resolve({ status: res.statusCode ?? 0, headers, body })
        })
      })
      req.on('error', reject)
      req.end()
    },
  )
}

describe('the API headers follow the path the app routes on (decision 032)', () => {
  it('an encoded path, a dot segment and an absolute-form target get them as /api/me does', async () => {
    const plain = await rawRequest('/api/me')
    expect(plain.status).toBe(401)
    for (const target of [
      '/%61pi/me',
      '/%61%70%69/%6De',
      '/assets/../api/me',
      `http://${host}/api/me`,
      `http://${host}/%61pi/me`,
    ]) {
      const res = await rawRequest(target)
      // It reached the API (the customer auth answered), so it must carry the API's headers.
      expect(res.status, target).toBe(401)
      expect(JSON.parse(res.body).error.code, target).toBe('INVALID_ID_TOKEN')
      for (const [name, value] of API_HEADERS) {
        expect(res.headers[name.toLowerCase()], `${target} ${name}`).toBe(value)
      }
      // …and not the pages' headers.
      expect(res.headers['referrer-policy'], target).toBeUndefined()
    }
  })

  it('an encoded path outside the API gets the pages headers, not the API ones', async () => {
    for (const target of ['/%68ealthz', `http://${host}/healthz`]) {
      const res = await rawRequest(target)
      expect(res.status, target).toBe(200)
      expect(res.headers['cache-control'], target).toBeUndefined()
      expect(res.headers['referrer-policy'], target).toBe('no-referrer')
    }
  })

  it('an encoded slash is not a path separator: /api%2Fme is not an API route', async () => {
    const res = await rawRequest('/api%2Fme')
    expect(res.status).toBe(404)
    expect(res.headers['cache-control']).toBeUndefined()
  })
})
