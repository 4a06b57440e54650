import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.ts'
import { openDatabase } from '../src/db/client.ts'
import type { SqliteDatabase } from '../src/db/sqlite.ts'
import { loadSecrets } from '../src/secrets.ts'
import { createTestContext, serveApp } from './support.ts'

const ctx = await createTestContext()

describe('HTTP basics', () => {
  it('GET /healthz answers 200', async () => {
    expect((await ctx.call('GET', '/healthz')).status).toBe(200)
  })

  it('answers unknown API routes with 404 NOT_FOUND in the contract shape', async () => {
    for (const path of ['/api/nope', '/api/staff/nope', '/webhook/nope']) {
      const res = await ctx.call('GET', path, { headers: await ctx.userHeaders(ctx.newUser()) })
      expect(res.status, path).toBe(404)
      expect(res.json.error.code).toBe('NOT_FOUND')
    }
    // without the app built, other paths are 404 too (no LIFF app in this test)
    expect((await ctx.call('GET', '/somewhere')).json.error.code).toBe('NOT_FOUND')
  })

  it('answers a body over 64 KiB with 413 PAYLOAD_TOO_LARGE', async () => {
    const body = JSON.stringify({
      cardNumber: 'x'.repeat(70 * 1024),
      pin: '1',
      consent: { version: '1', accepted: true },
    })
    const res = await ctx.call('POST', '/api/link', {
      headers: await ctx.userHeaders(ctx.newUser()),
      body,
    })
    expect(res.status).toBe(413)
    expect(res.json.error.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('judges a served body by its declared length, and counts a chunked one', async () => {
    const base = new URL(await serveApp(ctx.app))
    const headers = await ctx.userHeaders(ctx.newUser())
    // Sends `body` (in 16 KiB chunks when `chunked`) and reads the answer.
    const post = (body: string, chunked: boolean) =>
      new Promise<{ status: number; code: string | undefined }>((resolve, reject) => {
        const req = request(
          {
            host: base.hostname,
            port: base.port,
            path: '/api/link',
            method: 'POST',
            headers: {
              ...headers,
              'Content-Type': 'application/json',
              ...(chunked ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }),
            },
          },
          (res) => {
            let text = ''
            res.setEncoding('utf8')
            res.on('data', (d: string) => {
              text += d
            })
            res.on('end', () => {
              const parsed = JSON.parse(text) as { error?: { code: string } }
              resolve({ status: res.statusCode ?? 0, code: parsed.error?.code })
            })
          },
        )
        req.on('error', (err: NodeJS.ErrnoException) => {
          // The server may answer 413 and close before the whole body is written.
          if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err)
        })
        for (let at = 0; at < body.length; at += 16 * 1024)
          req.write(body.slice(at, at + 16 * 1024))
        req.end()
      })
    const big = JSON.stringify({ cardNumber: 'x'.repeat(70 * 1024), pin: '1' })
    expect(await post(big, false)).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' })
    expect(await post(big, true)).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' })
    // Within the limit the body reaches the route either way (its validation answers).
    const small = JSON.stringify({ cardNumber: 'x', pin: '1' })
    expect(await post(small, false)).toEqual({ status: 400, code: 'VALIDATION_FAILED' })
    expect(await post(small, true)).toEqual({ status: 400, code: 'VALIDATION_FAILED' })
  })

  it('tags every answer with a request ID and sends security headers (through the Node layer)', async () => {
    const api = [
      await ctx.callServed('GET', '/api/config'),
      await ctx.callServed('GET', '/api/me'), // 401 from the auth middleware
      await ctx.callServed('GET', '/api/nothing-here'), // 404
      await ctx.callServed('POST', '/api/link', { body: '{' }), // 415 from onError
      await ctx.callServed('GET', '/api/me', { headers: { Authorization: 'Bearer x' } }), // 401
    ]
    expect(api.map((r) => r.status)).toEqual([200, 401, 404, 415, 401])
    const ids = new Set<string>()
    for (const res of api) {
      const id = res.headers.get('X-Request-Id') ?? ''
      expect(id).toMatch(/^[0-9a-f-]{36}$/)
      ids.add(id)
      expect(res.headers.get('Cache-Control')).toBe('no-store')
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
      expect(res.headers.get('X-Frame-Options')).toBe('DENY')
      expect(res.headers.get('Content-Security-Policy')).toBe(
        "default-src 'none'; frame-ancestors 'none'",
      )
      expect(res.headers.get('Cross-Origin-Resource-Policy')).toBe('same-origin')
      expect(res.headers.get('Strict-Transport-Security')).toMatch(/^max-age=\d+/)
      expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
      expect(res.headers.get('X-Powered-By')).toBeNull()
    }
    expect(ids.size).toBe(api.length)
    // A caller's own request ID is kept when it is well formed, replaced when not.
    const mine = await ctx.callServed('GET', '/api/config', {
      headers: { 'X-Request-Id': 'till-42_a' },
    })
    expect(mine.headers.get('X-Request-Id')).toBe('till-42_a')
    const bad = await ctx.callServed('GET', '/api/config', {
      headers: { 'X-Request-Id': 'a b<script>' },
    })
    expect(bad.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
    const page = await ctx.callServed('GET', '/healthz')
    expect(page.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(page.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(page.headers.get('X-Frame-Options')).toBe('SAMEORIGIN')
    expect(page.headers.get('Referrer-Policy')).toBe('no-referrer')
    expect(page.headers.get('Cross-Origin-Opener-Policy')).toBe('same-origin')
    expect(page.headers.get('Strict-Transport-Security')).toMatch(/^max-age=\d+/)
    // Not a page: nothing may run or load in it (docs/decisions/031).
    expect(page.headers.get('Content-Security-Policy')).toBe(
      "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
    )
  })

  it('logs each request as one JSON line: method, path, status, time, request ID', async () => {
    await ctx.call('GET', '/healthz')
    const line = ctx.logger.lines.map((l) => JSON.parse(l)).find((l) => l.path === '/healthz')
    expect(line).toMatchObject({ msg: 'request', method: 'GET', status: 200 })
    expect(typeof line.ms).toBe('number')
    expect(typeof line.requestId).toBe('string')
  })

  it('logs the request ID the Node layer put on the answer', async () => {
    const res = await ctx.callServed('GET', '/api/config')
    const id = res.headers.get('X-Request-Id')
    const line = ctx.logger.lines
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'request' && l.requestId === id)
    expect(line).toMatchObject({ path: '/api/config', status: 200 })
  })

  it('GET /api/config gives the app its public settings, no secrets', async () => {
    const res = await ctx.call('GET', '/api/config')
    expect(res.json).toMatchObject({ mode: 'line', bonusPoints: 200, qrTtlSeconds: 60 })
    expect(JSON.stringify(res.json)).not.toMatch(/secret/i)
  })
})

describe('configuration', () => {
  it('stops with a message naming the bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError)
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/)
    expect(() => loadConfig({ LINK_BONUS_POINTS: '-5' })).toThrow(/LINK_BONUS_POINTS/)
    expect(() => loadConfig({ LINE_API_BASE: 'not a url', LINE_LOGIN_CHANNEL_ID: '1' })).toThrow(
      /LINE_API_BASE/,
    )
    expect(() => loadConfig({ LINE_LOGIN_CHANNEL_ID: 'abc' })).toThrow(/LINE_LOGIN_CHANNEL_ID/)
  })

  it('runs in demo mode without a channel, and uses the real settings with one', () => {
    const demo = loadConfig({ PORT: '4321' })
    expect(demo.demo).toBe(true)
    expect(demo.line.apiBase).toBe('http://127.0.0.1:4321/__line')
    const real = loadConfig({ LINE_LOGIN_CHANNEL_ID: '1234', LIFF_ID: '1234-abc' })
    expect(real.demo).toBe(false)
    expect(real.line.apiBase).toBe('https://api.line.me')
    expect(real.line.messagingAccessToken).toBeUndefined()
    expect(real.cardTokenTtlSeconds).toBe(60)
    expect(real.linkBonusPoints).toBe(200)
  })
})

describe('storage', () => {
  it('creates the folder, sets WAL and synchronous=FULL every time it opens (also on reopen)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-db-'))
    const path = join(dir, 'nested', 'membercard.db')
    for (let i = 0; i < 2; i++) {
      const db = await openDatabase({ databasePath: path })
      expect(db.dialect).toBe('sqlite')
      const { sqlite } = db as SqliteDatabase
      expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(sqlite.pragma('synchronous', { simple: true })).toBe(2) // FULL
      expect(sqlite.pragma('foreign_keys', { simple: true })).toBe(1)
      expect(sqlite.pragma('busy_timeout', { simple: true })).toBe(5000)
      await db.close()
      expect(sqlite.open).toBe(false)
    }
    rmSync(dir, { recursive: true, force: true })
  })

  it('generates the secrets once, outside the database, readable only by the owner', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-secrets-'))
    const path = join(dir, 'secrets.json')
    const first = loadSecrets(path)
    const second = loadSecrets(path)
    expect(second.pinHashKey.equals(first.pinHashKey)).toBe(true)
    expect(first.pinHashKey.equals(first.qrTokenKey)).toBe(false)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(path, 'utf8')).pinHashKey).toHaveLength(64)
    const configured = loadSecrets(path, {
      pinHashSecret: 'ab'.repeat(32),
      qrTokenSecret: 'cd'.repeat(32),
    })
    expect(configured.pinHashKey.toString('hex')).toBe('ab'.repeat(32))
    rmSync(dir, { recursive: true, force: true })
  })
})
