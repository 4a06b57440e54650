import { fillPlaceholders, type SQL } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import type pg from 'pg'
import type { Logger } from '../logger.ts'
import { migratePostgres, openPostgres } from './postgres.ts'
import type { CachedRead, CachedReadSpec, Database, Executor, Params, Query, Tx } from './seam.ts'

/** The PostgreSQL database behind the seam, with its pool for PostgreSQL-only tools and tests. */
export interface PostgresDatabase extends Database {
  readonly dialect: 'postgres'
  readonly pool: pg.Pool
}

/** A PostgreSQL transaction, with its connection for PostgreSQL-only statements (COPY). */
export interface PostgresTx extends Tx {
  readonly client: pg.PoolClient
}

interface Compiled {
  name: string
  text: string
  params: unknown[]
}

type Run = (text: string, values: unknown[], name?: string) => Promise<pg.QueryResult>

const dialect = new PgDialect()

/** Deadlock and serialization failures: the transaction can simply be run again. */
const RETRYABLE = new Set(['40001', '40P01'])
const MAX_ATTEMPTS = 5

/** Migrates (under the migration lock) and opens the pool. */
export async function openPg(
  url: string,
  opts: { max?: number; logger?: Logger; connectTimeoutMs?: number } = {},
): Promise<PostgresDatabase> {
  await migratePostgres(url)
  const handle = openPostgres(url, opts)
  return postgresDatabase(handle.pool, handle.close)
}

/**
 * The seam on a node-postgres pool. Statements outside a transaction take any connection;
 * a transaction holds one connection from BEGIN to COMMIT (READ COMMITTED, PostgreSQL's
 * default) and is run again, whole, after a deadlock or a serialization failure. Statements
 * defined with `query` are named prepared statements, prepared once per connection.
 */
export function postgresDatabase(pool: pg.Pool, close: () => Promise<void>): PostgresDatabase {
  const compiled = new WeakMap<Query<Params, unknown>, Compiled>()
  let names = 0

  function compile(q: Query<Params, unknown>): Compiled {
    let c = compiled.get(q)
    if (!c) {
      const { sql, params } = dialect.sqlToQuery(q.sql)
      c = { name: `q${++names}`, text: sql, params }
      compiled.set(q, c)
    }
    return c
  }

  function executor(run: Run): Executor {
    const exec = async <R>(q: Query<Params, R>, params: Params) => {
      const c = compile(q)
      return run(c.text, fillPlaceholders(c.params, params as Record<string, unknown>), c.name)
    }
    return {
      dialect: 'postgres',
      all: async <R>(q: Query<Params, R>, params: Params) => (await exec(q, params)).rows as R[],
      get: async <R>(q: Query<Params, R>, params: Params) =>
        (await exec(q, params)).rows[0] as R | undefined,
      run: async (q, params) => (await exec(q, params)).rowCount ?? 0,
      async execute<R>(statement: SQL): Promise<R[]> {
        const { sql, params } = dialect.sqlToQuery(statement)
        return (await run(sql, params)).rows as R[]
      },
    }
  }

  const onPool = executor((text, values, name) =>
    pool.query(name ? { name, text, values } : { text, values }),
  )

  function makeTx(client: pg.PoolClient, hooks: (() => void)[]): PostgresTx {
    let savepoints = 0
    const inside = executor((text, values, name) =>
      client.query(name ? { name, text, values } : { text, values }),
    )
    const tx: PostgresTx = {
      ...inside,
      client,
      afterCommit(fn) {
        hooks.push(fn)
      },
      async savepoint(fn) {
        const name = `sp${++savepoints}`
        await client.query(`SAVEPOINT ${name}`)
        const mark = hooks.length
        try {
          const value = await fn(tx)
          await client.query(`RELEASE SAVEPOINT ${name}`)
          return value
        } catch (err) {
          hooks.length = mark
          await client.query(`ROLLBACK TO SAVEPOINT ${name}`)
          throw err
        }
      },
    }
    return tx
  }

  async function attempt<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await pool.connect()
    // The pool listens for errors on idle clients only: a connection lost while checked out
    // (the server stopped or restarted) would be an unhandled 'error' event, which ends the
    // process. The statement in flight, or the next one, fails instead, and so the transaction.
    const onLost = () => undefined
    client.on('error', onLost)
    const hooks: (() => void)[] = []
    let broken: Error | undefined
    try {
      await client.query('BEGIN')
      const value = await fn(makeTx(client, hooks))
      await client.query('COMMIT')
      client.off('error', onLost)
      client.release()
      for (const hook of hooks) hook()
      return value
    } catch (err) {
      try {
        await client.query('ROLLBACK')
      } catch (rollbackError) {
        broken = rollbackError as Error // the connection is gone: do not give it back
      }
      client.off('error', onLost)
      client.release(broken)
      throw err
    }
  }

  return {
    ...onPool,
    dialect: 'postgres',
    pool,

    async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      for (let i = 1; ; i++) {
        try {
          return await attempt(fn)
        } catch (err) {
          const code = (err as { code?: unknown }).code
          if (i >= MAX_ATTEMPTS || typeof code !== 'string' || !RETRYABLE.has(code)) throw err
        }
      }
    },

    cached<K, P extends Params, R, V>(spec: CachedReadSpec<K, P, R, V>): CachedRead<K, V> {
      // Every instance may change the rows: a read is always made (docs/decisions/022).
      const read = (async (key: K) =>
        spec.value(await onPool.get(spec.query, spec.params(key)))) as CachedRead<K, V>
      read.batched = read
      return read
    },

    connections: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }),

    async ping() {
      await pool.query('SELECT 1')
    },

    close,
  }
}
