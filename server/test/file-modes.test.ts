import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openSqlite } from '../src/db/sqlite.ts'
import { cards } from '../src/repositories/cards.ts'
import { loadSecrets } from '../src/secrets.ts'

/** The permission bits of a path (0o600, 0o700, …). */
function mode(path: string): number {
  return statSync(path).mode & 0o777
}

const root = mkdtempSync(join(tmpdir(), 'membercard-modes-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

// SQLite only: the files of the SQLite database (PostgreSQL keeps its own).
describe('files the server creates are private to its user', () => {
  it('creates the database 0600, its -wal and -shm 0600 after a write, in a new 0700 folder', async () => {
    const folder = join(root, 'new', 'data')
    const path = join(folder, 'membercard.db')
    const db = openSqlite(path)
    try {
      await db.transaction(async (tx) => {
        await cards.insertSeeded(tx, {
          cardNumber: '4900000000000019',
          pinHash: 'x',
          name: 'モード 確認',
          rank: 'regular',
          birthDate: null,
          at: 0,
        })
      })
      expect(mode(path).toString(8)).toBe('600')
      // The write went to the write-ahead log: both side files exist now.
      expect(mode(`${path}-wal`).toString(8)).toBe('600')
      expect(mode(`${path}-shm`).toString(8)).toBe('600')
      expect(mode(folder).toString(8)).toBe('700')
      expect(mode(join(root, 'new')).toString(8)).toBe('700')
    } finally {
      db.close()
    }
  })

  it('tightens a database file left readable by others by an earlier version', async () => {
    const path = join(root, 'old.db')
    writeFileSync(path, '')
    chmodSync(path, 0o644)
    const db = openSqlite(path)
    db.close()
    expect(mode(path).toString(8)).toBe('600')
  })

  it('creates the secrets file 0600 in a new 0700 folder', () => {
    const folder = join(root, 'secrets-folder')
    const path = join(folder, 'membercard.db.secrets.json')
    loadSecrets(path)
    expect(mode(path).toString(8)).toBe('600')
    expect(mode(folder).toString(8)).toBe('700')
  })
})
