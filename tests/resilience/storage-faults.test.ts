import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type RunningServer, removeDataDir, startServer } from '../support/server.ts'
import {
  call,
  type LinkedMember,
  ledgerMismatches,
  linkMember,
  openDb,
  staffToken,
} from './helpers.ts'

/** The demo card 4900 0000 0000 0011 (PIN 1234) the demo server seeds. */
const DEMO_CARD = { cardNumber: '4900000000000011', pin: '1234', points: 1200 }

function award(server: RunningServer, staff: string, member: LinkedMember, key: string) {
  return call(server.url, '/api/staff/points', {
    token: staff,
    headers: { 'Idempotency-Key': key },
    body: { qrToken: member.qrToken, type: 'award', purchaseAmount: 1000 },
  })
}

/** Checks the file after the fact: intact, and every balance equals its ledger. */
function expectIntact(path: string, keys: string[]) {
  const db = openDb(path)
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(ledgerMismatches(db)).toEqual([])
    const count = db.prepare('SELECT count(*) AS n FROM ledger WHERE idempotency_key = ?')
    for (const key of keys) expect(count.get(key)).toEqual({ n: 1 })
  } finally {
    db.close()
  }
}

function expect503(res: { status: number; body: unknown; headers: Headers }) {
  expect(res.status).toBe(503)
  expect(res.body).toEqual({
    error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) },
  })
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
}

/**
 * Storage faults under the real server process (these need root, as CI has: a tmpfs mount and
 * the immutable attribute). A fault gives a 503 in the contract's shape, reads keep working,
 * nothing is corrupted, and the same request succeeds once the fault clears.
 */
describe('storage faults', () => {
  let server: RunningServer | undefined
  let mountPoint: string | undefined
  let immutable: string[] = []
  afterEach(async () => {
    for (const f of immutable) if (existsSync(f)) execFileSync('chattr', ['-i', f])
    immutable = []
    await server?.stop()
    if (mountPoint) execFileSync('umount', [mountPoint])
    mountPoint = undefined
    if (server) removeDataDir(server.dataDir)
    server = undefined
  })

  it('disk full (a 16 MB tmpfs): 503, reads still served, recovery when space is freed', async () => {
    mountPoint = mkdtempSync(join(tmpdir(), 'membercard-full-'))
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint])
    server = await startServer({ dataDir: mountPoint })
    const member = await linkMember(server.url, DEMO_CARD)
    const staff = await staffToken(server.url)
    const ok = randomUUID()
    expect((await award(server, staff, member, ok)).status).toBe(200)

    // Fill the disk to the last byte.
    const filler = join(mountPoint, 'filler')
    const fd = openSync(filler, 'w')
    for (const size of [1 << 20, 1 << 12, 1]) {
      const buf = Buffer.alloc(size, 1)
      try {
        for (;;) writeSync(fd, buf)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
      }
    }
    closeSync(fd)

    // Writes fail as the WAL needs room: a clear 503, never a 500.
    let failedKey: string | undefined
    let failed: Awaited<ReturnType<typeof award>> | undefined
    const done: string[] = [ok]
    for (let i = 0; i < 400 && !failedKey; i++) {
      const key = randomUUID()
      const res = await award(server, staff, member, key)
      if (res.status === 200) done.push(key)
      else {
        failedKey = key
        failed = res
      }
    }
    expect(failedKey).toBeDefined()
    expect503(failed!)
    expect((await call(server.url, '/api/me', { token: member.idToken })).status).toBe(200)
    expect((await call(server.url, '/healthz')).status).toBe(200)

    rmSync(filler)
    const retry = await award(server, staff, member, failedKey!)
    expect(retry.status).toBe(200)
    expectIntact(server.databasePath, [...done, failedKey!])
  })

  it('database made read-only (immutable): 503, reads still served, recovery after', async () => {
    server = await startServer()
    const member = await linkMember(server.url, DEMO_CARD)
    const staff = await staffToken(server.url)
    const ok = randomUUID()
    expect((await award(server, staff, member, ok)).status).toBe(200)

    // The immutable attribute refuses writes even to root and to files already open.
    immutable = [server.databasePath, `${server.databasePath}-wal`].filter(existsSync)
    for (const f of immutable) execFileSync('chattr', ['+i', f])
    const key = randomUUID()
    expect503(await award(server, staff, member, key))
    expect503(await award(server, staff, member, key))
    const me = await call(server.url, '/api/me', { token: member.idToken })
    expect(me.status).toBe(200)

    for (const f of immutable) execFileSync('chattr', ['-i', f])
    immutable = []
    const retry = await award(server, staff, member, key)
    expect(retry.status).toBe(200)
    const after = await call(server.url, '/api/me', { token: member.idToken })
    expect((after.body as { member: { points: number } }).member.points).toBe(
      (me.body as { member: { points: number } }).member.points + 20, // gold: 2 × 10
    )
    expectIntact(server.databasePath, [ok, key])
  })
})
