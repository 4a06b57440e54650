import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createGroupCommit } from '../src/db/group-commit.ts'

const dir = mkdtempSync(join(tmpdir(), 'group-commit-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function open(name: string) {
  const sqlite = new Database(join(dir, name))
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = FULL')
  sqlite.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0))')
  const insert = sqlite.prepare('INSERT INTO t (v) VALUES (?)')
  const rows = () =>
    (sqlite.prepare('SELECT v FROM t ORDER BY id').all() as { v: number }[]).map((r) => r.v)
  return { sqlite, insert, rows }
}

describe('group commit', () => {
  it('commits the jobs of one turn of the event loop together, once, and answers after', async () => {
    const { sqlite, insert, rows } = open('a.db')
    const exec = vi.spyOn(sqlite, 'exec')
    const commits = createGroupCommit(sqlite)
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map((v) =>
        commits.run(async () => {
          await Promise.resolve() // a body's statements return promises; it awaits them
          return Number(insert.run(v).lastInsertRowid)
        }),
      ),
    )
    expect(answers).toEqual([1, 2, 3, 4, 5])
    expect(exec.mock.calls.filter(([sql]) => sql === 'COMMIT')).toHaveLength(1)
    // Another connection sees every row: the answers came after the commit.
    const other = new Database(join(dir, 'a.db'), { readonly: true })
    expect(other.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 5 })
    other.close()
    expect(rows()).toEqual([1, 2, 3, 4, 5])
  })

  it('rolls a failing job back alone, with its own error, and commits the others', async () => {
    const { sqlite, insert, rows } = open('b.db')
    const commits = createGroupCommit(sqlite)
    const results = await Promise.allSettled([
      commits.run(async () => insert.run(1)),
      commits.run(async () => {
        insert.run(2) // written, then undone with the job
        await Promise.resolve() // a body awaits between its statements
        insert.run(-1) // the CHECK constraint fails
      }),
      commits.run(async () => {
        // Its own nested transaction becomes a savepoint inside the group.
        sqlite.transaction(() => insert.run(3)).immediate()
        return 'ok'
      }),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'SQLITE_CONSTRAINT_CHECK',
    })
    expect(rows()).toEqual([1, 3])
    expect(sqlite.inTransaction).toBe(false)
  })

  it('fails every job of the group, and stores none, when the commit fails', async () => {
    const { sqlite, insert, rows } = open('c.db')
    const commits = createGroupCommit(sqlite)
    const realExec = sqlite.exec.bind(sqlite)
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
    const exec = vi.spyOn(sqlite, 'exec').mockImplementation((sql: string) => {
      if (sql === 'COMMIT') throw full
      return realExec(sql)
    })
    const results = await Promise.allSettled(
      [1, 2].map((v) => commits.run(async () => insert.run(v))),
    )
    expect(results.every((r) => r.status === 'rejected' && r.reason === full)).toBe(true)
    exec.mockRestore()
    expect(rows()).toEqual([])
    expect(sqlite.inTransaction).toBe(false)
    // The next group works again.
    await commits.run(async () => insert.run(7))
    expect(rows()).toEqual([7])
  })

  it('fails the whole group when SQLite rolled the transaction back under it', async () => {
    const { sqlite, insert, rows } = open('d.db')
    const commits = createGroupCommit(sqlite)
    const results = await Promise.allSettled([
      commits.run(async () => insert.run(1)),
      commits.run(async () => {
        insert.run(2)
        sqlite.exec('ROLLBACK') // what SQLite does by itself on some I/O errors
      }),
      commits.run(async () => insert.run(3)),
    ])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected'])
    expect(rows()).toEqual([])
    await commits.run(async () => insert.run(4))
    expect(rows()).toEqual([4])
  })

  it('splits a long queue into groups of at most maxBatch', async () => {
    const { sqlite, insert, rows } = open('e.db')
    const exec = vi.spyOn(sqlite, 'exec')
    const commits = createGroupCommit(sqlite, { maxBatch: 4 })
    await Promise.all(Array.from({ length: 10 }, (_, i) => commits.run(async () => insert.run(i))))
    expect(exec.mock.calls.filter(([sql]) => sql === 'COMMIT')).toHaveLength(3)
    expect(rows()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })
})
