import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.ts'

const root = resolve(import.meta.dirname, '../..')
const KEY_A = 'a'.repeat(64)
const KEY_B = 'b'.repeat(64)
const PG = 'postgres://member:secret@db.internal:5432/membercard'

/** The message of the ConfigError `env` raises (fails the test when it loads). */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`)
}

describe('DATABASE_URL', () => {
  it('is unset by default and taken as given when it is a postgres URL', () => {
    expect(loadConfig({}).databaseUrl).toBeUndefined()
    for (const url of [PG, 'postgresql://localhost/membercard']) {
      const c = loadConfig({ DATABASE_URL: url, PIN_HASH_SECRET: KEY_A, QR_TOKEN_SECRET: KEY_B })
      expect(c.databaseUrl).toBe(url)
    }
  })

  it('refuses another scheme or a non-URL, naming the variable and not echoing the value', () => {
    for (const bad of ['mysql://u:pw@h/db', 'not a url', 'https://db.example.com']) {
      const message = refusal({ DATABASE_URL: bad, PIN_HASH_SECRET: KEY_A, QR_TOKEN_SECRET: KEY_B })
      expect(message).toMatch(/DATABASE_URL: .*postgres/)
      expect(message).not.toContain(bad)
    }
  })

  it('requires both shared secrets, naming each one missing', () => {
    const neither = refusal({ DATABASE_URL: PG })
    expect(neither).toMatch(/PIN_HASH_SECRET: is required when DATABASE_URL is set/)
    expect(neither).toMatch(/QR_TOKEN_SECRET: is required when DATABASE_URL is set/)
    const noQr = refusal({ DATABASE_URL: PG, PIN_HASH_SECRET: KEY_A })
    expect(noQr).toMatch(/QR_TOKEN_SECRET/)
    expect(noQr).not.toMatch(/PIN_HASH_SECRET/)
    expect(noQr).not.toContain('secret@db.internal')
    const noPin = refusal({ DATABASE_URL: PG, QR_TOKEN_SECRET: KEY_B })
    expect(noPin).toMatch(/PIN_HASH_SECRET/)
    expect(noPin).not.toMatch(/QR_TOKEN_SECRET/)
    // Without DATABASE_URL, SQLite generates its own keys: nothing is required.
    expect(loadConfig({}).pinHashSecret).toBeUndefined()
  })

  it('makes every command refuse to start, naming the missing secret (the real CLI process)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-settings-'))
    try {
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATABASE_PATH: join(dir, 'db.sqlite'),
        DATABASE_URL: PG,
        PIN_HASH_SECRET: KEY_A,
      }
      const staffAdd = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'server/src/cli/staff-add.ts', '--id', 'x', '--store', 'S001'],
        { cwd: root, env, input: 'long-enough-password\n', encoding: 'utf8' },
      )
      expect(staffAdd.status).toBe(1)
      expect(staffAdd.stderr).toMatch(/QR_TOKEN_SECRET: is required when DATABASE_URL is set/)
      expect(staffAdd.stderr + staffAdd.stdout).not.toContain('secret@db.internal')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  it('makes the server and db:migrate exit 1 when the database cannot be reached, saying which (no password)', () => {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      // Port 1 on loopback: nothing listens there, the connection is refused at once.
      DATABASE_URL: 'postgres://app:s3cret-pw@127.0.0.1:1/membercard',
      PIN_HASH_SECRET: KEY_A,
      QR_TOKEN_SECRET: KEY_A,
    }
    for (const entry of ['server/src/index.ts', 'server/src/cli/db-migrate.ts']) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', entry], {
        cwd: root,
        env,
        encoding: 'utf8',
        timeout: 30_000,
      })
      expect(run.status, entry).toBe(1)
      expect(run.stderr, entry).toContain(
        'Cannot open the database postgres://app@127.0.0.1:1/membercard: connect ECONNREFUSED',
      )
      expect(run.stderr + run.stdout, entry).not.toContain('s3cret-pw')
      expect(run.stderr, entry).not.toContain('    at ')
    }
  }, 60_000)
})

describe('TRUST_PROXY', () => {
  it('is empty by default; takes IPv4, IPv6 and CIDR blocks, normalized to blocks', () => {
    expect(loadConfig({}).trustProxy).toEqual([])
    const c = loadConfig({
      TRUST_PROXY:
        ' 10.0.0.0/8, 127.0.0.1 ,::1,2001:DB8::/32, ::ffff:192.168.0.1, ::ffff:172.16.0.0/108',
    })
    expect(c.trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1/32',
      '::1/128',
      '2001:db8::/32',
      '192.168.0.1/32',
      '172.16.0.0/12',
    ])
  })

  it('refuses what is not an address or block, naming the variable and the entry', () => {
    for (const bad of [
      '10.0.0.0/33',
      '::1/129',
      'proxy.internal',
      '1.2.3.4/x',
      '1.2.3',
      '10.0.0.1,300.0.0.1',
      '10.0.0.0/-1',
    ]) {
      expect(refusal({ TRUST_PROXY: bad }), bad).toMatch(/TRUST_PROXY: ".+" is not an IP address/)
    }
  })
})

describe('PUBLIC_URL and the LINE Login settings', () => {
  it('defaults PUBLIC_URL to http://<HOST>:<PORT> and keeps only the origin of a given one', () => {
    expect(loadConfig({}).publicUrl).toBe('http://127.0.0.1:3000')
    expect(loadConfig({ HOST: '::1', PORT: '8080' }).publicUrl).toBe('http://[::1]:8080')
    // (A public PUBLIC_URL is for real LINE settings: demo mode refuses one, decision 030.)
    const line = { LINE_LOGIN_CHANNEL_ID: '1234567890' }
    expect(loadConfig({ ...line, PUBLIC_URL: 'https://members.example.jp/' }).publicUrl).toBe(
      'https://members.example.jp',
    )
    expect(loadConfig({ ...line, PUBLIC_URL: 'https://members.example.jp:8443' }).publicUrl).toBe(
      'https://members.example.jp:8443',
    )
    for (const bad of ['members.example.jp', 'ftp://members.example.jp', 'https://x.jp/app']) {
      expect(refusal({ PUBLIC_URL: bad }), bad).toMatch(/PUBLIC_URL/)
    }
  })

  it('defaults LINE_AUTHORIZE_URL and LINE_BOT_PROMPT, validates them and LINE_OA_BASIC_ID', () => {
    const d = loadConfig({ LINE_LOGIN_CHANNEL_ID: '1234567890' })
    expect(d.line.authorizeUrl).toBe('https://access.line.me/oauth2/v2.1/authorize')
    // Demo mode: the stand-in's consent page on this server, whatever is set.
    expect(loadConfig({ LINE_AUTHORIZE_URL: 'https://example.jp/a' }).line.authorizeUrl).toBe(
      'http://127.0.0.1:3000/__line/oauth2/v2.1/authorize',
    )
    expect(d.line.botPrompt).toBe('aggressive')
    expect(d.line.oaBasicId).toBeUndefined()
    const c = loadConfig({
      LINE_LOGIN_CHANNEL_ID: '1234567890',
      LINE_AUTHORIZE_URL: 'http://127.0.0.1:9999/authorize',
      LINE_BOT_PROMPT: 'none',
      LINE_OA_BASIC_ID: '@123abcde',
    })
    expect(c.line.authorizeUrl).toBe('http://127.0.0.1:9999/authorize')
    expect(c.line.botPrompt).toBe('none')
    expect(c.line.oaBasicId).toBe('@123abcde')
    expect(refusal({ LINE_AUTHORIZE_URL: 'access.line.me' })).toMatch(/LINE_AUTHORIZE_URL/)
    expect(refusal({ LINE_BOT_PROMPT: 'always' })).toMatch(/LINE_BOT_PROMPT/)
    for (const bad of ['123abcde', '@', '@12 34', '@abc-def']) {
      expect(refusal({ LINE_OA_BASIC_ID: bad }), bad).toMatch(/LINE_OA_BASIC_ID/)
    }
  })

  it('takes METRICS_TOKEN of 16 characters or more, without spaces', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined()
    expect(loadConfig({ METRICS_TOKEN: 'x'.repeat(16) }).metricsToken).toBe('x'.repeat(16))
    expect(refusal({ METRICS_TOKEN: 'x'.repeat(15) })).toMatch(/METRICS_TOKEN/)
    expect(refusal({ METRICS_TOKEN: 'sixteen chars ok' })).toMatch(/METRICS_TOKEN/)
  })
})
